/**
 * Sorting captured packets into VRRP adverts, ARP and the rest, for `vrrp decode` and
 * `vrrp sniff`. Pure: bytes in, decoded packets out; never throws.
 */
import { decodeAdvert } from "../vrrp/packet.ts";
import { decodeIpPacket } from "./ip_packet.ts";
import { type ArpPacket, decodeArp } from "../vrrp/arp.ts";
import { decodeNeighborAdvert, type NeighborAdvert } from "../vrrp/ndisc.ts";
import { IPPROTO_VRRP } from "../vrrp/constants.ts";
import { Family, readAddress } from "../vrrp/address.ts";
import type { DecodeResult } from "../vrrp/types.ts";
import type { NetworkPayload } from "../pcap/link.ts";

/**
 * The advert fields present in a message even when it was dropped (e.g. a bad checksum), for
 * display only; fields the bytes do not reach are absent.
 */
export interface LooseAdvertFields {
  version?: number;
  type?: number;
  vrid?: number;
  priority?: number;
  count?: number;
  authType?: number;
  /** v2: Adver Int × 100; v3: Max Adver Int (centiseconds) */
  advertIntervalCs?: number;
  checksum?: number;
  addresses: string[];
  authData?: Uint8Array;
}

/** A packet sorted by kind. */
export type ClassifiedPacket =
  | { kind: "vrrp"; result: DecodeResult; fields: LooseAdvertFields }
  | { kind: "arp"; arp: ArpPacket }
  /** an ICMPv6 neighbour advertisement: IPv6's gratuitous ARP when unsolicited */
  | { kind: "na"; na: NeighborAdvert }
  | { kind: "other"; what: string };

/**
 * Reads whatever advert fields `msg` (a bare VRRP message) holds, without judging them; v3
 * addresses are IPv6 when `family` says so (or, unknown, when the length says so).
 */
export function looseAdvertFields(msg: Uint8Array, family?: "ipv4" | "ipv6"): LooseAdvertFields {
  const f: LooseAdvertFields = { addresses: [] };
  if (msg.length >= 1) {
    f.version = msg[0] >>> 4;
    f.type = msg[0] & 0x0f;
  }
  if (msg.length >= 2) f.vrid = msg[1];
  if (msg.length >= 3) f.priority = msg[2];
  if (msg.length >= 4) f.count = msg[3];
  const v3 = f.version === 3;
  if (msg.length >= 5 && !v3) f.authType = msg[4];
  if (msg.length >= 6) f.advertIntervalCs = v3 ? ((msg[4] & 0x0f) << 8) | msg[5] : msg[5] * 100;
  if (msg.length >= 8) f.checksum = (msg[6] << 8) | msg[7];
  const count = f.count ?? 0;
  const fam = family ??
    (v3 && count > 0 && msg.length === 8 + 16 * count ? Family.ipv6 : Family.ipv4);
  const step = fam === Family.ipv4 ? 4 : 16;
  for (let i = 0; i < count && 8 + step * i + step <= msg.length; i++) {
    f.addresses.push(readAddress(msg, 8 + step * i, fam));
  }
  const authAt = 8 + step * count;
  if (!v3 && msg.length >= authAt + 8) f.authData = msg.slice(authAt, authAt + 8);
  return f;
}

/** Decodes an IPv4 packet already known to carry protocol 112. */
function vrrpFromIpv4(ip: Uint8Array): ClassifiedPacket {
  const result = decodeIpPacket(ip);
  const ihl = (ip[0] & 0x0f) * 4;
  const total = ip.length >= 4 ? (ip[2] << 8) | ip[3] : 0;
  const end = total >= ihl && total <= ip.length ? total : ip.length;
  return { kind: "vrrp", result, fields: looseAdvertFields(ip.subarray(ihl, end), Family.ipv4) };
}

/** Decodes an IPv6 packet already known to carry next header 112. */
function vrrpFromIpv6(ip: Uint8Array): ClassifiedPacket {
  const result = decodeIpPacket(ip);
  const len = ip.length >= 6 ? (ip[4] << 8) | ip[5] : 0;
  const end = Math.min(ip.length, 40 + len);
  return { kind: "vrrp", result, fields: looseAdvertFields(ip.subarray(40, end), Family.ipv6) };
}

/** Classifies an IPv6 packet: VRRP when its next header is 112 (no extension headers). */
export function classifyIpv6(ip: Uint8Array): ClassifiedPacket {
  if (ip.length < 40 || ip[0] >>> 4 !== 6) return { kind: "other", what: "IPv6 (short)" };
  const na = decodeNeighborAdvert(ip);
  if (na) return { kind: "na", na };
  if (ip[6] !== IPPROTO_VRRP) return { kind: "other", what: `IPv6 next header ${ip[6]}` };
  return vrrpFromIpv6(ip);
}

/** Classifies an IPv4 packet: VRRP when its protocol field is 112. */
export function classifyIpv4(ip: Uint8Array): ClassifiedPacket {
  if (ip.length < 20 || ip[0] >>> 4 !== 4) return { kind: "other", what: "IPv4 (short)" };
  if (ip[9] !== IPPROTO_VRRP) return { kind: "other", what: `IPv4 protocol ${ip[9]}` };
  return vrrpFromIpv4(ip);
}

/** Classifies the network-layer payload of a captured frame. */
export function classifyNetwork(np: NetworkPayload | null): ClassifiedPacket {
  if (np === null) return { kind: "other", what: "short link-layer frame" };
  if (np.etherType === 0x0800) return classifyIpv4(np.payload);
  if (np.etherType === 0x86dd) return classifyIpv6(np.payload);
  if (np.etherType === 0x0806) {
    const arp = decodeArp(np.payload);
    return arp ? { kind: "arp", arp } : { kind: "other", what: "ARP (not Ethernet/IPv4)" };
  }
  return { kind: "other", what: `EtherType 0x${np.etherType.toString(16).padStart(4, "0")}` };
}

/**
 * Classifies bytes given by hand (`vrrp decode --hex`): an IPv4 or IPv6 packet when the first
 * nibble is 4 or 6, otherwise a bare VRRP message.
 */
export function classifyHex(bytes: Uint8Array): ClassifiedPacket {
  if (bytes.length > 0 && bytes[0] >>> 4 === 4) {
    if (bytes.length >= 20 && bytes[9] !== IPPROTO_VRRP) {
      return { kind: "other", what: `IPv4 protocol ${bytes[9]}` };
    }
    return vrrpFromIpv4(bytes);
  }
  if (bytes.length > 0 && bytes[0] >>> 4 === 6) {
    if (bytes.length >= 40 && bytes[6] !== IPPROTO_VRRP) {
      return { kind: "other", what: `IPv6 next header ${bytes[6]}` };
    }
    return vrrpFromIpv6(bytes);
  }
  return { kind: "vrrp", result: decodeAdvert(bytes, null), fields: looseAdvertFields(bytes) };
}
