/**
 * Sorting captured packets into VRRP adverts, ARP and the rest, for `vrrp decode` and
 * `vrrp sniff`. Pure: bytes in, decoded packets out; never throws.
 */
import { decodeIpv4Packet, decodeVrrpMessage } from "../vrrp/packet.ts";
import { type ArpPacket, decodeArp } from "../vrrp/arp.ts";
import { IPPROTO_VRRP } from "../vrrp/constants.ts";
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
  advertIntervalSec?: number;
  checksum?: number;
  addresses: string[];
  authData?: Uint8Array;
}

/** A packet sorted by kind. */
export type ClassifiedPacket =
  | { kind: "vrrp"; result: DecodeResult; fields: LooseAdvertFields }
  | { kind: "arp"; arp: ArpPacket }
  | { kind: "other"; what: string };

/** Reads whatever advert fields `msg` (a bare VRRP message) holds, without judging them. */
export function looseAdvertFields(msg: Uint8Array): LooseAdvertFields {
  const f: LooseAdvertFields = { addresses: [] };
  if (msg.length >= 1) {
    f.version = msg[0] >>> 4;
    f.type = msg[0] & 0x0f;
  }
  if (msg.length >= 2) f.vrid = msg[1];
  if (msg.length >= 3) f.priority = msg[2];
  if (msg.length >= 4) f.count = msg[3];
  if (msg.length >= 5) f.authType = msg[4];
  if (msg.length >= 6) f.advertIntervalSec = msg[5];
  if (msg.length >= 8) f.checksum = (msg[6] << 8) | msg[7];
  const count = f.count ?? 0;
  for (let i = 0; i < count && 8 + 4 * i + 4 <= msg.length; i++) {
    const o = 8 + 4 * i;
    f.addresses.push(`${msg[o]}.${msg[o + 1]}.${msg[o + 2]}.${msg[o + 3]}`);
  }
  const authAt = 8 + 4 * count;
  if (msg.length >= authAt + 8) f.authData = msg.slice(authAt, authAt + 8);
  return f;
}

/** Decodes an IPv4 packet already known to carry protocol 112. */
function vrrpFromIpv4(ip: Uint8Array): ClassifiedPacket {
  const result = decodeIpv4Packet(ip);
  const ihl = (ip[0] & 0x0f) * 4;
  const total = ip.length >= 4 ? (ip[2] << 8) | ip[3] : 0;
  const end = total >= ihl && total <= ip.length ? total : ip.length;
  return { kind: "vrrp", result, fields: looseAdvertFields(ip.subarray(ihl, end)) };
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
  if (np.etherType === 0x0806) {
    const arp = decodeArp(np.payload);
    return arp ? { kind: "arp", arp } : { kind: "other", what: "ARP (not Ethernet/IPv4)" };
  }
  return { kind: "other", what: `EtherType 0x${np.etherType.toString(16).padStart(4, "0")}` };
}

/**
 * Classifies bytes given by hand (`vrrp decode --hex`): an IPv4 packet when the first nibble is
 * 4, otherwise a bare VRRP message.
 */
export function classifyHex(bytes: Uint8Array): ClassifiedPacket {
  if (bytes.length > 0 && bytes[0] >>> 4 === 4) {
    if (bytes.length >= 20 && bytes[9] !== IPPROTO_VRRP) {
      return { kind: "other", what: `IPv4 protocol ${bytes[9]}` };
    }
    return vrrpFromIpv4(bytes);
  }
  return { kind: "vrrp", result: decodeVrrpMessage(bytes), fields: looseAdvertFields(bytes) };
}
