/** IPv4 addresses as dotted-quad strings and unsigned 32-bit numbers. */

/**
 * Parses a dotted quad ("10.101.0.101") into an unsigned 32-bit number; null when `s` is not
 * exactly four decimal octets 0..255 (no signs, spaces, hex or leading zeros, which some
 * resolvers would read as octal).
 */
export function parseIpv4(s: string): number | null {
  if (typeof s !== "string") return null;
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const octet = Number(p);
    if (octet > 255) return null;
    n = n * 256 + octet;
  }
  return n >>> 0;
}

/** Formats an unsigned 32-bit number (taken modulo 2^32) as a dotted quad. */
export function formatIpv4(n: number): string {
  const u = n >>> 0;
  return `${u >>> 24}.${(u >>> 16) & 0xff}.${(u >>> 8) & 0xff}.${u & 0xff}`;
}

/**
 * Compares two dotted quads in numeric order (negative, 0, positive), as RFC 3768 §6.4.3 needs
 * for the tie-break on equal priority ("the higher primary IP address wins"). Unparseable
 * strings sort before every address, and among themselves by string order.
 */
export function compareIpv4(a: string, b: string): number {
  const x = parseIpv4(a);
  const y = parseIpv4(b);
  if (x === null || y === null) {
    if (x !== null) return 1;
    if (y !== null) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Reads 4 bytes at `offset` as a dotted quad (caller guarantees the bounds). */
export function readIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Writes a dotted quad at `offset`; throws RangeError on an invalid address (encoder input). */
export function writeIpv4(bytes: Uint8Array, offset: number, ip: string): void {
  const n = parseIpv4(ip);
  if (n === null) throw new RangeError(`invalid IPv4 address ${JSON.stringify(ip)}`);
  bytes[offset] = n >>> 24;
  bytes[offset + 1] = (n >>> 16) & 0xff;
  bytes[offset + 2] = (n >>> 8) & 0xff;
  bytes[offset + 3] = n & 0xff;
}
