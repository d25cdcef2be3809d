/**
 * VRRP advertisements on the wire, v2 (RFC 3768 §5.3) and v3 (RFC 5798 §5.2): the message alone,
 * checked against the addresses it travelled between (the v3 checksum covers an IPv4 or IPv6
 * pseudo-header, RFC 5798 §5.2.8). The IP header itself is built and read beside the sockets.
 * Decoding never throws: it returns an advert or a drop reason.
 *
 * Length rule: like keepalived 2.2.7 (`vrrp_check_packet`: "vrrp packet too long/short"), the
 * message must be exactly its header, Count IP Addrs addresses and (v2) the 8 auth bytes;
 * trailing bytes are `badLength`.
 */
import { Family } from "./address.ts";
import { addressBytes, readAddress, writeAddress } from "./address.ts";
import {
  AUTH_DATA_BYTES,
  AuthType,
  IPPROTO_VRRP,
  MAX_ADVERT_INTERVAL_CS_V3,
  MAX_ADVERT_INTERVAL_SEC_V2,
  VRRP_HEADER_BYTES,
  VRRP_TTL,
  VRRP_TYPE_ADVERTISEMENT,
  VrrpVersion,
} from "./constants.ts";
import { internetChecksum } from "./checksum.ts";
import type { Advertisement, DecodeResult, WireAddresses } from "./types.ts";
import { DropReason } from "./types.ts";

/** The length of a message of `version` carrying `count` addresses of `family` (§5.3, §5.2). */
export function vrrpMessageBytes(version: VrrpVersion, family: Family, count: number): number {
  const auth = version === VrrpVersion.v2 ? AUTH_DATA_BYTES : 0;
  return VRRP_HEADER_BYTES + addressBytes(family) * count + auth;
}

/**
 * §5.3.10 authentication data for a simple text password: its UTF-8 bytes, cut to the first 8
 * and zero-padded to 8 (keepalived sends "1-internal-ha" as "1-intern").
 */
export function authDataFromPassword(password: string): Uint8Array {
  let bytes = authDataCache.get(password);
  if (bytes === undefined) {
    bytes = new Uint8Array(AUTH_DATA_BYTES);
    bytes.set(new TextEncoder().encode(password).subarray(0, AUTH_DATA_BYTES));
    if (authDataCache.size >= 256) authDataCache.clear();
    authDataCache.set(password, bytes);
  }
  return bytes.slice(); // every advert asks again: no TextEncoder on that path
}

const authDataCache = new Map<string, Uint8Array>();

function checkInt(name: string, v: number, max: number): void {
  if (!Number.isInteger(v) || v < 0 || v > max) {
    throw new RangeError(`${name} must be an integer 0..${max}, got ${v}`);
  }
}

/**
 * The checksum of `message` (its checksum field included as it stands): v2 over the message
 * alone (RFC 3768 §5.3.8), v3 over the pseudo-header of `wire` and the message (RFC 5798
 * §5.2.8: RFC 8200 §8.1 for IPv6, the IPv4 equivalent for IPv4).
 */
export function vrrpChecksum(message: Uint8Array, wire: WireAddresses): number {
  if ((message[0] >>> 4) !== VrrpVersion.v3) return internetChecksum(message);
  const n = addressBytes(wire.family);
  const pseudo = new Uint8Array(n === 4 ? 12 : 40);
  writeAddress(pseudo, 0, wire.src, wire.family);
  writeAddress(pseudo, n, wire.dst, wire.family);
  const len = message.length;
  if (n === 4) {
    // src, dst, zero, protocol, VRRP length (16 bits)
    pseudo[9] = IPPROTO_VRRP;
    pseudo[10] = len >>> 8;
    pseudo[11] = len & 0xff;
  } else {
    // src, dst, upper-layer length (32 bits), 3 zero bytes, next header
    pseudo[34] = len >>> 8;
    pseudo[35] = len & 0xff;
    pseudo[39] = IPPROTO_VRRP;
  }
  const all = new Uint8Array(pseudo.length + len);
  all.set(pseudo);
  all.set(message, pseudo.length);
  return internetChecksum(all);
}

/**
 * Encodes an advertisement sent between `wire`'s addresses, checksum filled in. Throws
 * RangeError on values that cannot go on the wire (a programming error, not bad input from the
 * network): v2 over IPv6, a v2 interval not in whole seconds, an address of the other family.
 * v2 auth data shorter than 8 bytes is zero-padded, longer is cut.
 */
export function encodeAdvert(advert: Advertisement, wire: WireAddresses): Uint8Array {
  const { version } = advert;
  if (version !== VrrpVersion.v2 && version !== VrrpVersion.v3) {
    throw new RangeError(`version must be 2 or 3, got ${version}`);
  }
  if (version === VrrpVersion.v2 && wire.family !== Family.ipv4) {
    throw new RangeError("VRRPv2 runs over IPv4 only (RFC 3768)");
  }
  checkInt("vrid", advert.vrid, 255);
  checkInt("priority", advert.priority, 255);
  checkInt("address count", advert.addresses.length, 255);
  const count = advert.addresses.length;
  const out = new Uint8Array(vrrpMessageBytes(version, wire.family, count));
  out[0] = (version << 4) | VRRP_TYPE_ADVERTISEMENT;
  out[1] = advert.vrid;
  out[2] = advert.priority;
  out[3] = count;
  if (version === VrrpVersion.v2) {
    if (advert.advertIntervalCs % 100 !== 0) {
      throw new RangeError(
        `VRRPv2 interval must be whole seconds, got ${advert.advertIntervalCs} cs`,
      );
    }
    checkInt("advertIntervalSec", advert.advertIntervalCs / 100, MAX_ADVERT_INTERVAL_SEC_V2);
    checkInt("authType", advert.authType, 255);
    out[4] = advert.authType;
    out[5] = advert.advertIntervalCs / 100;
  } else {
    checkInt("advertIntervalCs", advert.advertIntervalCs, MAX_ADVERT_INTERVAL_CS_V3);
    // 4 reserved bits, zero (RFC 5798 §5.2.6), then the 12-bit Max Adver Int
    out[4] = advert.advertIntervalCs >>> 8;
    out[5] = advert.advertIntervalCs & 0xff;
  }
  // bytes 6-7: checksum, zero while summing
  const step = addressBytes(wire.family);
  advert.addresses.forEach((a, i) =>
    writeAddress(out, VRRP_HEADER_BYTES + step * i, a, wire.family)
  );
  if (version === VrrpVersion.v2) {
    out.set(advert.authData.subarray(0, AUTH_DATA_BYTES), VRRP_HEADER_BYTES + step * count);
  }
  const sum = vrrpChecksum(out, wire);
  out[6] = sum >>> 8;
  out[7] = sum & 0xff;
  return out;
}

function drop(reason: DropReason, detail: string): DecodeResult {
  return { ok: false, reason, detail };
}

function hex16(n: number): string {
  return `0x${n.toString(16).padStart(4, "0")}`;
}

/** The addresses a message was received with; `hopLimit` absent when not known (a bare message). */
export type DecodeAddresses = WireAddresses & { hopLimit?: number };

function decodeUnsafe(bytes: Uint8Array, wire: DecodeAddresses | null): DecodeResult {
  if (wire && wire.hopLimit !== undefined && wire.hopLimit !== VRRP_TTL) {
    const what = wire.family === Family.ipv4 ? "IP TTL" : "IPv6 hop limit";
    return drop(DropReason.badTtl, `${what} ${wire.hopLimit}, expected ${VRRP_TTL}`);
  }
  if (bytes.length < VRRP_HEADER_BYTES) {
    return drop(
      DropReason.truncated,
      `VRRP message of ${bytes.length} bytes is shorter than the ${VRRP_HEADER_BYTES}-byte header`,
    );
  }
  const version = bytes[0] >>> 4;
  if (version !== VrrpVersion.v2 && version !== VrrpVersion.v3) {
    return drop(DropReason.badVersion, `version ${version}, expected 2 or 3`);
  }
  if (version === VrrpVersion.v2 && wire && wire.family !== Family.ipv4) {
    return drop(DropReason.badVersion, "version 2 over IPv6 (VRRPv2 is IPv4 only)");
  }
  const type = bytes[0] & 0x0f;
  if (type !== VRRP_TYPE_ADVERTISEMENT) {
    return drop(
      DropReason.badType,
      `type ${type}, expected ${VRRP_TYPE_ADVERTISEMENT} (advertisement)`,
    );
  }
  const count = bytes[3];
  // a bare v3 message (no addresses known) tells its family by its length alone
  const family = wire?.family ??
    (version === VrrpVersion.v3 && count > 0 && bytes.length === 8 + 16 * count
      ? Family.ipv6
      : Family.ipv4);
  const expected = vrrpMessageBytes(version, family, count);
  if (bytes.length !== expected) {
    return drop(
      DropReason.badLength,
      `message of ${bytes.length} bytes, but ${count} addresses need exactly ${expected}`,
    );
  }
  const wireSum = (bytes[6] << 8) | bytes[7];
  if (wire || version === VrrpVersion.v2) {
    const w = wire ?? { family, src: "0.0.0.0", dst: "0.0.0.0" };
    if (vrrpChecksum(bytes, w) !== 0) {
      const copy = bytes.slice();
      copy[6] = copy[7] = 0;
      return drop(
        DropReason.badChecksum,
        `checksum ${hex16(wireSum)}, computed ${hex16(vrrpChecksum(copy, w))}`,
      );
    }
  }
  let authType: number = AuthType.none;
  let advertIntervalCs: number;
  let authData = new Uint8Array(0);
  const step = addressBytes(family);
  if (version === VrrpVersion.v2) {
    authType = bytes[4];
    if (authType === AuthType.ipAh) {
      return drop(DropReason.authTypeAh, "auth type 2 (IP Authentication Header) is not supported");
    }
    if (authType !== AuthType.none && authType !== AuthType.simplePassword) {
      return drop(DropReason.unknownAuthType, `auth type ${authType}, expected 0 or 1`);
    }
    advertIntervalCs = bytes[5] * 100;
    const authStart = VRRP_HEADER_BYTES + step * count;
    authData = bytes.slice(authStart, authStart + AUTH_DATA_BYTES);
  } else {
    // the 4 reserved bits are ignored on receipt (RFC 5798 §5.2.6)
    advertIntervalCs = ((bytes[4] & 0x0f) << 8) | bytes[5];
  }
  const addresses: string[] = [];
  for (let i = 0; i < count; i++) {
    addresses.push(readAddress(bytes, VRRP_HEADER_BYTES + step * i, family));
  }
  const advert: Advertisement = {
    version,
    vrid: bytes[1],
    priority: bytes[2],
    advertIntervalCs,
    authType,
    authData,
    addresses,
  };
  return { ok: true, advert, checksum: wireSum };
}

/**
 * Decodes a VRRP message received between `wire`'s addresses with the receiving checks the
 * bytes and addresses can tell (RFC 3768 §7.1, RFC 5798 §7.1): hop limit 255 (when given),
 * version, type, exact length, checksum (v3: with the pseudo-header), v2 auth type. Without
 * `wire` (a bare message from `vrrp decode --hex`) a v3 checksum cannot be verified and is not.
 */
export function decodeAdvert(bytes: Uint8Array, wire: DecodeAddresses | null): DecodeResult {
  try {
    return decodeUnsafe(bytes, wire);
  } catch (err) {
    // unreachable by design; a decoder bug must still not throw into the receive loop
    return drop(
      DropReason.truncated,
      `decoder error: ${err instanceof Error ? err.message : err}`,
    );
  }
}
