/** From a link-layer frame to the network-layer payload, per pcap link type. */
import { LinkType } from "./format.ts";

/** The network-layer packet inside a frame. */
export interface NetworkPayload {
  /** EtherType of the payload (0x0800 IPv4, 0x0806 ARP, 0x86dd IPv6, ...) */
  etherType: number;
  payload: Uint8Array;
  /** link-layer source address when the link type carries one ("aa:bb:cc:dd:ee:ff") */
  sourceMac?: string;
  /** link-layer destination address when the link type carries one */
  destinationMac?: string;
}

const ETHERTYPE_VLAN = [0x8100, 0x88a8];
const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;

function mac(b: Uint8Array, off: number, len = 6): string {
  return Array.from(b.subarray(off, off + len), (x) => x.toString(16).padStart(2, "0")).join(":");
}

function u16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

function ethernet(frame: Uint8Array): NetworkPayload | null {
  if (frame.length < 14) return null;
  let off = 12;
  let etherType = u16(frame, off);
  // skip 802.1Q / 802.1ad tags
  while (ETHERTYPE_VLAN.includes(etherType) && frame.length >= off + 6) {
    off += 4;
    etherType = u16(frame, off);
  }
  return {
    etherType,
    payload: frame.subarray(off + 2),
    sourceMac: mac(frame, 6),
    destinationMac: mac(frame, 0),
  };
}

function rawIp(frame: Uint8Array): NetworkPayload | null {
  if (frame.length < 1) return null;
  const v = frame[0] >>> 4;
  const etherType = v === 4 ? ETHERTYPE_IPV4 : v === 6 ? ETHERTYPE_IPV6 : 0;
  return { etherType, payload: frame };
}

function sll(frame: Uint8Array): NetworkPayload | null {
  // packet type(2) ARPHRD(2) address length(2) address(8) protocol(2)
  if (frame.length < 16) return null;
  const addrLen = Math.min(u16(frame, 4), 8);
  const out: NetworkPayload = { etherType: u16(frame, 14), payload: frame.subarray(16) };
  if (addrLen > 0) out.sourceMac = mac(frame, 6, addrLen);
  return out;
}

function sll2(frame: Uint8Array): NetworkPayload | null {
  // protocol(2) reserved(2) ifindex(4) ARPHRD(2) packet type(1) address length(1) address(8)
  if (frame.length < 20) return null;
  const addrLen = Math.min(frame[11], 8);
  const out: NetworkPayload = { etherType: u16(frame, 0), payload: frame.subarray(20) };
  if (addrLen > 0) out.sourceMac = mac(frame, 12, addrLen);
  return out;
}

/** Whether `networkPayload()` understands this link type. */
export function isSupportedLinkType(linkType: number): boolean {
  return (Object.values(LinkType) as number[]).includes(linkType);
}

/**
 * The network-layer packet in `frame` for pcap link type `linkType`; null when the frame is too
 * short for its link header or the link type is not supported. Never throws.
 */
export function networkPayload(linkType: number, frame: Uint8Array): NetworkPayload | null {
  switch (linkType) {
    case LinkType.ethernet:
      return ethernet(frame);
    case LinkType.raw:
      return rawIp(frame);
    case LinkType.ipv4:
      return { etherType: ETHERTYPE_IPV4, payload: frame };
    case LinkType.linuxSll:
      return sll(frame);
    case LinkType.linuxSll2:
      return sll2(frame);
    default:
      return null;
  }
}
