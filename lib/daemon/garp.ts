/**
 * Address announcements after becoming master: gratuitous ARP for IPv4 VIPs, unsolicited
 * neighbour advertisements for IPv6 ones (RFC 5798 §6.4.2), with the same delay/repeat/refresh
 * schedule.
 */
import { encodeGratuitousArp } from "../vrrp/arp.ts";
import { encodeNeighborAdvert } from "../vrrp/ndisc.ts";
import { Family, familyOf } from "../vrrp/address.ts";

/** The announcement frame of one VIP: ARP for IPv4, an unsolicited NA for IPv6. */
export function announceFrame(mac: Uint8Array, ip: string): Uint8Array {
  return familyOf(ip) === Family.ipv6
    ? encodeNeighborAdvert(mac, ip)
    : encodeGratuitousArp(mac, ip);
}

/**
 * The frames of one burst: for every VIP, `repeat` announcements (at least one) from `mac`,
 * interleaved so every address is announced once before any is repeated.
 */
export function garpFrames(mac: Uint8Array, vips: string[], repeat: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const perVip = vips.map((ip) => announceFrame(mac, ip));
  for (let i = 0; i < Math.max(1, repeat); i++) frames.push(...perVip);
  return frames;
}
