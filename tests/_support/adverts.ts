import { encodeIpv4Packet, encodeIpv6Packet } from "../../ffi/ip_header.ts";
import { Family, parseAddress } from "../../lib/vrrp/address.ts";
import { IPPROTO_VRRP, VRRP_MCAST_GROUP4, VRRP_MCAST_GROUP6 } from "../../lib/vrrp/constants.ts";
import { authDataFromPassword, encodeAdvert } from "../../lib/vrrp/packet.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";
import type { ReceivedMessage } from "../../lib/daemon/effects.ts";

/** The tutorial's ha-internal-1 advert (VRID 1, priority 100, two VIPs), with `over` applied. */
export function tutorialAdvert(over: Partial<Advertisement> = {}): Advertisement {
  return {
    version: 2,
    vrid: 1,
    priority: 100,
    advertIntervalCs: 100,
    authType: 1,
    authData: authDataFromPassword("1-internal-ha"),
    addresses: ["10.101.0.101", "10.101.0.102"],
    ...over,
  };
}

function v4(text: string): Uint8Array {
  const a = parseAddress(text);
  if (a === null || a.family !== Family.ipv4) throw new RangeError(`not IPv4: ${text}`);
  return a.bytes;
}

/**
 * A whole IPv4 packet carrying `advert` from `source` (to 224.0.0.18), as keepalived sends it:
 * for captures, the sniffer and raw sockets.
 */
export function ipv4Packet(
  advert: Advertisement,
  ip: { source: string; destination?: string; ttl?: number; id?: number },
): Uint8Array {
  const dst = ip.destination ?? VRRP_MCAST_GROUP4;
  const message = encodeAdvert(advert, { family: Family.ipv4, src: ip.source, dst });
  return encodeIpv4Packet(message, {
    src: v4(ip.source),
    dst: v4(dst),
    ttl: ip.ttl ?? 255,
    protocol: IPPROTO_VRRP,
    id: ip.id ?? 0,
  });
}

/**
 * A whole IP packet of either family carrying `advert` from `source` (to the family's group
 * unless told), as keepalived sends it (IPv6: traffic class 0xc0, hop limit 255).
 */
export function ipPacket(
  advert: Advertisement,
  ip: { source: string; destination?: string; ttl?: number; id?: number; flowLabel?: number },
): Uint8Array {
  const src = parseAddress(ip.source);
  if (src === null) throw new RangeError(`not an address: ${ip.source}`);
  if (src.family === Family.ipv4) return ipv4Packet(advert, ip);
  const dst = ip.destination ?? VRRP_MCAST_GROUP6;
  const message = encodeAdvert(advert, { family: Family.ipv6, src: ip.source, dst });
  return encodeIpv6Packet(message, {
    src: src.bytes,
    dst: parseAddress(dst)!.bytes,
    hopLimit: ip.ttl ?? 255,
    nextHeader: IPPROTO_VRRP,
    flowLabel: ip.flowLabel ?? 0,
  });
}

/** `advert` from `source` as a port delivers it (IPv4 multicast, hop limit 255 unless given). */
export function received(
  advert: Advertisement,
  ip: { source: string; destination?: string; ttl?: number },
): ReceivedMessage {
  const family = parseAddress(ip.source)?.family ?? Family.ipv4;
  const dst = ip.destination ?? (family === Family.ipv4 ? VRRP_MCAST_GROUP4 : VRRP_MCAST_GROUP6);
  return {
    ok: true,
    message: encodeAdvert(advert, { family, src: ip.source, dst }),
    family,
    src: ip.source,
    dst,
    hopLimit: ip.ttl ?? 255,
    ifindex: 1,
    atMs: 0,
  };
}
