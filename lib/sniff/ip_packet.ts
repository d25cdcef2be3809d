/**
 * A captured IP packet carrying VRRP, decoded whole: the IP header (read beside the sockets,
 * ffi/ip_header.ts), then the message checked against its addresses and hop limit. For
 * `vrrp decode`, `vrrp sniff` and the bench's captures. Pure, never throws.
 */
import { type IpHeader, parseIpv4Packet, parseIpv6Packet } from "../../ffi/ip_header.ts";
import { Family, isMulticast, readAddress } from "../vrrp/address.ts";
import { IPPROTO_VRRP } from "../vrrp/constants.ts";
import { decodeAdvert } from "../vrrp/packet.ts";
import type { DecodeResult, IpInfo } from "../vrrp/types.ts";

/** The header as the decode result carries it (text addresses). */
export function ipInfo(h: IpHeader): IpInfo {
  const family = h.version === 4 ? Family.ipv4 : Family.ipv6;
  return {
    family,
    source: readAddress(h.src, 0, family),
    destination: readAddress(h.dst, 0, family),
    ttl: h.hopLimit,
    headerBytes: h.headerBytes,
  };
}

/**
 * Decodes an IPv4 or IPv6 packet (by its version nibble) carrying a VRRP message: the IP
 * checks, then TTL / hop limit 255 and the message (RFC 3768 §7.1, RFC 5798 §7.1). The result
 * carries `ip` whenever the header could be read.
 */
export function decodeIpPacket(bytes: Uint8Array): DecodeResult {
  const v6 = bytes.length > 0 && bytes[0] >>> 4 === 6;
  const p = v6 ? parseIpv6Packet(bytes, IPPROTO_VRRP) : parseIpv4Packet(bytes, IPPROTO_VRRP);
  if (!p.ok) {
    const base = { ok: false as const, reason: p.reason, detail: p.detail };
    return p.header ? { ...base, ip: ipInfo(p.header) } : base;
  }
  const ip = ipInfo(p.header);
  // unicast adverts (keepalived's unicast_peer) may arrive with any TTL: the 255 rule is for
  // the group (keepalived skips it in unicast mode, and unicast_ttl may set another)
  const r = decodeAdvert(p.payload, {
    family: ip.family,
    src: ip.source,
    dst: ip.destination,
    ...(isMulticast(ip.destination) ? { hopLimit: ip.ttl } : {}),
  });
  return { ...r, ip };
}

/** The message of a packet {@link decodeIpPacket} read the header of, ignoring the hop limit. */
export function decodeIgnoringHopLimit(bytes: Uint8Array, ip: IpInfo): DecodeResult {
  const v6 = ip.family === Family.ipv6;
  const p = v6 ? parseIpv6Packet(bytes, IPPROTO_VRRP) : parseIpv4Packet(bytes, IPPROTO_VRRP);
  if (!p.ok) return { ok: false, reason: p.reason, detail: p.detail, ip };
  const r = decodeAdvert(p.payload, { family: ip.family, src: ip.source, dst: ip.destination });
  return { ...r, ip };
}
