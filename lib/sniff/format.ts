/** One text line or one JSON object per decoded packet, shared by `vrrp decode` and `sniff`. */
import type { ArpPacket } from "../vrrp/arp.ts";
import type { NeighborAdvert } from "../vrrp/ndisc.ts";
import type { ClassifiedPacket, LooseAdvertFields } from "./classify.ts";

/** A VRRP or ARP packet with where and when it was seen. */
export interface PacketEvent {
  /** 1-based frame number in the capture, when from a file */
  frame?: number;
  /** capture time, when known */
  time?: { sec: number; nsec: number; nanosecond: boolean };
  packet: Exclude<ClassifiedPacket, { kind: "other" }>;
}

/** "2026-11-26T03:10:03.845128Z" (9 fraction digits for nanosecond captures). */
export function formatTime(sec: number, nsec: number, nanosecond: boolean): string {
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  const frac = nanosecond
    ? String(nsec).padStart(9, "0")
    : String(Math.floor(nsec / 1000)).padStart(6, "0");
  return `${base}.${frac}Z`;
}

/** The password text of auth data when printable ASCII (trailing NULs dropped), else null. */
export function printablePassword(authData: Uint8Array): string | null {
  let end = authData.length;
  while (end > 0 && authData[end - 1] === 0) end--;
  for (let i = 0; i < end; i++) if (authData[i] < 0x20 || authData[i] > 0x7e) return null;
  return String.fromCharCode(...authData.subarray(0, end));
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** "none", `pass "1-intern"`, "pass hex:…", "ah" or "type N". */
export function describeAuth(authType: number | undefined, authData?: Uint8Array): string {
  if (authType === undefined) return "?";
  if (authType === 0) return "none";
  if (authType === 1) {
    if (!authData) return "pass ?";
    const text = printablePassword(authData);
    return text === null ? `pass hex:${hex(authData)}` : `pass ${JSON.stringify(text)}`;
  }
  if (authType === 2) return "ah";
  return `type ${authType}`;
}

const q = (v: number | undefined) => v === undefined ? "?" : String(v);

function vrrpFields(f: LooseAdvertFields): string {
  const csum = f.checksum === undefined ? "?" : `0x${f.checksum.toString(16).padStart(4, "0")}`;
  // VRRPv3 has no authentication fields (RFC 5798 §5.2)
  const auth = f.version === 3 ? "v3" : `auth ${describeAuth(f.authType, f.authData)}`;
  return `vrid ${q(f.vrid)} prio ${q(f.priority)} addrs ${f.addresses.join(",") || "-"} ` +
    `${auth} int ${
      f.advertIntervalCs === undefined ? "?" : f.advertIntervalCs / 100
    }s csum ${csum}`;
}

function arpText(a: ArpPacket): string {
  const op = typeof a.op === "number" ? `op ${a.op}` : a.op;
  const g = a.gratuitous ? " gratuitous" : "";
  if (a.op === "reply") {
    return `ARP ${op} ${a.senderIp} is-at ${a.senderMac} to ${a.targetIp} (${a.targetMac})${g}`;
  }
  return `ARP ${op} who-has ${a.targetIp} tell ${a.senderIp} (${a.senderMac})${g}`;
}

function naText(n: NeighborAdvert): string {
  const flags = [n.router ? "R" : "", n.solicited ? "S" : "", n.override ? "O" : ""].join("") ||
    "-";
  const lla = n.targetMac ? ` is-at ${n.targetMac}` : "";
  const csum = n.checksumOk ? "" : " bad checksum";
  const u = n.unsolicited ? " unsolicited" : "";
  return `NA ${n.target}${lla} from ${n.source} to ${n.destination} flags ${flags} ` +
    `hlim ${n.hopLimit}${u}${csum}`;
}

/** One human-readable line. */
export function formatPacketLine(ev: PacketEvent): string {
  const head: string[] = [];
  if (ev.frame !== undefined) head.push(`#${ev.frame}`);
  head.push(ev.time ? formatTime(ev.time.sec, ev.time.nsec, ev.time.nanosecond) : "-");
  const p = ev.packet;
  if (p.kind === "arp") return `${head.join(" ")} ${arpText(p.arp)}`;
  if (p.kind === "na") return `${head.join(" ")} ${naText(p.na)}`;
  const r = p.result;
  const ip = r.ip
    ? `${r.ip.source} > ${r.ip.destination} ${r.ip.family === "ipv6" ? "hlim" : "ttl"} ${r.ip.ttl}`
    : "(bare message)";
  const verdict = r.ok ? "valid" : `invalid: ${r.reason}: ${r.detail}`;
  return `${head.join(" ")} VRRP ${ip} ${vrrpFields(p.fields)} ${verdict}`;
}

/** One JSON-ready object; field names follow lib/vrrp/types.ts. */
export function packetJson(ev: PacketEvent): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (ev.frame !== undefined) o.frame = ev.frame;
  if (ev.time) {
    o.time = formatTime(ev.time.sec, ev.time.nsec, ev.time.nanosecond);
    o.timeNs = `${BigInt(ev.time.sec) * 1_000_000_000n + BigInt(ev.time.nsec)}`;
  }
  const p = ev.packet;
  if (p.kind === "arp") return { ...o, kind: "arp", ...p.arp };
  if (p.kind === "na") return { ...o, kind: "na", ...p.na };
  const r = p.result;
  const f = p.fields;
  o.kind = "vrrp";
  if (r.ip) {
    o.family = r.ip.family;
    o.source = r.ip.source;
    o.destination = r.ip.destination;
    o.ttl = r.ip.ttl;
  }
  Object.assign(o, {
    version: f.version,
    vrid: f.vrid,
    priority: f.priority,
    count: f.count,
    authType: f.authType,
    advertIntervalCs: f.advertIntervalCs,
    checksum: f.checksum,
    addresses: f.addresses,
  });
  if (f.authData) {
    o.authData = hex(f.authData);
    const text = printablePassword(f.authData);
    if (f.authType === 1 && text !== null) o.password = text;
  }
  o.valid = r.ok;
  if (!r.ok) {
    o.reason = r.reason;
    o.detail = r.detail;
  }
  return o;
}
