/**
 * What every rtnetlink user here shares: the socket constants, `struct sockaddr_nl`, walking
 * the messages of a datagram and the attributes of a message, and a socket subscribed to
 * multicast groups (the link and address watches). The walkers stop at the first malformed
 * length and never throw.
 */

import { libc, MSG_DONTWAIT, SOCK_CLOEXEC, SOCK_NONBLOCK, SOCK_RAW } from "./libc.ts";
import { check, EAGAIN, EINTR, lastErrno, OsError, strerror } from "./errors.ts";
import { ReceivePump } from "./poller.ts";

/** <linux/socket.h> */
export const AF_NETLINK = 16;
/** <linux/netlink.h> */
export const NETLINK_ROUTE = 0;
/** sizeof(struct nlmsghdr), sizeof(struct sockaddr_nl) */
export const NLMSGHDR_BYTES = 16;
const SOCKADDR_NL_BYTES = 12;

const align4 = (n: number) => (n + 3) & ~3;
const decoder = new TextDecoder();

/** The `struct sockaddr_nl` that subscribes to `groups` (nl_pid 0: the kernel picks one). */
export function sockaddrNl(groups: number): Uint8Array {
  const b = new Uint8Array(SOCKADDR_NL_BYTES);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, AF_NETLINK, true); // sa_family_t nl_family
  dv.setUint32(4, 0, true); // __u32 nl_pid
  dv.setUint32(8, groups, true); // __u32 nl_groups
  return b;
}

/** One netlink message: its type, and its payload (after the nlmsghdr). */
export interface NetlinkMessage {
  type: number;
  body: Uint8Array;
  view: DataView;
}

/** The messages of one datagram, up to the first one whose length does not fit. */
export function* netlinkMessages(buf: Uint8Array): Generator<NetlinkMessage> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let off = 0;
  while (off + NLMSGHDR_BYTES <= buf.length) {
    const len = dv.getUint32(off, true);
    if (len < NLMSGHDR_BYTES || off + len > buf.length) return;
    const body = buf.subarray(off + NLMSGHDR_BYTES, off + len);
    yield {
      type: dv.getUint16(off + 4, true),
      body,
      view: new DataView(body.buffer, body.byteOffset, body.byteLength),
    };
    off += align4(len);
  }
}

/** The attributes (type without NLA_F_NESTED/NET_BYTEORDER, data) in `buf` from `start`. */
export function* netlinkAttributes(
  buf: Uint8Array,
  start: number,
): Generator<{ type: number; data: Uint8Array }> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let a = start;
  while (a + 4 <= buf.length) {
    const alen = dv.getUint16(a, true);
    if (alen < 4 || a + alen > buf.length) return;
    yield { type: dv.getUint16(a + 2, true) & 0x3fff, data: buf.subarray(a + 4, a + alen) };
    a += align4(alen);
  }
}

/** A NUL-terminated string attribute. */
export function attrString(data: Uint8Array): string {
  const nul = data.indexOf(0);
  return decoder.decode(nul < 0 ? data : data.subarray(0, nul));
}

/** errno: the socket's receive buffer overflowed and messages were lost */
const ENOBUFS = 105;

/**
 * An rtnetlink socket bound to the multicast `groups` (RTMGRP_* bits), drained by a
 * `ReceivePump`. A lost-messages error (ENOBUFS) is delivered as a zero-length datagram: the
 * caller must then re-read what it watches. Throws OsError when the socket cannot be opened.
 */
export function subscribeRtnetlink(groups: number): ReceivePump {
  const c = libc();
  const fd = check(
    "socket(AF_NETLINK)",
    c.socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE),
  );
  const addr = sockaddrNl(groups);
  if (c.bind(fd, addr, addr.length) < 0) {
    const errno = lastErrno();
    c.close(fd);
    throw new OsError("bind(AF_NETLINK)", errno, strerror(errno));
  }
  return new ReceivePump(fd, (buf) => {
    for (;;) {
      const n = Number(c.recvfrom(fd, buf, BigInt(buf.length), MSG_DONTWAIT, null, null));
      if (n >= 0) return { length: n };
      const errno = lastErrno();
      if (errno === EAGAIN) return null;
      if (errno === EINTR) continue;
      if (errno === ENOBUFS) return { length: 0 };
      throw new OsError("recvfrom", errno, strerror(errno));
    }
  });
}
