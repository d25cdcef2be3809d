/**
 * The IPv4 addresses on the host, read in-process with one rtnetlink RTM_GETADDR dump, and
 * watched through the RTMGRP_IPV4_IFADDR group (RTM_NEWADDR / RTM_DELADDR as they happen). The
 * VIP batcher reads the host before and after each `ip -batch` run; spawning `ip -j addr show`
 * for that cost about 3 ms on the failover path. Adding and removing still goes through `ip`.
 * The parsers are pure and never throw.
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
/** <linux/rtnetlink.h> */
export const RTM_NEWADDR = 20;
export const RTM_DELADDR = 21;
const RTM_GETADDR = 22;
/** <linux/rtnetlink.h>: multicast group of IPv4 address messages (a bit mask in nl_groups) */
const RTMGRP_IPV4_IFADDR = 0x10;
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

/** The RTM_GETADDR dump request for IPv4. */
export function addrDumpRequest(seq: number): Uint8Array {
  const b = new Uint8Array(NLMSGHDR_BYTES + IFADDRMSG_BYTES);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, b.length, true);
  dv.setUint16(4, RTM_GETADDR, true);
  dv.setUint16(6, NLM_F_REQUEST | NLM_F_DUMP, true);
  dv.setUint32(8, seq, true);
  b[NLMSGHDR_BYTES] = AF_INET;
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
  const c = libc();
  const fd = check(
    "socket(AF_NETLINK)",
    c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE),
  );
  try {
    const tv = new Uint8Array(16);
    new DataView(tv.buffer).setBigInt64(0, DUMP_TIMEOUT_SEC, true); // tv_sec; tv_usec 0
    check("setsockopt(SO_RCVTIMEO)", c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, tv.length));
    const req = addrDumpRequest(seq++);
    const kernel = sockaddrNl(0);
    check("sendto(RTM_GETADDR)", c.sendto(fd, req, BigInt(req.length), 0, kernel, kernel.length));
    const buf = new Uint8Array(32768);
    const addrs: NetlinkAddress[] = [];
    for (;;) {
      const n = Number(c.recvfrom(fd, buf, BigInt(buf.length), 0, null, null));
      if (n < 0) {
        const errno = lastErrno();
        if (errno === EINTR) continue;
        throw new OsError("recvfrom(RTM_GETADDR)", errno, strerror(errno));
      }
      const part = parseAddrMessages(buf.subarray(0, n));
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

/** One address announcement: added (RTM_NEWADDR) or removed (RTM_DELADDR). */
export interface AddressEvent extends NetlinkAddress {
  deleted: boolean;
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

/**
 * A netlink socket subscribed to IPv4 address changes. `run()` delivers each datagram's events,
 * or null when the kernel dropped messages (ENOBUFS): then the caller must dump again.
 */
export class AddressMonitor {
  readonly #pump: ReceivePump;

  private constructor(pump: ReceivePump) {
    this.#pump = pump;
  }

  /** Opens and binds the socket (throws OsError). */
  static open(): AddressMonitor {
    return new AddressMonitor(subscribeRtnetlink(RTMGRP_IPV4_IFADDR));
  }

  /** Calls `onEvents` per datagram (null: messages were lost) until close(). */
  run(onEvents: (events: AddressEvent[] | null) => void): Promise<void> {
    return this.#pump.run((p) => {
      if (p.bytes.length === 0) onEvents(null);
      else {
        const events = parseAddrEvents(p.bytes);
        if (events.length > 0) onEvents(events);
      }
    });
  }

  /** Stops the loop, then closes the socket. Idempotent. */
  close(): Promise<void> {
    return this.#pump.close();
  }
}
