/**
 * IP headers, beside the sockets that need them: the IPv4 header a raw IPv4 socket sends with
 * IP_HDRINCL and hands back on receive, and the IPv4/IPv6 headers of captured frames. Pure byte
 * work; addresses are raw bytes (4 or 16, network order), never text: parsing text is lib's job.
 */

/** IPv4 header without options (RFC 791). */
export const IPV4_MIN_HEADER_BYTES = 20;
/** The fixed IPv6 header (RFC 8200 §3). */
export const IPV6_HEADER_BYTES = 40;

/** Why an IP packet was not handed on: names shared with lib/vrrp's drop reasons. */
export type IpDropReason = "truncated" | "notIpv4" | "notIpv6" | "badIpHeader" | "notVrrp";

/** What an IP header said, and the payload it carries. */
export interface IpHeader {
  version: 4 | 6;
  src: Uint8Array;
  dst: Uint8Array;
  /** IPv4 TTL or IPv6 hop limit */
  hopLimit: number;
  protocol: number;
  headerBytes: number;
}

/** A parsed packet, or why not (with the header when it could be read). */
export type ParsedIp =
  | { ok: true; header: IpHeader; payload: Uint8Array }
  | { ok: false; reason: IpDropReason; detail: string; header?: IpHeader };

/** The RFC 1071 checksum of `bytes[start, end)` (the IPv4 header's own). */
export function ipChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Options of the IPv4 header {@link encodeIpv4Packet} builds. */
export interface Ipv4HeaderOptions {
  src: Uint8Array;
  dst: Uint8Array;
  protocol: number;
  /** default 255 */
  ttl?: number;
  /** default 0xc0, precedence "internetwork control", as keepalived sends */
  tos?: number;
  /** default 0 (the kernel fills it in for a raw socket) */
  id?: number;
}

/**
 * `payload` behind a 20-byte IPv4 header (IHL 5, no fragmentation flags), header checksum
 * filled in. Throws RangeError on a value that does not fit its field.
 */
export function encodeIpv4Packet(payload: Uint8Array, o: Ipv4HeaderOptions): Uint8Array {
  const ttl = o.ttl ?? 255;
  const tos = o.tos ?? 0xc0;
  const id = o.id ?? 0;
  for (const [name, v, max] of [["ttl", ttl, 255], ["tos", tos, 255], ["id", id, 0xffff]]) {
    if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > (max as number)) {
      throw new RangeError(`IPv4 ${name} must be an integer 0..${max}, got ${v}`);
    }
  }
  if (o.src.length !== 4 || o.dst.length !== 4) throw new RangeError("IPv4 addresses are 4 bytes");
  const out = new Uint8Array(IPV4_MIN_HEADER_BYTES + payload.length);
  out[0] = 0x45;
  out[1] = tos;
  out[2] = out.length >>> 8;
  out[3] = out.length & 0xff;
  out[4] = id >>> 8;
  out[5] = id & 0xff;
  out[8] = ttl;
  out[9] = o.protocol;
  out.set(o.src, 12);
  out.set(o.dst, 16);
  const sum = ipChecksum(out, 0, IPV4_MIN_HEADER_BYTES);
  out[10] = sum >>> 8;
  out[11] = sum & 0xff;
  out.set(payload, IPV4_MIN_HEADER_BYTES);
  return out;
}

/**
 * Reads an IPv4 packet as a raw socket or a capture gives it: IHL, total length, header
 * checksum, no fragment, then `protocol`. Bytes past Total Length are link-layer padding and
 * are not part of the payload. Never throws.
 */
export function parseIpv4Packet(bytes: Uint8Array, protocol: number): ParsedIp {
  if (bytes.length < 1) return { ok: false, reason: "truncated", detail: "empty packet" };
  const version = bytes[0] >>> 4;
  if (version !== 4) {
    return { ok: false, reason: "notIpv4", detail: `IP version ${version}, expected 4` };
  }
  if (bytes.length < IPV4_MIN_HEADER_BYTES) {
    return {
      ok: false,
      reason: "truncated",
      detail: `${bytes.length} bytes, shorter than the ${IPV4_MIN_HEADER_BYTES}-byte IPv4 header`,
    };
  }
  const headerBytes = (bytes[0] & 0x0f) * 4;
  if (headerBytes < IPV4_MIN_HEADER_BYTES) {
    return { ok: false, reason: "badIpHeader", detail: `IHL ${headerBytes / 4} is below 5` };
  }
  if (bytes.length < headerBytes) {
    return {
      ok: false,
      reason: "truncated",
      detail: `${bytes.length} bytes, shorter than the ${headerBytes}-byte IPv4 header (IHL)`,
    };
  }
  const header: IpHeader = {
    version: 4,
    src: bytes.slice(12, 16),
    dst: bytes.slice(16, 20),
    hopLimit: bytes[8],
    protocol: bytes[9],
    headerBytes,
  };
  const totalLength = (bytes[2] << 8) | bytes[3];
  const bad = (reason: IpDropReason, detail: string): ParsedIp => ({
    ok: false,
    reason,
    detail,
    header,
  });
  if (totalLength < headerBytes) {
    return bad("badIpHeader", `total length ${totalLength} is less than the header ${headerBytes}`);
  }
  if (totalLength > bytes.length) {
    return bad("truncated", `total length ${totalLength}, but only ${bytes.length} bytes present`);
  }
  if (ipChecksum(bytes, 0, headerBytes) !== 0) {
    return bad("badIpHeader", "IPv4 header checksum is wrong");
  }
  if ((bytes[6] & 0x20) !== 0 || (((bytes[6] & 0x1f) << 8) | bytes[7]) !== 0) {
    return bad("badIpHeader", "IPv4 fragment (not reassembled)");
  }
  if (header.protocol !== protocol) {
    return bad("notVrrp", `IP protocol ${header.protocol}, expected ${protocol}`);
  }
  return { ok: true, header, payload: bytes.subarray(headerBytes, totalLength) };
}

/**
 * Reads a captured IPv6 packet: the fixed header, payload length, and `protocol` as the next
 * header (VRRP adverts carry no extension headers). Never throws.
 */
export function parseIpv6Packet(bytes: Uint8Array, protocol: number): ParsedIp {
  if (bytes.length < 1) return { ok: false, reason: "truncated", detail: "empty packet" };
  const version = bytes[0] >>> 4;
  if (version !== 6) {
    return { ok: false, reason: "notIpv6", detail: `IP version ${version}, expected 6` };
  }
  if (bytes.length < IPV6_HEADER_BYTES) {
    return {
      ok: false,
      reason: "truncated",
      detail: `${bytes.length} bytes, shorter than the ${IPV6_HEADER_BYTES}-byte IPv6 header`,
    };
  }
  const header: IpHeader = {
    version: 6,
    src: bytes.slice(8, 24),
    dst: bytes.slice(24, 40),
    hopLimit: bytes[7],
    protocol: bytes[6],
    headerBytes: IPV6_HEADER_BYTES,
  };
  const payloadLength = (bytes[4] << 8) | bytes[5];
  if (IPV6_HEADER_BYTES + payloadLength > bytes.length) {
    return {
      ok: false,
      reason: "truncated",
      detail: `payload length ${payloadLength}, but only ${
        bytes.length - IPV6_HEADER_BYTES
      } bytes present`,
      header,
    };
  }
  if (header.protocol !== protocol) {
    return {
      ok: false,
      reason: "notVrrp",
      detail: `next header ${header.protocol}, expected ${protocol}`,
      header,
    };
  }
  return {
    ok: true,
    header,
    payload: bytes.subarray(IPV6_HEADER_BYTES, IPV6_HEADER_BYTES + payloadLength),
  };
}

/** Options of the IPv6 header {@link encodeIpv6Packet} builds. */
export interface Ipv6HeaderOptions {
  src: Uint8Array;
  dst: Uint8Array;
  nextHeader: number;
  /** default 255 */
  hopLimit?: number;
  /** default 0xc0, as keepalived sets IPV6_TCLASS */
  trafficClass?: number;
  /** 20 bits, default 0 */
  flowLabel?: number;
}

/**
 * `payload` behind the fixed IPv6 header (no extension headers): what the kernel builds for a
 * raw IPv6 socket; here for captures, tests and the simulation. Throws RangeError on a value
 * that does not fit its field.
 */
export function encodeIpv6Packet(payload: Uint8Array, o: Ipv6HeaderOptions): Uint8Array {
  const hop = o.hopLimit ?? 255;
  const tc = o.trafficClass ?? 0xc0;
  const flow = o.flowLabel ?? 0;
  if (o.src.length !== 16 || o.dst.length !== 16) {
    throw new RangeError("IPv6 addresses are 16 bytes");
  }
  if (payload.length > 0xffff) throw new RangeError(`payload of ${payload.length} bytes`);
  if (!(hop >= 0 && hop <= 255) || !(tc >= 0 && tc <= 255) || !(flow >= 0 && flow < 1 << 20)) {
    throw new RangeError(`IPv6 header field out of range: hop ${hop} tc ${tc} flow ${flow}`);
  }
  const out = new Uint8Array(IPV6_HEADER_BYTES + payload.length);
  out[0] = 0x60 | (tc >>> 4);
  out[1] = ((tc & 0x0f) << 4) | (flow >>> 16);
  out[2] = (flow >>> 8) & 0xff;
  out[3] = flow & 0xff;
  out[4] = payload.length >>> 8;
  out[5] = payload.length & 0xff;
  out[6] = o.nextHeader;
  out[7] = hop;
  out.set(o.src, 8);
  out.set(o.dst, 24);
  out.set(payload, IPV6_HEADER_BYTES);
  return out;
}
