/** Hex text <-> bytes, for `vrrp decode --hex`, fixtures and test output. */

/**
 * Parses hex text into bytes. Whitespace, ':' and '-' separators and a leading "0x" are
 * allowed; returns null on any other character or an odd number of digits.
 */
export function parseHex(text: string): Uint8Array | null {
  const clean = text.trim().replace(/^0x/i, "").replace(/[\s:-]/g, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) return null;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lower-case hex without separators. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}
