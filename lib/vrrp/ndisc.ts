/**
 * Unsolicited neighbour advertisements (RFC 4861 §4.4, §7.2.6): what a new IPv6 master sends
 * for each virtual address instead of a gratuitous ARP (RFC 5798 §6.4.2), and a decoder for
 * those seen on the wire. Frames are built whole, as keepalived 2.2.7 sends them on a packet
 * socket: to ff02::1 (33:33:00:00:00:01), from the virtual address itself, hop limit 255,
 * Override set, the target link-layer address option carrying our MAC.
 */
import { Family, readAddress, writeAddress } from "./address.ts";
import { internetChecksum } from "./checksum.ts";

/** EtherType of IPv6. */
export const ETHERTYPE_IPV6 = 0x86dd;
/** IPv6 next header of ICMPv6. */
export const IPPROTO_ICMPV6 = 58;
/** RFC 4861 §4.4 Neighbor Advertisement. */
export const ICMPV6_NEIGHBOR_ADVERT = 136;
/** RFC 4861 §4.4 flags: R(outer), S(olicited), O(verride), in the first byte. */
const NA_FLAG_ROUTER = 0x80;
const NA_FLAG_SOLICITED = 0x40;
const NA_FLAG_OVERRIDE = 0x20;
/** RFC 4861 §4.6.1 Target Link-Layer Address option. */
const OPT_TARGET_LLADDR = 2;
/** ICMPv6 NA (24) + TLLA option for Ethernet (8). */
const NA_BYTES = 32;
const ALL_NODES = "ff02::1";
const ALL_NODES_MAC = [0x33, 0x33, 0, 0, 0, 1];

/** A decoded neighbour advertisement; addresses canonical, MACs "aa:bb:cc:dd:ee:ff". */
export interface NeighborAdvert {
  source: string;
  destination: string;
  hopLimit: number;
  target: string;
  router: boolean;
  solicited: boolean;
  override: boolean;
  /** the Target Link-Layer Address option, when present */
  targetMac: string | null;
  /** unsolicited, to all nodes, with Override: the IPv6 form of a gratuitous ARP */
  unsolicited: boolean;
  checksumOk: boolean;
}

function macText(b: Uint8Array, offset: number): string {
  return Array.from(b.subarray(offset, offset + 6), (x) => x.toString(16).padStart(2, "0"))
    .join(":");
}

/** The ICMPv6 checksum (RFC 4443 §2.3): over the IPv6 pseudo-header and the message. */
function icmp6Checksum(src: Uint8Array, dst: Uint8Array, msg: Uint8Array): number {
  const all = new Uint8Array(40 + msg.length);
  all.set(src, 0);
  all.set(dst, 16);
  all[34] = msg.length >>> 8;
  all[35] = msg.length & 0xff;
  all[39] = IPPROTO_ICMPV6;
  all.set(msg, 40);
  return internetChecksum(all);
}

/**
 * The Ethernet frame of an unsolicited neighbour advertisement for `ip` from `mac` (86 bytes).
 * Throws RangeError on a MAC that is not 6 bytes or an address that is not IPv6.
 */
export function encodeNeighborAdvert(mac: Uint8Array, ip: string): Uint8Array {
  if (mac.length !== 6) throw new RangeError(`MAC must be 6 bytes, got ${mac.length}`);
  const f = new Uint8Array(14 + 40 + NA_BYTES);
  f.set(ALL_NODES_MAC, 0);
  f.set(mac, 6);
  f[12] = ETHERTYPE_IPV6 >>> 8;
  f[13] = ETHERTYPE_IPV6 & 0xff;
  const h = 14;
  f[h] = 0x60; // version 6, traffic class 0, flow label 0
  f[h + 5] = NA_BYTES;
  f[h + 6] = IPPROTO_ICMPV6;
  f[h + 7] = 255; // RFC 4861 §7.1.2: receivers drop anything else
  writeAddress(f, h + 8, ip, Family.ipv6);
  writeAddress(f, h + 24, ALL_NODES, Family.ipv6);
  const m = h + 40;
  f[m] = ICMPV6_NEIGHBOR_ADVERT;
  f[m + 4] = NA_FLAG_OVERRIDE;
  f.set(f.subarray(h + 8, h + 24), m + 8); // target = the address itself
  f[m + 24] = OPT_TARGET_LLADDR;
  f[m + 25] = 1; // in units of 8 bytes
  f.set(mac, m + 26);
  const sum = icmp6Checksum(f.subarray(h + 8, h + 24), f.subarray(h + 24, h + 40), f.subarray(m));
  f[m + 2] = sum >>> 8;
  f[m + 3] = sum & 0xff;
  return f;
}

/**
 * Decodes an IPv6 packet (no Ethernet header) carrying an ICMPv6 neighbour advertisement; null
 * for anything else or when too short. Never throws.
 */
export function decodeNeighborAdvert(ip: Uint8Array): NeighborAdvert | null {
  if (ip.length < 40 + 24 || ip[0] >>> 4 !== 6 || ip[6] !== IPPROTO_ICMPV6) return null;
  const len = (ip[4] << 8) | ip[5];
  if (len < 24 || 40 + len > ip.length) return null;
  const msg = ip.subarray(40, 40 + len);
  if (msg[0] !== ICMPV6_NEIGHBOR_ADVERT) return null;
  let targetMac: string | null = null;
  for (let o = 24; o + 8 <= msg.length;) {
    const optLen = msg[o + 1] * 8;
    if (optLen === 0) break;
    if (msg[o] === OPT_TARGET_LLADDR && optLen >= 8) targetMac = macText(msg, o + 2);
    o += optLen;
  }
  const destination = readAddress(ip, 24, Family.ipv6);
  const na: NeighborAdvert = {
    source: readAddress(ip, 8, Family.ipv6),
    destination,
    hopLimit: ip[7],
    target: readAddress(msg, 8, Family.ipv6),
    router: (msg[4] & NA_FLAG_ROUTER) !== 0,
    solicited: (msg[4] & NA_FLAG_SOLICITED) !== 0,
    override: (msg[4] & NA_FLAG_OVERRIDE) !== 0,
    targetMac,
    unsolicited: false,
    checksumOk: icmp6Checksum(ip.subarray(8, 24), ip.subarray(24, 40), msg) === 0,
  };
  na.unsolicited = !na.solicited && na.override && destination === ALL_NODES;
  return na;
}
