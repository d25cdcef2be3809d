/**
 * A raw IPv6 socket for one IP protocol (VRRP, 112) on one interface, joined to its group
 * (ff02::12, RFC 5798 §5.1.2.2). The kernel builds and strips the IPv6 header: what it said
 * comes as ancillary data (IPV6_RECVHOPLIMIT, IPV6_RECVPKTINFO through recvmsg), and the source
 * address of what we send is chosen per message (IPV6_PKTINFO through sendmsg), so binding never
 * filters the group out. Addresses are 16 bytes, network order.
 */

import {
  AF_INET6,
  IPPROTO_IPV6,
  IPV6_ADD_MEMBERSHIP,
  IPV6_HOPLIMIT,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  IPV6_PKTINFO,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  IPV6_TCLASS,
  IPV6_UNICAST_HOPS,
  libc,
  MSG_DONTWAIT,
  SO_BINDTODEVICE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from "./libc.ts";
import { check, EAGAIN, EINTR, lastErrno, OsError, strerror } from "./errors.ts";
import { interfaceIndex } from "./netif.ts";
import { attachSocketFilter } from "./socket_filter.ts";
import { type ReceivedIp6, type ReceivedPacket, ReceivePump } from "./poller.ts";
import {
  cmsgs,
  cmsgSpace,
  cString,
  ipv6Mreq,
  msghdr,
  msghdrControlLength,
  putCmsg,
  SOCKADDR_IN6_BYTES,
  sockaddrIn6,
} from "./structs.ts";

export type { ReceivedPacket } from "./poller.ts";

/** IP protocol number of VRRP; ffi/ imports nothing from lib/. */
const IPPROTO_VRRP = 112;
/** RFC 5798 §5.1.2.2: ff02::12. */
const VRRP_GROUP6 = Uint8Array.of(0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12);
/** keepalived's traffic class for adverts: CS6, "network control". */
const TCLASS_CS6 = 0xc0;
/** `struct in6_pktinfo { struct in6_addr ipi6_addr; int ipi6_ifindex; }` */
const IN6_PKTINFO_BYTES = 20;

function intOpt(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/** `socket(AF_INET6, SOCK_RAW, protocol)` on one interface; see the module comment. */
export class RawIp6Socket {
  /** more groups joined (join()), as dotted bytes */
  readonly #joined = new Set<string>();
  readonly #pump: ReceivePump;

  private constructor(
    fd: number,
    readonly ifname: string,
    readonly ifindex: number,
    readonly group: Uint8Array,
  ) {
    // per-socket receive buffers: source address, iovec, ancillary data (hop limit + pktinfo)
    const name = new Uint8Array(SOCKADDR_IN6_BYTES);
    const iovec = new Uint8Array(16);
    const control = new Uint8Array(cmsgSpace(4) + cmsgSpace(IN6_PKTINFO_BYTES) + 64);
    this.#pump = new ReceivePump(fd, (buf) => {
      for (;;) {
        name.fill(0);
        const hdr = msghdr(name, iovec, buf, control);
        const n = Number(libc().recvmsg(fd, hdr, MSG_DONTWAIT));
        if (n >= 0) return { length: n, ip6: readAncillary(name, control, hdr, ifindex) };
        const errno = lastErrno();
        if (errno === EAGAIN) return null;
        if (errno === EINTR) continue;
        throw new OsError("recvmsg", errno, strerror(errno));
      }
    });
  }

  /** Opens the socket on `ifname` (throws OsError: ENODEV, EPERM without CAP_NET_RAW, ...). */
  static open(ifname: string, opts: { group?: Uint8Array; protocol?: number } = {}): RawIp6Socket {
    const group = opts.group ?? VRRP_GROUP6;
    const ifindex = interfaceIndex(ifname);
    const c = libc();
    const fd = check(
      "socket(AF_INET6)",
      c.socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, opts.protocol ?? IPPROTO_VRRP),
    );
    const opt = (name: string, level: number, optname: number, value: Uint8Array) =>
      check(`setsockopt(${name})`, c.setsockopt(fd, level, optname, value, value.length), ifname);
    try {
      opt("SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, cString(ifname));
      opt("IPV6_ADD_MEMBERSHIP", IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, ipv6Mreq(group, ifindex));
      opt("IPV6_MULTICAST_IF", IPPROTO_IPV6, IPV6_MULTICAST_IF, intOpt(ifindex));
      // RFC 5798 §5.1.2.3: hop limit 255, to the group and to unicast peers alike
      opt("IPV6_MULTICAST_HOPS", IPPROTO_IPV6, IPV6_MULTICAST_HOPS, intOpt(255));
      opt("IPV6_UNICAST_HOPS", IPPROTO_IPV6, IPV6_UNICAST_HOPS, intOpt(255));
      opt("IPV6_MULTICAST_LOOP", IPPROTO_IPV6, IPV6_MULTICAST_LOOP, intOpt(0));
      opt("IPV6_RECVHOPLIMIT", IPPROTO_IPV6, IPV6_RECVHOPLIMIT, intOpt(1));
      opt("IPV6_RECVPKTINFO", IPPROTO_IPV6, IPV6_RECVPKTINFO, intOpt(1));
      opt("IPV6_TCLASS", IPPROTO_IPV6, IPV6_TCLASS, intOpt(TCLASS_CS6));
      return new RawIp6Socket(fd, ifname, ifindex, group);
    } catch (err) {
      c.close(fd);
      throw err;
    }
  }

  /** Joins one more multicast `group` (16 bytes) on this socket's interface; idempotent. */
  join(group: Uint8Array): void {
    const key = group.join(".");
    if (key === this.group.join(".") || this.#joined.has(key)) return;
    const mreq = ipv6Mreq(group, this.ifindex);
    check(
      "setsockopt(IPV6_ADD_MEMBERSHIP)",
      libc().setsockopt(this.#pump.fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, mreq.length),
      this.ifname,
    );
    this.#joined.add(key);
  }

  /**
   * Sends `message` (no header: the kernel adds it) from `src` (our link-local address) to
   * `dst` (the group by default) on this interface; `hopLimit` other than 255 goes as an
   * IPV6_HOPLIMIT control message (keepalived's unicast_ttl).
   */
  send(message: Uint8Array, src: Uint8Array, dst: Uint8Array = this.group, hopLimit = 255): void {
    if (this.#pump.stopping) throw new Error(`RawIp6Socket(${this.ifname}) is closed`);
    const to = sockaddrIn6(dst, this.ifindex);
    const pktinfo = new Uint8Array(IN6_PKTINFO_BYTES);
    pktinfo.set(src, 0);
    new DataView(pktinfo.buffer).setInt32(16, this.ifindex, true);
    const hops = hopLimit === 255 ? null : new Uint8Array(4);
    if (hops !== null) new DataView(hops.buffer).setInt32(0, hopLimit, true);
    const control = new Uint8Array(
      cmsgSpace(IN6_PKTINFO_BYTES) + (hops === null ? 0 : cmsgSpace(4)),
    );
    const next = putCmsg(control, 0, IPPROTO_IPV6, IPV6_PKTINFO, pktinfo);
    if (hops !== null) putCmsg(control, next, IPPROTO_IPV6, IPV6_HOPLIMIT, hops);
    const iovec = new Uint8Array(16);
    const hdr = msghdr(to, iovec, message, control);
    check("sendmsg", libc().sendmsg(this.#pump.fd, hdr, 0), this.ifname);
  }

  /**
   * Calls `onPacket` with every received message (`ip6` holds its header's source, destination
   * and hop limit). Resolves once close() has been called; rejects if `onPacket` throws.
   */
  receiveLoop(onPacket: (p: ReceivedPacket) => void): Promise<void> {
    return this.#pump.run(onPacket);
  }

  /** Replaces the socket's classic BPF filter (see ffi/bpf_vrrp.ts); throws OsError. */
  attachFilter(program: Uint8Array): void {
    attachSocketFilter(this.#pump.fd, program, this.ifname);
  }

  /** Delivers the packets already queued to receiveLoop()'s callback now; see ReceivePump. */
  drainNow(): number {
    return this.#pump.drainNow();
  }

  /** Stops a pending receive (promptly), then closes the socket. Idempotent. */
  close(): Promise<void> {
    return this.#pump.close();
  }
}

/** Source (msg_name), destination and interface (IPV6_PKTINFO), hop limit (IPV6_HOPLIMIT). */
export function readAncillary(
  name: Uint8Array,
  control: Uint8Array,
  hdr: Uint8Array,
  ifindex: number,
): ReceivedIp6 {
  const out: ReceivedIp6 = {
    src: name.slice(8, 24),
    dst: new Uint8Array(16),
    // unknown: fails the receiver's hop-limit check rather than passing it
    hopLimit: -1,
    ifindex,
  };
  for (const m of cmsgs(control, Math.min(msghdrControlLength(hdr), control.length))) {
    if (m.level !== IPPROTO_IPV6) continue;
    const view = new DataView(m.data.buffer, m.data.byteOffset, m.data.length);
    if (m.type === IPV6_HOPLIMIT && m.data.length >= 4) out.hopLimit = view.getInt32(0, true);
    if (m.type === IPV6_PKTINFO && m.data.length >= IN6_PKTINFO_BYTES) {
      out.dst = m.data.slice(0, 16);
      out.ifindex = view.getInt32(16, true);
    }
  }
  return out;
}
