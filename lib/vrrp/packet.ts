/**
 * VRRPv2 advertisements on the wire (RFC 3768 §5): encode, and decode with the receiving checks
 * the bytes alone can tell (§7.1). Decoding never throws: it returns an advert or a drop reason.
 *
 * Length rule: like keepalived 2.2.7 (`vrrp_check_packet`: "vrrp packet too long/short"), the
 * VRRP message must be exactly 16 + 4 × Count IP Addrs bytes; trailing bytes are `badLength`.
 * The checksum covers that whole message (§5.3.8). Link-layer padding after the IPv4 Total
 * Length is not part of the IP packet and is ignored, as the kernel does.
 */
import {
  AUTH_DATA_BYTES,
  AuthType,
  IPPROTO_VRRP,
  VRRP_HEADER_BYTES,
  VRRP_MCAST_GROUP4,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  VRRP_VERSION,
} from "./constants.ts";
import { internetChecksum } from "./checksum.ts";
import { readIpv4, writeIpv4 } from "./ipv4.ts";
import type { Advertisement, DecodeResult, IpInfo } from "./types.ts";
import { DropReason } from "./types.ts";

/** IPv4 header without options (RFC 791). */
const IPV4_MIN_HEADER_BYTES = 20;
/** §5.2.1 precedence "internetwork control", as keepalived sends (TOS 0xc0). */
const DEFAULT_TOS = 0xc0;

/** The length of a VRRPv2 message carrying `count` addresses (§5.3). */
export function vrrpMessageBytes(count: number): number {
  return VRRP_HEADER_BYTES + 4 * count + AUTH_DATA_BYTES;
}

/**
 * §5.3.10 authentication data for a simple text password: its UTF-8 bytes, cut to the first 8
 * and zero-padded to 8 (keepalived sends "1-internal-ha" as "1-intern").
 */
export function authDataFromPassword(password: string): Uint8Array {
  const out = new Uint8Array(AUTH_DATA_BYTES);
  out.set(new TextEncoder().encode(password).subarray(0, AUTH_DATA_BYTES));
  return out;
}

function checkByte(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 255) {
    throw new RangeError(`${name} must be an integer 0..255, got ${v}`);
  }
}

/**
 * Encodes a bare VRRPv2 advertisement (§5.3) with its checksum filled in. Throws RangeError
 * on values that cannot go on the wire (a programming error, not bad input from the network).
 * Auth data shorter than 8 bytes is zero-padded, longer is cut.
 */
export function encodeAdvert(advert: Advertisement): Uint8Array {
  checkByte("vrid", advert.vrid);
  checkByte("priority", advert.priority);
  checkByte("advertIntervalSec", advert.advertIntervalSec);
  checkByte("authType", advert.authType);
  checkByte("address count", advert.addresses.length);
  const count = advert.addresses.length;
  const out = new Uint8Array(vrrpMessageBytes(count));
  out[0] = (VRRP_VERSION << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = advert.vrid;
  out[2] = advert.priority;
  out[3] = count;
  out[4] = advert.authType;
  out[5] = advert.advertIntervalSec;
  // bytes 6-7: checksum, zero while summing
  advert.addresses.forEach((a, i) => writeIpv4(out, VRRP_HEADER_BYTES + 4 * i, a));
  out.set(advert.authData.subarray(0, AUTH_DATA_BYTES), VRRP_HEADER_BYTES + 4 * count);
  const sum = internetChecksum(out);
  out[6] = sum >>> 8;
  out[7] = sum & 0xff;
  return out;
}

/**
 * Encodes a full IPv4 packet carrying the advert (§5.2), as keepalived sends it: IHL 5, TOS
 * 0xc0, no fragmentation flags, TTL 255, protocol 112, dst 224.0.0.18, header checksum filled.
 */
export function encodeIpv4Packet(
  advert: Advertisement,
  ip: { source: string; destination?: string; ttl?: number; tos?: number; id?: number },
): Uint8Array {
  const msg = encodeAdvert(advert);
  const ttl = ip.ttl ?? VRRP_TTL;
  const tos = ip.tos ?? DEFAULT_TOS;
  const id = ip.id ?? 0;
  checkByte("ttl", ttl);
  checkByte("tos", tos);
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) {
    throw new RangeError(`IP id must be an integer 0..65535, got ${id}`);
  }
  const out = new Uint8Array(IPV4_MIN_HEADER_BYTES + msg.length);
  out[0] = 0x45;
  out[1] = tos;
  out[2] = out.length >>> 8;
  out[3] = out.length & 0xff;
  out[4] = id >>> 8;
  out[5] = id & 0xff;
  out[8] = ttl;
  out[9] = IPPROTO_VRRP;
  writeIpv4(out, 12, ip.source);
  writeIpv4(out, 16, ip.destination ?? VRRP_MCAST_GROUP4);
  const sum = internetChecksum(out, 0, IPV4_MIN_HEADER_BYTES);
  out[10] = sum >>> 8;
  out[11] = sum & 0xff;
  out.set(msg, IPV4_MIN_HEADER_BYTES);
  return out;
}

function drop(reason: DropReason, detail: string, ip?: IpInfo): DecodeResult {
  return ip ? { ok: false, reason, detail, ip } : { ok: false, reason, detail };
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, "0")}`;
}

function decodeMessageUnsafe(bytes: Uint8Array, ip?: IpInfo): DecodeResult {
  if (bytes.length < VRRP_HEADER_BYTES) {
    return drop(
      DropReason.truncated,
      `VRRP message of ${bytes.length} bytes is shorter than the ${VRRP_HEADER_BYTES}-byte header`,
      ip,
    );
  }
  const version = bytes[0] >>> 4;
  if (version !== VRRP_VERSION) {
    return drop(DropReason.badVersion, `version ${version}, expected ${VRRP_VERSION}`, ip);
  }
  const type = bytes[0] & 0x0f;
  if (type !== VRRP_TYPE_ADVERTISEMENT) {
    return drop(
      DropReason.badType,
      `type ${type}, expected ${VRRP_TYPE_ADVERTISEMENT} (advertisement)`,
      ip,
    );
  }
  const count = bytes[3];
  const expected = vrrpMessageBytes(count);
  if (bytes.length !== expected) {
    return drop(
      DropReason.badLength,
      `message of ${bytes.length} bytes, but ${count} addresses need exactly ${expected}`,
      ip,
    );
  }
  const wire = (bytes[6] << 8) | bytes[7];
  if (internetChecksum(bytes) !== 0) {
    const copy = bytes.slice();
    copy[6] = copy[7] = 0;
    return drop(
      DropReason.badChecksum,
      `checksum ${hex16(wire)}, computed ${hex16(internetChecksum(copy))}`,
      ip,
    );
  }
  const authType = bytes[4];
  if (authType === AuthType.ipAh) {
    return drop(
      DropReason.authTypeAh,
      "auth type 2 (IP Authentication Header) is not supported",
      ip,
    );
  }
  if (authType !== AuthType.none && authType !== AuthType.simplePassword) {
    return drop(DropReason.unknownAuthType, `auth type ${authType}, expected 0 or 1`, ip);
  }
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) addresses.push(readIpv4(bytes, VRRP_HEADER_BYTES + 4 * i));
  const authStart = VRRP_HEADER_BYTES + 4 * count;
  const advert: Advertisement = {
    vrid: bytes[1],
    priority: bytes[2],
    advertIntervalSec: bytes[5],
    authType,
    authData: bytes.slice(authStart, authStart + AUTH_DATA_BYTES),
    addresses,
  };
  return ip ? { ok: true, advert, ip, checksum: wire } : { ok: true, advert, checksum: wire };
}

function internalError(err: unknown): DecodeResult {
  // unreachable by design; a decoder bug must still not throw into the receive loop
  return drop(DropReason.truncated, `decoder error: ${err instanceof Error ? err.message : err}`);
}

/** Decodes a bare VRRPv2 message (no IP header) with the §7.1 checks the bytes can tell. */
export function decodeVrrpMessage(bytes: Uint8Array): DecodeResult {
  try {
    return decodeMessageUnsafe(bytes);
  } catch (err) {
    return internalError(err);
  }
}

function decodeIpv4Unsafe(bytes: Uint8Array): DecodeResult {
  if (bytes.length < 1) return drop(DropReason.truncated, "empty packet");
  const version = bytes[0] >>> 4;
  if (version !== 4) return drop(DropReason.notIpv4, `IP version ${version}, expected 4`);
  if (bytes.length < IPV4_MIN_HEADER_BYTES) {
    return drop(
      DropReason.truncated,
      `${bytes.length} bytes, shorter than the ${IPV4_MIN_HEADER_BYTES}-byte IPv4 header`,
    );
  }
  const headerBytes = (bytes[0] & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER_BYTES) {
    return drop(DropReason.badIpHeader, `IHL ${headerBytes / 4} is below the minimum 5`);
  }
  if (bytes.length < headerBytes) {
    return drop(
      DropReason.truncated,
      `${bytes.length} bytes, shorter than the ${headerBytes}-byte IPv4 header (IHL)`,
    );
  }
  const ip: IpInfo = {
    source: readIpv4(bytes, 12),
    destination: readIpv4(bytes, 16),
    ttl: bytes[8],
    headerBytes,
  };
  const totalLength = (bytes[2] << 8) | bytes[3];
  if (totalLength < headerBytes) {
    return drop(
      DropReason.badIpHeader,
      `total length ${totalLength} is less than the header length ${headerBytes}`,
      ip,
    );
  }
  if (totalLength > bytes.length) {
    return drop(
      DropReason.truncated,
      `total length ${totalLength}, but only ${bytes.length} bytes present`,
      ip,
    );
  }
  if (internetChecksum(bytes, 0, headerBytes) !== 0) {
    return drop(DropReason.badIpHeader, "IPv4 header checksum is wrong", ip);
  }
  const fragment = (bytes[6] & 0x20) !== 0 || (((bytes[6] & 0x1f) << 8) | bytes[7]) !== 0;
  if (fragment) return drop(DropReason.badIpHeader, "IPv4 fragment (not reassembled)", ip);
  const protocol = bytes[9];
  if (protocol !== IPPROTO_VRRP) {
    return drop(DropReason.notVrrp, `IP protocol ${protocol}, expected ${IPPROTO_VRRP}`, ip);
  }
  if (ip.ttl !== VRRP_TTL) {
    return drop(DropReason.badTtl, `IP TTL ${ip.ttl}, expected ${VRRP_TTL}`, ip);
  }
  // bytes past Total Length are link-layer padding, not part of the datagram
  return decodeMessageUnsafe(bytes.subarray(headerBytes, totalLength), ip);
}

/**
 * Decodes a whole IPv4 packet as a Linux raw socket delivers it (header included): checks the
 * header (IHL, total length, header checksum, no fragment), protocol 112 and TTL 255 (§7.1),
 * then the VRRP message. The result carries `ip` whenever the IPv4 header could be read.
 */
export function decodeIpv4Packet(bytes: Uint8Array): DecodeResult {
  try {
    return decodeIpv4Unsafe(bytes);
  } catch (err) {
    return internalError(err);
  }
}
