/** Gratuitous ARP bursts: which frames to send for an instance's VIPs. */
import { encodeGratuitousArp } from "../vrrp/arp.ts";

/**
 * The frames of one burst: for every VIP, `repeat` gratuitous ARPs (at least one) from `mac`,
 * interleaved so every address is announced once before any is repeated.
 */
export function garpFrames(mac: Uint8Array, vips: string[], repeat: number): Uint8Array[] {
  const frames: Uint8Array[] = [];
  const perVip = vips.map((ip) => encodeGratuitousArp(mac, ip));
  for (let i = 0; i < Math.max(1, repeat); i++) frames.push(...perVip);
  return frames;
}
