/**
 * The IPv4 and IPv6 addresses on the host, read in-process with one rtnetlink RTM_GETADDR dump,
 * and watched through the RTMGRP_IPV4_IFADDR and RTMGRP_IPV6_IFADDR groups (RTM_NEWADDR /
 * RTM_DELADDR as they happen). The VIP batcher reads the host before and after each `ip -batch`
 * run; spawning `ip -j addr show` for that cost about 3 ms on the failover path. Adding and
 * removing still goes through `ip`. The parsers are pure and never throw.
 */

import { libc, SOCK_CLOEXEC, SOCK_RAW, SOL_SOCKET } from "./libc.ts";
import { check, EINTR, lastErrno, OsError, strerror } from "./errors.ts";
import {
  AF_NETLINK,
  attrString,
  NETLINK_ROUTE,
  netlinkAttributes,
  netlinkMessages,
  NLMSGHDR_BYTES,
  sockaddrNl,
  subscribeRtnetlink,
} from "./netlink.ts";
import type { ReceivePump } from "./poller.ts";
import { ipv4String } from "./structs.ts";

const AF_INET = 2;
const AF_INET6 = 10;
/** <linux/rtnetlink.h> */
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
/** <linux/rtnetlink.h>: multicast groups of address messages (bits of nl_groups) */
const RTMGRP_IPV4_IFADDR = 0x10;
const RTMGRP_IPV6_IFADDR = 0x100;
/** <linux/netlink.h> */
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_DUMP = 0x300;
/** <linux/if_addr.h> attributes */
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const IFA_LABEL = 3;
const IFA_BROADCAST = 4;
const IFA_FLAGS = 8;
/** <linux/if_addr.h>: the address is still being checked for duplicates (not usable yet) */
export const IFA_F_TENTATIVE = 0x40;
export const IFA_F_DADFAILED = 0x08;
/** <asm-generic/socket.h>: receive timeout, a struct timeval */
const SO_RCVTIMEO = 20;
const IFADDRMSG_BYTES = 8;

/** One IPv4 address, in the terms `ip -j addr show` uses. */
export interface NetlinkAddress {
  ifindex: number;
  local: string;
  prefixlen: number;
  /** IFA_LABEL: the interface name unless a label was given */
  label?: string;
  broadcast?: string;
  /** "global", "site", "link", "host", "nowhere", or the number */
  scope: string;
}

/** One IPv6 address: raw bytes (ffi formats no IPv6 text), prefix, scope, IFA_F_* flags. */
export interface NetlinkAddress6 {
  ifindex: number;
  address: Uint8Array;
  prefixlen: number;
  scope: string;
  flags: number;
}

/** What one datagram of a dump held. */
export interface AddrDumpPart {
  addrs: NetlinkAddress[];
  /** NLMSG_DONE was seen: the dump is complete */
  done: boolean;
  /** NLMSG_ERROR with a non-zero errno (positive), or null */
  errno: number | null;
}

const SCOPE_NAMES: Record<number, string> = {
  0: "global",
  200: "site",
  253: "link",
  254: "host",
  255: "nowhere",
};

/** Parses one datagram of an RTM_GETADDR dump (IPv4 entries only); never throws. */
export function parseAddrMessages(buf: Uint8Array): AddrDumpPart {
  const part: AddrDumpPart = { addrs: [], done: false, errno: null };
  for (const m of netlinkMessages(buf)) {
    if (m.type === NLMSG_DONE) part.done = true;
    if (m.type === NLMSG_ERROR && m.body.length >= 4) {
      const err = m.view.getInt32(0, true);
      if (err !== 0) part.errno = -err;
      part.done = true;
    }
    if (m.type === RTM_NEWADDR && m.body.length >= IFADDRMSG_BYTES && m.body[0] === AF_INET) {
      const addr = parseOne(m.body, m.view);
      if (addr) part.addrs.push(addr);
    }
  }
  return part;
}

/** One RTM_NEWADDR payload: ifaddrmsg, then attributes. */
function parseOne(body: Uint8Array, view: DataView): NetlinkAddress | null {
  const scopeNum = body[3];
  const found: NetlinkAddress = {
    ifindex: view.getUint32(4, true),
    local: "",
    prefixlen: body[1],
    scope: SCOPE_NAMES[scopeNum] ?? String(scopeNum),
  };
  let address: string | null = null;
  for (const { type, data } of netlinkAttributes(body, IFADDRMSG_BYTES)) {
    if (type === IFA_LOCAL && data.length >= 4) found.local = ipv4String(data);
    if (type === IFA_ADDRESS && data.length >= 4) address = ipv4String(data);
    if (type === IFA_BROADCAST && data.length >= 4) found.broadcast = ipv4String(data);
    if (type === IFA_LABEL) found.label = attrString(data);
  }
  // a point-to-point address has IFA_ADDRESS as the peer; IFA_LOCAL is ours when present
  if (found.local === "") found.local = address ?? "";
  return found.local === "" ? null : found;
}

/** Parses one datagram of an RTM_GETADDR dump, IPv6 entries only; never throws. */
export function parseAddr6Messages(
  buf: Uint8Array,
): { addrs: NetlinkAddress6[]; done: boolean; errno: number | null } {
  const part = { addrs: [] as NetlinkAddress6[], done: false, errno: null as number | null };
  for (const m of netlinkMessages(buf)) {
    if (m.type === NLMSG_DONE) part.done = true;
    if (m.type === NLMSG_ERROR && m.body.length >= 4) {
      const err = m.view.getInt32(0, true);
      if (err !== 0) part.errno = -err;
      part.done = true;
    }
    if (m.type !== RTM_NEWADDR || m.body.length < IFADDRMSG_BYTES || m.body[0] !== AF_INET6) {
      continue;
    }
    const addr = parseOne6(m.body, m.view);
    if (addr) part.addrs.push(addr);
  }
  return part;
}

/** One IPv6 RTM_NEWADDR / RTM_DELADDR payload: ifaddrmsg, then attributes. */
function parseOne6(body: Uint8Array, view: DataView): NetlinkAddress6 | null {
  let address: Uint8Array | null = null;
  let flags = body[2];
  for (const { type, data } of netlinkAttributes(body, IFADDRMSG_BYTES)) {
    if ((type === IFA_ADDRESS || type === IFA_LOCAL) && data.length >= 16) {
      address = data.slice(0, 16);
    }
    if (type === IFA_FLAGS && data.length >= 4) {
      flags = new DataView(data.buffer, data.byteOffset).getUint32(0, true);
    }
  }
  if (address === null) return null;
  return {
    ifindex: view.getUint32(4, true),
    address,
    prefixlen: body[1],
    scope: SCOPE_NAMES[body[3]] ?? String(body[3]),
    flags,
  };
}

/** The RTM_GETADDR dump request for `family` (IPv4 by default). */
export function addrDumpRequest(seq: number, family = AF_INET): Uint8Array {
  const b = new Uint8Array(NLMSGHDR_BYTES + IFADDRMSG_BYTES);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length, true);
  dv.setUint16(4, RTM_GETADDR, true);
  dv.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true);
  dv.setUint32(8, seq, true);
  b[NLMSGHDR_BYTES] = family;
  return b;
}

/** Longest wait for the kernel's answer, s; it normally comes within microseconds. */
const DUMP_TIMEOUT_SEC = 1n;
let seq = 1;

/**
 * Every IPv4 address of this network namespace, by one blocking dump (the kernel answers at
 * once, so the event loop is held for microseconds). Throws OsError when rtnetlink fails.
 */
export function dumpIpv4Addresses(): NetlinkAddress[] {
  return dump(AF_INET, parseAddrMessages);
}

/** Every IPv6 address of this network namespace, by one blocking dump; see dumpIpv4Addresses. */
export function dumpIpv6Addresses(): NetlinkAddress6[] {
  return dump(AF_INET6, parseAddr6Messages);
}

function dump<T>(
  family: number,
  parse: (buf: Uint8Array) => { addrs: T[]; done: boolean; errno: number | null },
): T[] {
  const c = libc();
  const fd = check(
    "socket(AF_NETLINK)",
    c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
  );
  try {
    const tv = new Uint8Array(16);
    new DataView(tv.buffer).setBigInt64(0, DUMP_TIMEOUT_SEC, true); // tv_sec; tv_usec 0
    check("setsockopt(SO_RCVTIMEO)", c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length));
    const req = addrDumpRequest(seq++, family);
    const kernel = sockaddrNl(0);
    check("sendto(RTM_GETADDR)", c.sendto(fd, req, BigInt(req.length), 0, kernel, kernel.length));
    const buf = new Uint8Array(32768);
    const addrs: T[] = [];
    for (;;) {
      const n = Number(c.recvfrom(fd, buf, BigInt(buf.length), 0, null, null));
      if (n < 0) {
        const errno = lastErrno();
        if (errno === EINTR) continue;
        throw new OsError("recvfrom(RTM_GETADDR)", errno, strerror(errno));
      }
      const part = parse(buf.subarray(0, n));
      if (part.errno !== null) {
        throw new OsError("RTM_GETADDR", part.errno, strerror(part.errno));
      }
      addrs.push(...part.addrs);
      if (part.done || n === 0) return addrs;
    }
  } finally {
    c.close(fd);
  }
}

/** One IPv4 address announcement: added (RTM_NEWADDR) or removed (RTM_DELADDR). */
export interface AddressEvent extends NetlinkAddress {
  deleted: boolean;
}

/** One IPv6 address announcement: added (RTM_NEWADDR) or removed (RTM_DELADDR). */
export interface AddressEvent6 extends NetlinkAddress6 {
  deleted: boolean;
}

/** The address announcements of one datagram, by family. */
export interface AddressEvents {
  v4: AddressEvent[];
  v6: AddressEvent6[];
}

/** The IPv4 RTM_NEWADDR / RTM_DELADDR messages of one datagram (others skipped); never throws. */
export function parseAddrEvents(buf: Uint8Array): AddressEvent[] {
  const out: AddressEvent[] = [];
  for (const m of netlinkMessages(buf)) {
    if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) continue;
    if (m.body.length < IFADDRMSG_BYTES || m.body[0] !== AF_INET) continue;
    const addr = parseOne(m.body, m.view);
    if (addr) out.push({ ...addr, deleted: m.type === RTM_DELADDR });
  }
  return out;
}

/** The IPv6 RTM_NEWADDR / RTM_DELADDR messages of one datagram (others skipped); never throws. */
export function parseAddr6Events(buf: Uint8Array): AddressEvent6[] {
  const out: AddressEvent6[] = [];
  for (const m of netlinkMessages(buf)) {
    if (m.type !== RTM_NEWADDR && m.type !== RTM_DELADDR) continue;
    if (m.body.length < IFADDRMSG_BYTES || m.body[0] !== AF_INET6) continue;
    const addr = parseOne6(m.body, m.view);
    if (addr) out.push({ ...addr, deleted: m.type === RTM_DELADDR });
  }
  return out;
}

/**
 * A netlink socket subscribed to IPv4 and IPv6 address changes. `run()` delivers each datagram's
 * events, or null when the kernel dropped messages (ENOBUFS): then the caller must dump again.
 */
export class AddressMonitor {
  readonly #pump: ReceivePump;

  private constructor(pump: ReceivePump) {
    this.#pump = pump;
  }

  /** Opens and binds the socket (throws OsError). */
  static open(): AddressMonitor {
    return new AddressMonitor(subscribeRtnetlink(RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR));
  }

  /** Calls `onEvents` per datagram (null: messages were lost) until close(). */
  run(onEvents: (events: AddressEvents | null) => void): Promise<void> {
    return this.#pump.run((p) => {
      if (p.bytes.length === 0) onEvents(null);
      else {
        const events = { v4: parseAddrEvents(p.bytes), v6: parseAddr6Events(p.bytes) };
        if (events.v4.length > 0 || events.v6.length > 0) onEvents(events);
      }
    });
  }

  /** Stops the loop, then closes the socket. Idempotent. */
  close(): Promise<void> {
    return this.#pump.close();
  }
}
