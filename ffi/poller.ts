/**
 * The receive loop shared by RawIpSocket and PacketSocket.
 *
 * A `nonblocking: true` poll() waits on a worker thread for the socket fd or an eventfd; the
 * main thread then drains the socket with recvfrom(MSG_DONTWAIT) until EAGAIN. A pending
 * nonblocking call cannot be cancelled, so stop() writes the eventfd to wake it and awaits it
 * before any fd is closed.
 */

import {
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  libc,
  MSG_DONTWAIT,
  POLLERR,
  POLLIN,
  POLLNVAL,
} from "./libc.ts";
import { check, EAGAIN, EINTR, lastErrno, OsError, strerror } from "./errors.ts";
import { pollfds, pollRevents } from "./structs.ts";

/** One received packet or frame. */
export interface ReceivedPacket {
  /** exactly the bytes the socket gave (a copy the callee may keep) */
  bytes: Uint8Array;
  /** `performance.now()` when it was read */
  atMs: number;
  /** packet sockets only: the frame was sent by this host (PACKET_OUTGOING) */
  outgoing?: boolean;
  /** IPv6 raw sockets only (they never see the header): source, destination, hop limit */
  ip6?: ReceivedIp6;
}

/** What recvmsg told about an IPv6 datagram: the header's fields, from ancillary data. */
export interface ReceivedIp6 {
  src: Uint8Array;
  dst: Uint8Array;
  hopLimit: number;
  ifindex: number;
}

/**
 * Reads one datagram into `buf` without blocking: its length (and direction, for packet
 * sockets), or null when nothing more is queued (EAGAIN).
 */
export type DrainRead = (
  buf: Uint8Array,
) => { length: number; outgoing?: boolean; ip6?: ReceivedIp6 } | null;

/** Largest datagram read; anything longer is truncated by the kernel. */
const RECV_BUFFER_BYTES = 65536;

/**
 * Owns one non-blocking socket fd: runs its poll + drain loop, with an eventfd to wake it, and
 * closes the socket (after the loop has ended) on close().
 */
export class ReceivePump {
  #eventFd: number;
  #closing = false;
  #closed = false;
  #running: Promise<void> | null = null;
  #onPacket: ((p: ReceivedPacket) => void) | null = null;
  #buf: Uint8Array | null = null;
  #fd: number;
  readonly #read: DrainRead;

  /** `read` performs one recvfrom on `fd` (with its own source-address buffers). */
  constructor(fd: number, read: DrainRead) {
    this.#fd = fd;
    this.#read = read;
    this.#eventFd = check("eventfd", libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  }

  /** True once stop() or close() has been called. */
  get stopping(): boolean {
    return this.#closing;
  }

  /** The socket's fd; -1 once close() has closed it. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Delivers every datagram to `onPacket` until stop(). Resolves after stop(); rejects with the
   * callback's error (the loop has then ended, nothing pending) or an OsError from recvfrom.
   */
  run(onPacket: (p: ReceivedPacket) => void): Promise<void> {
    if (this.#closing) return Promise.resolve();
    if (this.#running) return Promise.reject(new Error("receiveLoop() is already running"));
    this.#onPacket = onPacket;
    const loop = this.#loop(onPacket);
    // the tracked copy never rejects: the caller handles the loop's own promise
    this.#running = loop.then(() => {}, () => {}).then(() => {
      this.#running = null;
    });
    return loop;
  }

  async #loop(onPacket: (p: ReceivedPacket) => void): Promise<void> {
    const c = libc();
    const buf = this.#buf = new Uint8Array(RECV_BUFFER_BYTES);
    const fds = pollfds([this.#fd, this.#eventFd], POLLIN);
    let failures = 0;
    while (!this.#closing) {
      fds[6] =
        fds[7] =
        fds[14] =
        fds[15] =
          0; // clear revents
      const n = await c.poll(fds, 2n, -1);
      if (this.#closing) return;
      if (n < 0) {
        // EINTR in practice; errno is another thread's, so only a streak is treated as fatal
        if (++failures > 100) throw new OsError("poll", 0, "poll() keeps failing");
        continue;
      }
      failures = 0;
      const sockEvents = pollRevents(fds, 0);
      if (sockEvents & POLLNVAL) throw new OsError("poll", 9, "socket fd is not open");
      if (sockEvents & (POLLIN | POLLERR)) this.#drain(buf, onPacket);
      if (pollRevents(fds, 1) & POLLIN) {
        c.read(this.#eventFd, new Uint8Array(8), 8n); // reset the counter
      }
    }
  }

  /**
   * Delivers, synchronously and through run()'s callback, whatever the kernel has already
   * queued: the poll worker's wake-up may still be on its way to the event loop. Returns how
   * many were delivered. A read error is left for the loop, which meets it at its next poll.
   */
  drainNow(): number {
    const onPacket = this.#onPacket;
    if (this.#closing || this.#running === null || onPacket === null || this.#buf === null) {
      return 0;
    }
    let n = 0;
    try {
      this.#drain(this.#buf, (p) => {
        n++;
        onPacket(p);
      });
    } catch (err) {
      if (!(err instanceof OsError)) throw err;
    }
    return n;
  }

  #drain(buf: Uint8Array, onPacket: (p: ReceivedPacket) => void): void {
    for (;;) {
      const got = this.#read(buf);
      if (got === null) return;
      const packet: ReceivedPacket = { bytes: buf.slice(0, got.length), atMs: performance.now() };
      if (got.outgoing !== undefined) packet.outgoing = got.outgoing;
      if (got.ip6 !== undefined) packet.ip6 = got.ip6;
      onPacket(packet);
      if (this.#closing) return;
    }
  }

  /** Wakes a pending poll, waits for the loop to end, then closes the eventfd. Idempotent. */
  async stop(): Promise<void> {
    this.#closing = true;
    if (this.#closed) return;
    const running = this.#running;
    if (running) {
      const one = new Uint8Array(8);
      new DataView(one.buffer).setBigUint64(0, 1n, true);
      libc().write(this.#eventFd, one, 8n);
      await running;
    }
    if (this.#closed) return;
    this.#closed = true;
    libc().close(this.#eventFd);
    this.#eventFd = -1;
  }

  /** stop(), then closes the socket itself. Idempotent, also when called concurrently. */
  async close(): Promise<void> {
    await this.stop();
    if (this.#fd < 0) return;
    libc().close(this.#fd);
    this.#fd = -1;
  }
}

/**
 * A recvfrom(MSG_DONTWAIT) into `buf`: its length, or null on EAGAIN; EINTR retries; any other
 * failure throws OsError. `addr`/`addrLen` are filled with the source address when given.
 */
export function recvDontWait(
  fd: number,
  buf: Uint8Array,
  addr: Uint8Array | null,
  addrLen: Uint8Array | null,
): number | null {
  const c = libc();
  for (;;) {
    if (addr && addrLen) new DataView(addrLen.buffer).setUint32(0, addr.length, true);
    const n = Number(c.recvfrom(fd, buf, BigInt(buf.length), MSG_DONTWAIT, addr, addrLen));
    if (n >= 0) return n;
    const errno = lastErrno();
    if (errno === EAGAIN) return null;
    if (errno === EINTR) continue;
    throw new OsError("recvfrom", errno, strerror(errno));
  }
}
