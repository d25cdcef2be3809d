/** The Internet checksum (RFC 1071), used by the IPv4 header and by VRRP (RFC 3768 §5.3.8). */

/**
 * The 16-bit one's complement of the one's complement sum of `bytes[start, end)`, read as
 * big-endian 16-bit words (an odd last byte is padded with a zero byte). Computed over a block
 * whose checksum field holds the transmitted value, a correct block gives 0.
 */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  let i = start;
  for (; i + 1 < end; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (i < end) sum += bytes[i] << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
