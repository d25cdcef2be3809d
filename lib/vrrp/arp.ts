/**
 * ARP over Ethernet (RFC 826) for IPv4: the gratuitous ARP a new master sends for each virtual
 * address (RFC 3768 §6.4.2), and a decoder for ARP seen on the wire.
 */
import { Family, readAddress, writeAddress } from "./address.ts";

/** EtherType of ARP. */
export const ETHERTYPE_ARP = 0x0806;
/** EtherType of IPv4. */
export const ETHERTYPE_IPV4 = 0x0800;
/** Ethernet II header: destination, source, EtherType. */
export const ETHERNET_HEADER_BYTES = 14;
/** ARP for Ethernet/IPv4: 8 fixed bytes + 2 × (6 + 4). */
export const ARP_IPV4_BYTES = 28;

const ARP_HTYPE_ETHERNET = 1;
const ARP_OP_REQUEST = 1;
const ARP_OP_REPLY = 2;
const BROADCAST = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff];

/** A decoded Ethernet/IPv4 ARP packet; MACs as lower-case "aa:bb:cc:dd:ee:ff". */
export interface ArpPacket {
  op: "request" | "reply" | number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
  /** sender IP == target IP: an announcement of the sender's own binding */
  gratuitous: boolean;
}

/** Formats 6 bytes at `offset` as "aa:bb:cc:dd:ee:ff". */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  const parts: string[] = [];
  for (let i = 0; i < 6; i++) parts.push(bytes[offset + i].toString(16).padStart(2, "0"));
  return parts.join(":");
}

/** Parses "aa:bb:cc:dd:ee:ff" (or with '-') into 6 bytes; null when malformed. */
export function parseMac(s: string): Uint8Array | null {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{2}$/.test(p))) return null;
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

/**
 * The full Ethernet frame of a gratuitous ARP for `ip`, as keepalived 2.2.7 sends it (42 bytes,
 * no padding: the NIC pads to the 60-byte minimum): broadcast destination, ARP request, sender
 * MAC = `mac`, sender IP = target IP = `ip`, target MAC broadcast. Throws RangeError on a MAC
 * that is not 6 bytes or an invalid IPv4 address.
 */
export function encodeGratuitousArp(mac: Uint8Array, ip: string): Uint8Array {
  if (mac.length !== 6) throw new RangeError(`MAC must be 6 bytes, got ${mac.length}`);
  const f = new Uint8Array(ETHERNET_HEADER_BYTES + ARP_IPV4_BYTES);
  f.set(BROADCAST, 0);
  f.set(mac, 6);
  writeAddress(f, ETHERNET_HEADER_BYTES + 14, ip, Family.ipv4);
  f[12] = ETHERTYPE_ARP >>> 8;
  f[13] = ETHERTYPE_ARP & 0xff;
  const a = ETHERNET_HEADER_BYTES;
  f[a + 1] = ARP_HTYPE_ETHERNET;
  f[a + 2] = ETHERTYPE_IPV4 >>> 8;
  f[a + 3] = ETHERTYPE_IPV4 & 0xff;
  f[a + 4] = 6;
  f[a + 5] = 4;
  f[a + 7] = ARP_OP_REQUEST;
  f.set(mac, a + 8);
  f.set(BROADCAST, a + 18);
  f.set(f.subarray(a + 14, a + 18), a + 24);
  return f;
}

/**
 * Decodes an ARP packet (the payload after the Ethernet header; trailing padding ignored).
 * Returns null for anything but Ethernet/IPv4 ARP or when shorter than 28 bytes; never throws.
 */
export function decodeArp(payload: Uint8Array): ArpPacket | null {
  if (payload.length < ARP_IPV4_BYTES) return null;
  const htype = (payload[0] << 8) | payload[1];
  const ptype = (payload[2] << 8) | payload[3];
  if (htype !== ARP_HTYPE_ETHERNET || ptype !== ETHERTYPE_IPV4) return null;
  if (payload[4] !== 6 || payload[5] !== 4) return null;
  const code = (payload[6] << 8) | payload[7];
  const op = code === ARP_OP_REQUEST ? "request" : code === ARP_OP_REPLY ? "reply" : code;
  const senderIp = readAddress(payload, 14, Family.ipv4);
  const targetIp = readAddress(payload, 24, Family.ipv4);
  return {
    op,
    senderMac: formatMac(payload, 8),
    senderIp,
    targetMac: formatMac(payload, 18),
    targetIp,
    gratuitous: senderIp === targetIp,
  };
}
