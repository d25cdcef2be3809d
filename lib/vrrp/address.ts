/**
 * IP addresses of both families: one tagged type, one parser, one formatter.
 *
 * Messages, state and logs carry addresses as their canonical text (dotted quad, RFC 5952 for
 * IPv6), so equality is string equality and JSON reads well; the wire, the checksum
 * pseudo-header and the sockets use the parsed form ({@link IpAddress}: family + bytes).
 */

/** The two address families VRRP runs over (RFC 5798 §5.1). */
export const Family = {
  ipv4: "ipv4",
  ipv6: "ipv6",
} as const;
export type Family = typeof Family[keyof typeof Family];

/** An address, tagged with its family: 4 bytes for IPv4, 16 for IPv6, network order. */
export interface IpAddress {
  readonly family: Family;
  readonly bytes: Uint8Array;
}

/** Bytes of an address of `family`. */
export function addressBytes(family: Family): 4 | 16 {
  return family === Family.ipv4 ? 4 : 16;
}

function parseIpv4Bytes(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    // no signs, spaces, hex or leading zeros (which some resolvers read as octal)
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i])) return null;
    const octet = Number(parts[i]);
    if (octet > 255) return null;
    out[i] = octet;
  }
  return out;
}

function parseGroups(s: string): number[] | null {
  if (s === "") return [];
  const groups: number[] = [];
  for (const g of s.split(":")) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    groups.push(parseInt(g, 16));
  }
  return groups;
}

function parseIpv6Bytes(s: string): Uint8Array | null {
  if (s.length > 45 || !/^[0-9a-fA-F:.]+$/.test(s)) return null;
  let text = s;
  // an embedded IPv4 address in the last 32 bits (::ffff:10.0.0.1): rewrite it as two groups
  const lastColon = text.lastIndexOf(":");
  if (text.indexOf(".", lastColon) >= 0) {
    const v4 = parseIpv4Bytes(text.slice(lastColon + 1));
    if (v4 === null) return null;
    const hi = ((v4[0] << 8) | v4[1]).toString(16);
    const lo = ((v4[2] << 8) | v4[3]).toString(16);
    text = `${text.slice(0, lastColon + 1)}${hi}:${lo}`;
  }
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (head === null || tail === null) return null;
  let words: number[];
  if (halves.length === 1) {
    words = head;
  } else {
    if (head.length + tail.length > 7) return null;
    words = [...head, ...new Array(8 - head.length - tail.length).fill(0), ...tail];
  }
  if (words.length !== 8) return null;
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

/**
 * Parses an IPv4 dotted quad or an IPv6 address (any RFC 4291 text form, without zone or
 * prefix); null for anything else. The one address parser of the project.
 */
export function parseAddress(s: string): IpAddress | null {
  if (typeof s !== "string") return null;
  // the same few addresses come back with every advert (checksum pseudo-header, checks)
  let a = parsed.get(s);
  if (a === undefined) {
    a = parseUncached(s);
    if (parsed.size >= PARSED_MAX) parsed.clear();
    parsed.set(s, a);
  }
  // a copy: callers may keep or change the bytes
  return a && { family: a.family, bytes: a.bytes.slice() };
}

/** Addresses parsed so far, by their text. Bounded. */
const parsed = new Map<string, IpAddress | null>();
const PARSED_MAX = 4096;

function parseUncached(s: string): IpAddress | null {
  if (s.includes(":")) {
    const bytes = parseIpv6Bytes(s);
    return bytes && { family: Family.ipv6, bytes };
  }
  const bytes = parseIpv4Bytes(s);
  return bytes && { family: Family.ipv4, bytes };
}

/** Formats 4 or 16 bytes at `offset` of `bytes` (by `family`) as canonical text. */
export function readAddress(bytes: Uint8Array, offset: number, family: Family): string {
  if (family === Family.ipv4) {
    return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
  }
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[offset + 2 * i] << 8) | bytes[offset + 2 * i + 1]);
  // RFC 5952 §4.2: the longest run (≥ 2) of zero words becomes "::", the first on a tie
  let best = -1, bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (ws: number[]) => ws.map((w) => w.toString(16)).join(":");
  if (best < 0) return hex(words);
  return `${hex(words.slice(0, best))}::${hex(words.slice(best + bestLen))}`;
}

/** The canonical text of an address. */
export function formatAddress(a: IpAddress): string {
  return readAddress(a.bytes, 0, a.family);
}

/** The canonical text of `s` (e.g. "FE80:0::1" -> "fe80::1"), or null when it is no address. */
export function canonicalAddress(s: string): string | null {
  const a = parseAddress(s);
  return a && formatAddress(a);
}

/** The family of `s`, or null when it is no address. */
export function familyOf(s: string): Family | null {
  return parseAddress(s)?.family ?? null;
}

/**
 * Writes the address `text` at `offset`; throws RangeError when it is not an address of
 * `family` (encoder input, a programming error).
 */
export function writeAddress(bytes: Uint8Array, offset: number, text: string, family: Family) {
  const a = parseAddress(text);
  if (a === null || a.family !== family) {
    throw new RangeError(`invalid ${family} address ${JSON.stringify(text)}`);
  }
  bytes.set(a.bytes, offset);
}

/**
 * Compares two addresses in numeric (byte) order: negative, 0, positive. RFC 5798 §6.4.3 breaks
 * a priority tie by "the primary IP address" (IPv4) or "the IPv6 link-local address" (IPv6),
 * higher wins. IPv4 sorts before IPv6; unparseable strings sort before every address, and
 * among themselves by string order.
 */
export function compareAddresses(a: string, b: string): number {
  const x = parseAddress(a);
  const y = parseAddress(b);
  if (x === null || y === null) {
    if (x !== null) return 1;
    if (y !== null) return -1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (x.family !== y.family) return x.family === Family.ipv4 ? -1 : 1;
  for (let i = 0; i < x.bytes.length; i++) {
    if (x.bytes[i] !== y.bytes[i]) return x.bytes[i] - y.bytes[i];
  }
  return 0;
}

/** Whether `s` is an IPv6 link-local unicast address (fe80::/10). */
export function isLinkLocal6(s: string): boolean {
  const a = parseAddress(s);
  return a !== null && a.family === Family.ipv6 && a.bytes[0] === 0xfe &&
    (a.bytes[1] & 0xc0) === 0x80;
}

/** Whether `s` is a multicast address of its family (224.0.0.0/4, ff00::/8). */
export function isMulticast(s: string): boolean {
  const a = parseAddress(s);
  if (a === null) return false;
  return a.family === Family.ipv4 ? (a.bytes[0] & 0xf0) === 0xe0 : a.bytes[0] === 0xff;
}
