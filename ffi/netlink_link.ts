/**
 * Link-state changes as the kernel announces them: an rtnetlink socket (AF_NETLINK,
 * NETLINK_ROUTE) bound to the RTMGRP_LINK group. The kernel sends RTM_NEWLINK / RTM_DELLINK
 * when an interface changes (carrier, up/down, rename, removal), so a link change is seen at
 * once and an idle daemon does no polling. Received through the poll + eventfd loop of
 * `ReceivePump`; the parser is pure and never throws.
 */

import {
  IFF_RUNNING,
  IFF_UP,
  libc,
  MSG_DONTWAIT,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
} from "./libc.ts";
import { check, EAGAIN, EINTR, lastErrno, OsError, strerror } from "./errors.ts";
import { ReceivePump } from "./poller.ts";

/** <linux/socket.h> */
const AF_NETLINK = 16;
/** <linux/netlink.h> */
const NETLINK_ROUTE = 0;
/** <linux/rtnetlink.h>: multicast group of link messages (a bit mask in nl_groups) */
const RTMGRP_LINK = 0x1;
/** <linux/rtnetlink.h> message types */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
/** <linux/if_link.h>: the interface name attribute (NUL-terminated string) */
const IFLA_IFNAME = 3;
/** errno: the socket's receive buffer overflowed and messages were lost */
const ENOBUFS = 105;
/** sizeof(struct nlmsghdr), sizeof(struct ifinfomsg), sizeof(struct sockaddr_nl) */
const NLMSGHDR_BYTES = 16;
const IFINFOMSG_BYTES = 16;
const SOCKADDR_NL_BYTES = 12;

/** One link announcement. */
export interface LinkEvent {
  /** RTM_DELLINK: the interface is gone */
  deleted: boolean;
  ifindex: number;
  /** IFLA_IFNAME, or null when the message had none */
  name: string | null;
  /** IFF_UP */
  up: boolean;
  /** IFF_RUNNING: up with carrier */
  running: boolean;
}

const align4 = (n: number) => (n + 3) & ~3;
const decoder = new TextDecoder();

/**
 * The RTM_NEWLINK / RTM_DELLINK messages in one netlink datagram (other types are skipped).
 * Truncated or malformed input ends the parse with what was read so far; never throws.
 */
export function parseLinkMessages(buf: Uint8Array): LinkEvent[] {
  const out: LinkEvent[] = [];
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + NLMSGHDR_BYTES <= buf.length) {
    const len = dv.getUint32(off, true);
    const type = dv.getUint16(off + 4, true);
    if (len < NLMSGHDR_BYTES || off + len > buf.length) break;
    if ((type === RTM_NEWLINK || type === RTM_DELLINK) && len >= NLMSGHDR_BYTES + IFINFOMSG_BYTES) {
      const info = off + NLMSGHDR_BYTES;
      const flags = dv.getUint32(info + 8, true);
      let name: string | null = null;
      let a = info + IFINFOMSG_BYTES;
      while (a + 4 <= off + len) {
        const alen = dv.getUint16(a, true);
        const atype = dv.getUint16(a + 2, true) & 0x3fff; // without NLA_F_NESTED/NET_BYTEORDER
        if (alen < 4 || a + alen > off + len) break;
        if (atype === IFLA_IFNAME) {
          const bytes = buf.subarray(a + 4, a + alen);
          const nul = bytes.indexOf(0);
          name = decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
        }
        a += align4(alen);
      }
      out.push({
        deleted: type === RTM_DELLINK,
        ifindex: dv.getInt32(info + 4, true),
        name,
        up: (flags & IFF_UP) !== 0,
        running: (flags & IFF_RUNNING) !== 0,
      });
    }
    off += align4(len);
  }
  return out;
}

/** The `struct sockaddr_nl` that subscribes to `groups` (nl_pid 0: the kernel picks one). */
export function sockaddrNl(groups: number): Uint8Array {
  const b = new Uint8Array(SOCKADDR_NL_BYTES);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_NETLINK, true); // sa_family_t nl_family
  dv.setUint32(4, 0, true); // __u32 nl_pid
  dv.setUint32(8, groups, true); // __u32 nl_groups
  return b;
}

/**
 * A netlink socket subscribed to link changes. `run()` delivers each datagram's events, or
 * null when the kernel dropped messages (ENOBUFS): then the caller must re-read every link.
 */
export class LinkMonitor {
  readonly #pump: ReceivePump;

  private constructor(fd: number) {
    this.#pump = new ReceivePump(fd, (buf) => {
      for (;;) {
        const n = Number(
          libc().recvfrom(fd, buf, BigInt(buf.length), MSG_DONTWAIT, null, null),
        );
        if (n >= 0) return { length: n };
        const errno = lastErrno();
        if (errno === EAGAIN) return null;
        if (errno === EINTR) continue;
        // lost messages: a zero-length datagram tells run() to report an overflow
        if (errno === ENOBUFS) return { length: 0 };
        throw new OsError("recvfrom", errno, strerror(errno));
      }
    });
  }

  /** Opens and binds the socket (throws OsError, e.g. EPROTONOSUPPORT without rtnetlink). */
  static open(): LinkMonitor {
    const c = libc();
    const fd = check(
      "socket(AF_NETLINK)",
      c.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE),
    );
    const addr = sockaddrNl(RTMGRP_LINK);
    if (c.bind(fd, addr, addr.length) < 0) {
      const errno = lastErrno();
      c.close(fd);
      throw new OsError("bind(AF_NETLINK)", errno, strerror(errno));
    }
    return new LinkMonitor(fd);
  }

  /**
   * Calls `onEvents` with the link events of every datagram (null: messages were lost) until
   * close(). Rejects with an OsError from recvfrom or the callback's error.
   */
  run(onEvents: (events: LinkEvent[] | null) => void): Promise<void> {
    return this.#pump.run((p) => {
      if (p.bytes.length === 0) onEvents(null);
      else {
        const events = parseLinkMessages(p.bytes);
        if (events.length > 0) onEvents(events);
      }
    });
  }

  /** Stops the loop, then closes the socket. Idempotent. */
  close(): Promise<void> {
    return this.#pump.close();
  }
}
