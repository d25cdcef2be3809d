/** An AF_PACKET socket on one interface: sends whole Ethernet frames, optionally receives. */

import {
  AF_PACKET,
  ETH_P_ARP,
  libc,
  PACKET_OUTGOING,
  SOCK_CLOEXEC,
  SOCK_NONBLOCK,
  SOCK_RAW,
} from "./libc.ts";
import { check } from "./errors.ts";
import { interfaceIndex } from "./netif.ts";
import { attachSocketFilter } from "./socket_filter.ts";
import { type ReceivedPacket, ReceivePump, recvDontWait } from "./poller.ts";
import { readSockaddrLl, SOCKADDR_LL_BYTES, sockaddrLl } from "./structs.ts";

export type { ReceivedPacket } from "./poller.ts";

/**
 * `socket(AF_PACKET, SOCK_RAW, ...)` on one interface. Send-only sockets use protocol 0 so the
 * kernel queues nothing for them; with `receive: true` the socket is bound to the interface and
 * `protocol` (ETH_P_ARP by default, ETH_P_ALL for everything) and receiveLoop() delivers frames.
 * Only ETH_P_ALL sockets also see frames this host sends (`outgoing: true`).
 */
export class PacketSocket {
  readonly #pump: ReceivePump;
  readonly #dest: Uint8Array;

  private constructor(
    fd: number,
    readonly ifname: string,
    readonly ifindex: number,
    readonly protocol: number,
  ) {
    this.#dest = sockaddrLl(ifindex, protocol);
    const from = new Uint8Array(SOCKADDR_LL_BYTES);
    const fromLen = new Uint8Array(4);
    this.#pump = new ReceivePump(fd, (buf) => {
      const length = recvDontWait(fd, buf, from, fromLen);
      if (length === null) return null;
      return { length, outgoing: readSockaddrLl(from).pktType === PACKET_OUTGOING };
    });
  }

  /** Opens the socket on `ifname` (throws OsError, e.g. ENODEV, EPERM without CAP_NET_RAW). */
  static open(
    ifname: string,
    opts: { protocol?: number; receive?: boolean; filter?: Uint8Array } = {},
  ): PacketSocket {
    const protocol = opts.protocol ?? ETH_P_ARP;
    const ifindex = interfaceIndex(ifname);
    const c = libc();
    // protocol 0: nothing is queued until bind() names the protocol and the interface. Opened
    // with the protocol, the kernel would hook it for every interface, then unhook it at bind()
    // and wait out an RCU grace period (8-14 ms of the daemon's start per socket).
    const fd = check("socket", c.socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    try {
      if (opts.filter) attachSocketFilter(fd, opts.filter, ifname);
      if (opts.receive) {
        const addr = sockaddrLl(ifindex, protocol);
        check("bind", c.bind(fd, addr, SOCKADDR_LL_BYTES), ifname);
      }
      return new PacketSocket(fd, ifname, ifindex, protocol);
    } catch (err) {
      c.close(fd);
      throw err;
    }
  }

  /** Sends one complete Ethernet frame (destination MAC, source MAC, type, payload). */
  send(frame: Uint8Array): void {
    if (this.#pump.stopping) throw new Error(`PacketSocket(${this.ifname}) is closed`);
    check(
      "sendto",
      libc().sendto(this.#pump.fd, frame, BigInt(frame.length), 0, this.#dest, SOCKADDR_LL_BYTES),
      this.ifname,
    );
  }

  /**
   * Calls `onFrame` with every received frame (Ethernet header included; `outgoing` marks this
   * host's own). Needs `receive: true`. Resolves once close() has been called.
   */
  receiveLoop(onFrame: (p: ReceivedPacket) => void): Promise<void> {
    return this.#pump.run(onFrame);
  }

  /** Stops a pending receive (promptly), then closes the socket. Idempotent. */
  close(): Promise<void> {
    return this.#pump.close();
  }
}
