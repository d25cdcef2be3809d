/** A raw IPv4 socket for one IP protocol (VRRP, 112) on one interface, joined to its group. */

import {
  AF_INET,
  IP_ADD_MEMBERSHIP,
  IP_HDRINCL,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  libc,
  SO_BINDTODEVICE,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
  SOL_SOCKET,
} from "./libc.ts";
import { check } from "./errors.ts";
import { interfaceIndex } from "./netif.ts";
import { encodeIpv4Packet } from "./ip_header.ts";
import { attachSocketFilter } from "./socket_filter.ts";
import { type ReceivedPacket, ReceivePump, recvDontWait } from "./poller.ts";
import { cString, ipMreqn, SOCKADDR_IN_BYTES, sockaddrIn } from "./structs.ts";

export type { ReceivedPacket } from "./poller.ts";

/** IP protocol number of VRRP (RFC 3768 §5.2.4); ffi/ imports nothing from lib/. */
const IPPROTO_VRRP = 112;
/** RFC 3768 §5.2.2 multicast group, 224.0.0.18. */
const VRRP_GROUP = Uint8Array.of(224, 0, 0, 18);

function intOpt(value: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, value, true);
  return b;
}

/**
 * `socket(AF_INET, SOCK_RAW|SOCK_NONBLOCK|SOCK_CLOEXEC, protocol)` bound to one interface,
 * joined to the group there, multicast TTL 255, loopback off, and IP_HDRINCL: send() takes the
 * full IPv4 packet (the kernel fills the id when 0, and the header checksum); sendMessage()
 * builds that header for a bare message. Addresses are 4 bytes, network order.
 */
export class RawIpSocket {
  readonly #pump: ReceivePump;
  /** the IPv4 id of the last packet sendMessage() built (keepalived counts from 1 too) */
  #ipId = 0;
  /** groups joined, dotted */
  readonly #joined = new Set<string>();
  /** the sockaddr of the last destination sent to (adverts go to the same one every time) */
  #lastTo: { dst: Uint8Array; sockaddr: Uint8Array } | null = null;

  private constructor(
    fd: number,
    readonly ifname: string,
    readonly ifindex: number,
    readonly group: Uint8Array,
    readonly protocol: number,
  ) {
    this.#joined.add(group.join("."));
    this.#pump = new ReceivePump(fd, (buf) => {
      const length = recvDontWait(fd, buf, null, null);
      return length === null ? null : { length };
    });
  }

  /** Opens the socket on `ifname` (throws OsError, e.g. ENODEV, EPERM without CAP_NET_RAW). */
  static open(
    ifname: string,
    opts: { group?: Uint8Array; protocol?: number } = {},
  ): RawIpSocket {
    const group = opts.group ?? VRRP_GROUP;
    const protocol = opts.protocol ?? IPPROTO_VRRP;
    const ifindex = interfaceIndex(ifname);
    const c = libc();
    const fd = check(
      "socket",
      c.socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol),
    );
    try {
      const dev = cString(ifname);
      check(
        "setsockopt(SO_BINDTODEVICE)",
        c.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, dev.length),
        ifname,
      );
      const mreq = ipMreqn(group, ifindex);
      check(
        "setsockopt(IP_ADD_MEMBERSHIP)",
        c.setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, mreq.length),
        ifname,
      );
      check(
        "setsockopt(IP_MULTICAST_IF)",
        c.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, mreq, mreq.length),
        ifname,
      );
      check(
        "setsockopt(IP_MULTICAST_TTL)",
        c.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, intOpt(255), 4),
      );
      check(
        "setsockopt(IP_MULTICAST_LOOP)",
        c.setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, intOpt(0), 4),
      );
      check("setsockopt(IP_HDRINCL)", c.setsockopt(fd, IPPROTO_IP, IP_HDRINCL, intOpt(1), 4));
      return new RawIpSocket(fd, ifname, ifindex, group, protocol);
    } catch (err) {
      c.close(fd);
      throw err;
    }
  }

  /** Joins one more multicast `group` (4 bytes) on this socket's interface; idempotent. */
  join(group: Uint8Array): void {
    const key = group.join(".");
    if (this.#joined.has(key)) return;
    const mreq = ipMreqn(group, this.ifindex);
    check(
      "setsockopt(IP_ADD_MEMBERSHIP)",
      libc().setsockopt(this.#pump.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, mreq.length),
      this.ifname,
    );
    this.#joined.add(key);
  }

  /**
   * Sends `message` behind an IPv4 header from `src` to `dst` with `ttl`, TOS 0xc0 and a
   * counting id, as keepalived builds it.
   */
  sendMessage(message: Uint8Array, to: { src: Uint8Array; dst: Uint8Array; ttl: number }): void {
    this.#ipId = (this.#ipId + 1) & 0xffff;
    const packet = encodeIpv4Packet(message, {
      src: to.src,
      dst: to.dst,
      ttl: to.ttl,
      protocol: this.protocol,
      id: this.#ipId,
    });
    this.send(packet, to.dst);
  }

  /** Sends a complete IPv4 packet (header included) to `destination` (the group by default). */
  send(ipPacket: Uint8Array, destination: Uint8Array = this.group): void {
    if (this.#pump.stopping) throw new Error(`RawIpSocket(${this.ifname}) is closed`);
    const last = this.#lastTo;
    const to = last !== null && last.dst.length === destination.length &&
        last.dst.every((b, i) => b === destination[i])
      ? last.sockaddr
      : (this.#lastTo = { dst: destination.slice(), sockaddr: sockaddrIn(destination) }).sockaddr;
    check(
      "sendto",
      libc().sendto(this.#pump.fd, ipPacket, BigInt(ipPacket.length), 0, to, SOCKADDR_IN_BYTES),
      this.ifname,
    );
  }

  /**
   * Calls `onPacket` with every received IPv4 packet (header included) without blocking the event
   * loop. Resolves once close() has been called; rejects if `onPacket` throws.
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
