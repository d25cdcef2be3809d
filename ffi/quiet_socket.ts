/**
 * A raw VRRP socket that is never polled: the kernel queues what its filter accepts (a backup's
 * routine adverts, ffi/bpf_vrrp.ts) and the owner reads the queue when it is awake anyway. Each
 * packet keeps its kernel arrival time (SO_TIMESTAMPNS), handed on on the `performance.now()`
 * clock, so reading late does not move the time it was heard. IPv4 packets come with their IP
 * header (as from RawIpSocket); IPv6 ones without, their header's fields as `ip6` (as from
 * RawIp6Socket).
 */

import {
  AF_INET,
  AF_INET6,
  CLOCK_REALTIME,
  IP_ADD_MEMBERSHIP,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_ADD_MEMBERSHIP,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  libc,
  MSG_DONTWAIT,
  SCM_TIMESTAMPNS,
  SO_BINDTODEVICE,
  SO_RCVBUF,
  SO_RCVBUFFORCE,
  SO_TIMESTAMPNS,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from "./libc.ts";
import { check, EAGAIN, EINTR, lastErrno, OsError, strerror } from "./errors.ts";
import { interfaceIndex } from "./netif.ts";
import type { ReceivedPacket } from "./poller.ts";
import { readAncillary } from "./raw_socket6.ts";
import { attachSocketFilter } from "./socket_filter.ts";
import { rejectAllFilter } from "./bpf_vrrp.ts";
import {
  cmsgs,
  cmsgSpace,
  cString,
  ipMreqn,
  ipv6Mreq,
  msghdr,
  msghdrControlLength,
  SOCKADDR_IN6_BYTES,
} from "./structs.ts";

const IPPROTO_VRRP = 112;
const RECV_BUFFER_BYTES = 65536;
const TIMESPEC_BYTES = 16;
/**
 * The queue may hold every advert between two wake-ups (a backup of 255 instances at 100 ms
 * sleeping through a Master_Down_Interval: ~1,000 of them, ~0.8 MB of kernel buffers); a full
 * queue would drop the newest, and Master_Down would be judged from an older one.
 */
const QUIET_RCVBUF_BYTES = 4 << 20;

function intOpt(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/** A never-polled raw VRRP socket on one interface; see the module comment. */
export class QuietSocket {
  #fd: number;
  readonly #joined = new Set<string>();
  readonly #buf = new Uint8Array(RECV_BUFFER_BYTES);
  readonly #name = new Uint8Array(SOCKADDR_IN6_BYTES);
  readonly #iovec = new Uint8Array(16);
  readonly #control = new Uint8Array(cmsgSpace(TIMESPEC_BYTES) + cmsgSpace(4) + cmsgSpace(20) + 64);
  readonly #hdr: Uint8Array;
  readonly #timespec = new BigInt64Array(2);
  readonly #timespecBytes = new Uint8Array(this.#timespec.buffer);

  private constructor(
    fd: number,
    readonly ifname: string,
    readonly ifindex: number,
    readonly family: "ipv4" | "ipv6",
  ) {
    this.#fd = fd;
    this.#hdr = msghdr(this.#name, this.#iovec, this.#buf, this.#control);
  }

  /**
   * Opens the socket on `ifname`, joined to `group` (4 or 16 bytes), taking nothing until a
   * filter is attached (throws OsError).
   */
  static open(ifname: string, family: "ipv4" | "ipv6", group: Uint8Array): QuietSocket {
    const ifindex = interfaceIndex(ifname);
    const c = libc();
    const fd = check(
      "socket",
      c.socket(
        family === "ipv4" ? AF_INET : AF_INET6,
        SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
        IPPROTO_VRRP,
      ),
    );
    const opt = (name: string, level: number, optname: number, value: Uint8Array) =>
      check(`setsockopt(${name})`, c.setsockopt(fd, level, optname, value, value.length), ifname);
    let s: QuietSocket;
    try {
      // first: from now on it takes nothing (what it took before is thrown away below)
      attachSocketFilter(fd, rejectAllFilter(), ifname);
      opt("SO_BINDTODEVICE", SOL_SOCKET, SO_BINDTODEVICE, cString(ifname));
      opt("SO_TIMESTAMPNS", SOL_SOCKET, SO_TIMESTAMPNS, intOpt(1));
      const size = intOpt(QUIET_RCVBUF_BYTES);
      // past rmem_max when privileged; else as much as rmem_max allows
      if (c.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, size, 4) < 0) {
        c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, size, 4);
      }
      if (family === "ipv6") {
        opt("IPV6_RECVHOPLIMIT", IPPROTO_IPV6, IPV6_RECVHOPLIMIT, intOpt(1));
        opt("IPV6_RECVPKTINFO", IPPROTO_IPV6, IPV6_RECVPKTINFO, intOpt(1));
      }
      s = new QuietSocket(fd, ifname, ifindex, family);
      s.join(group);
    } catch (err) {
      c.close(fd);
      throw err;
    }
    s.drain(() => {});
    return s;
  }

  /** Joins one more multicast `group` on this socket's interface; idempotent. */
  join(group: Uint8Array): void {
    const key = group.join(".");
    if (this.#joined.has(key)) return;
    const c = libc();
    if (this.family === "ipv4") {
      const mreq = ipMreqn(group, this.ifindex);
      check(
        "setsockopt(IP_ADD_MEMBERSHIP)",
        c.setsockopt(this.#fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, mreq.length),
        this.ifname,
      );
    } else {
      const mreq = ipv6Mreq(group, this.ifindex);
      check(
        "setsockopt(IPV6_ADD_MEMBERSHIP)",
        c.setsockopt(this.#fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, mreq, mreq.length),
        this.ifname,
      );
    }
    this.#joined.add(key);
  }

  /** Replaces the socket's filter; throws OsError. */
  attachFilter(program: Uint8Array): void {
    if (this.#fd < 0) return;
    attachSocketFilter(this.#fd, program, this.ifname);
  }

  /**
   * Hands every queued packet to `onPacket`, oldest first, with its arrival time as `atMs`;
   * returns how many. Nothing queued costs one recvmsg (EAGAIN). Throws OsError on a read error.
   */
  drain(onPacket: (p: ReceivedPacket) => void): number {
    if (this.#fd < 0) return 0;
    const c = libc();
    let n = 0;
    // the clocks are paired once per drain that finds something
    let offsetMs: number | null = null;
    for (;;) {
      this.#name.fill(0);
      // msg_namelen and msg_controllen are in-out: restore them before each call
      const v = new DataView(this.#hdr.buffer);
      v.setUint32(8, this.#name.length, true);
      v.setBigUint64(40, BigInt(this.#control.length), true);
      const got = Number(c.recvmsg(this.#fd, this.#hdr, MSG_DONTWAIT));
      if (got < 0) {
        const errno = lastErrno();
        if (errno === EAGAIN) return n;
        if (errno === EINTR) continue;
        throw new OsError("recvmsg", errno, strerror(errno));
      }
      const controlLength = Math.min(msghdrControlLength(this.#hdr), this.#control.length);
      let arrivedNs: bigint | null = null;
      for (const m of cmsgs(this.#control, controlLength)) {
        if (m.level === SOL_SOCKET && m.type === SCM_TIMESTAMPNS && m.data.length >= 16) {
          const t = new DataView(m.data.buffer, m.data.byteOffset, 16);
          arrivedNs = t.getBigInt64(0, true) * 1_000_000_000n + t.getBigInt64(8, true);
        }
      }
      const now = performance.now();
      let atMs = now;
      if (arrivedNs !== null) {
        offsetMs ??= this.#realtimeMinusPerformanceMs();
        atMs = Math.min(now, Number(arrivedNs / 1000n) / 1000 - offsetMs);
      }
      const packet: ReceivedPacket = { bytes: this.#buf.slice(0, got), atMs };
      if (this.family === "ipv6") {
        packet.ip6 = readAncillary(this.#name, this.#control, this.#hdr, this.ifindex);
      }
      n++;
      onPacket(packet);
      if (this.#fd < 0) return n;
    }
  }

  /** CLOCK_REALTIME minus performance.now(), ms, read back to back. */
  #realtimeMinusPerformanceMs(): number {
    libc().clock_gettime(CLOCK_REALTIME, this.#timespecBytes);
    const perf = performance.now();
    const t = this.#timespec;
    return Number(t[0]) * 1000 + Number(t[1]) / 1e6 - perf;
  }

  /** Closes the socket; idempotent. */
  close(): void {
    if (this.#fd < 0) return;
    libc().close(this.#fd);
    this.#fd = -1;
  }
}
