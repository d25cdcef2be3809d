/**
 * The process's one wait: a single `nonblocking: true` poll() on a worker thread covers every
 * receiving socket (RawIpSocket, PacketSocket, netlink watches: each a `ReceivePump`), a timerfd
 * holding the next deadline, and an eventfd to wake it. Each wake-up of the event loop is then
 * one poll() returning, whatever it was for: an advert due costs one wake-up, not a coarse
 * setTimeout plus a worker-thread sleep, and a received packet costs one, not a poll per socket.
 *
 * When poll() returns, the main thread drains every readable socket with recvfrom(MSG_DONTWAIT)
 * until EAGAIN, then runs the deadline's callback if the timerfd expired. A pending nonblocking
 * call cannot be cancelled, so a pump leaving the wait writes the eventfd and awaits the poll's
 * return before its fd may be closed; when nothing is left to wait for, no poll is pending.
 */

import {
  CLOCK_MONOTONIC,
  EFD_CLOEXEC,
  EFD_NONBLOCK,
  libc,
  MSG_DONTWAIT,
  POLLERR,
  POLLIN,
  POLLNVAL,
  TFD_CLOEXEC,
  TFD_NONBLOCK,
} from "./libc.ts";
import { check, EAGAIN, EINTR, lastErrno, OsError, strerror } from "./errors.ts";
import { pollfds } from "./structs.ts";

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

/** The poll() in flight and the fds it covers, shared by every pump and the deadline. */
class SharedWait {
  readonly #pumps = new Set<ReceivePump>();
  #eventFd = -1;
  #timerFd = -1;
  #onDeadline: (() => void) | null = null;
  /** the poll()'s set changed: rebuild it before the next one */
  #dirty = true;
  #fds: Uint8Array = new Uint8Array(0);
  #polled: ReceivePump[] = [];
  /** the loop while it runs; it ends when no pump and no deadline are left */
  #running: Promise<void> | null = null;
  /** resolved each time a poll() returns (a pump leaving waits for it) */
  #returned = Promise.withResolvers<void>();
  readonly #itimerspec = new BigInt64Array(4);
  readonly #itimerspecBytes = new Uint8Array(this.#itimerspec.buffer);
  readonly #scratch = new Uint8Array(8);
  /** see setReceiveGather(); 0: off */
  #gatherMs = 0;
  #gathering = false;
  #lastPacketsAt = -Infinity;

  #open(): void {
    if (this.#eventFd >= 0) return;
    const c = libc();
    this.#eventFd = check("eventfd", c.eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
    this.#timerFd = check(
      "timerfd_create",
      c.timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC),
    );
  }

  /** Adds `pump` to the wait. */
  add(pump: ReceivePump): void {
    this.#open();
    this.#pumps.add(pump);
    this.#changed();
  }

  /** Takes `pump` out; resolves once no poll() covers its fd any more. */
  async remove(pump: ReceivePump): Promise<void> {
    if (!this.#pumps.delete(pump)) return;
    this.#changed();
    if (this.#running !== null && this.#polled.includes(pump)) await this.#returned.promise;
  }

  /**
   * Calls `onDue` once, `delayMs` from now (never earlier; 0 or less: at the next return), in
   * place of any deadline armed before. One deadline for the process: its owner multiplexes.
   */
  armDeadline(delayMs: number, onDue: () => void): void {
    this.#open();
    this.#onDeadline = onDue;
    // whole ns, rounded up; 0 would disarm the timerfd
    const ns = BigInt(Math.max(1, Math.ceil(delayMs * 1e6)));
    this.#setTimer(ns);
    if (this.#running === null) this.#start();
  }

  /** See {@link setReceiveGather}. */
  setGather(ms: number): void {
    this.#gatherMs = Math.max(0, Math.floor(ms));
    if (this.#gatherMs === 0) this.#gathering = false;
  }

  /** Disarms the deadline. */
  disarmDeadline(): void {
    if (this.#onDeadline === null) return;
    this.#onDeadline = null;
    this.#setTimer(0n);
    // a poll() waiting only for the deadline must end, or it keeps the process alive
    if (this.#pumps.size === 0) this.#wake();
  }

  #setTimer(ns: bigint): void {
    const t = this.#itimerspec; // it_interval = 0; it_value relative
    t[2] = ns / 1_000_000_000n;
    t[3] = ns % 1_000_000_000n;
    check(
      "timerfd_settime",
      libc().timerfd_settime(this.#timerFd, 0, this.#itimerspecBytes, null),
    );
  }

  #changed(): void {
    this.#dirty = true;
    if (this.#running === null) this.#start();
    else this.#wake();
  }

  #wake(): void {
    if (this.#eventFd < 0) return;
    const one = new BigUint64Array([1n]);
    libc().write(this.#eventFd, new Uint8Array(one.buffer), 8n);
  }

  #start(): void {
    if (this.#pumps.size === 0 && this.#onDeadline === null) return;
    this.#running = this.#loop().catch((err) => {
      // poll() itself failed for good: every receive loop ends with the error
      for (const p of this.#pumps) p.fail(err);
    }).finally(() => {
      this.#running = null;
      this.#polled = [];
      // something may have been added while the last poll() was returning
      if (this.#pumps.size > 0 || this.#onDeadline !== null) this.#start();
    });
  }

  async #loop(): Promise<void> {
    const c = libc();
    let failures = 0;
    while (this.#pumps.size > 0 || this.#onDeadline !== null) {
      if (this.#dirty) {
        this.#dirty = false;
        this.#polled = [...this.#pumps];
        this.#fds = pollfds(
          [this.#eventFd, this.#timerFd, ...this.#polled.map((p) => p.fd)],
          POLLIN,
        );
      }
      const fds = this.#fds;
      for (let i = 6; i < fds.length; i += 8) fds[i] = fds[i + 1] = 0; // clear revents
      // gathering: only the eventfd and the deadline, for gatherMs; then every socket is drained
      const gather = this.#gathering;
      const n = gather
        ? await c.poll(fds, 2n, this.#gatherMs)
        : await c.poll(fds, BigInt(fds.length / 8), -1);
      const returned = this.#returned;
      this.#returned = Promise.withResolvers<void>();
      returned.resolve();
      if (n < 0) {
        // EINTR in practice; errno is another thread's, so only a streak is treated as fatal
        if (++failures > 100) throw new OsError("poll", 0, "poll() keeps failing");
        continue;
      }
      failures = 0;
      if (revents(fds, 0) & POLLIN) c.read(this.#eventFd, this.#scratch, 8n);
      const due = (revents(fds, 1) & POLLIN) !== 0;
      if (due) c.read(this.#timerFd, this.#scratch, 8n);
      const polled = this.#polled;
      let packets = 0;
      for (let i = 0; i < polled.length; i++) {
        const events = gather ? POLLIN : revents(fds, i + 2);
        if (events !== 0 && this.#pumps.has(polled[i])) packets += polled[i].ready(events);
      }
      if (this.#gatherMs > 0) {
        // packets again within a few gather windows: a high rate, worth a wake-up per batch
        const now = performance.now();
        if (packets > 0) {
          this.#gathering = now - this.#lastPacketsAt < 4 * this.#gatherMs;
          this.#lastPacketsAt = now;
        } else if (gather) this.#gathering = false;
      }
      const onDue = this.#onDeadline;
      if (due && onDue !== null) {
        this.#onDeadline = null;
        try {
          onDue();
        } catch (err) {
          // as an uncaught error of a timer callback would be
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    }
  }
}

/** `revents` of entry `i` of a pollfd array (little-endian short at byte 6), without a DataView. */
function revents(fds: Uint8Array, i: number): number {
  return fds[i * 8 + 6] | (fds[i * 8 + 7] << 8);
}

const shared = new SharedWait();

/**
 * The deadline of the shared wait: `onDue` runs once, `delayMs` from now (never earlier), when
 * the poll() that also waits for every socket returns. Arming again replaces it.
 */
export function armDeadline(delayMs: number, onDue: () => void): void {
  shared.armDeadline(delayMs, onDue);
}

/**
 * Lets the shared wait gather packets: while they come in faster than one per `ms` or so, each
 * wake-up waits `ms` for the deadline only and then drains every socket, instead of waking for
 * each packet (2,550 adverts/s: a few hundred wake-ups, not thousands). A packet may then wait
 * up to `ms`; 0 (the default) turns it off.
 */
export function setReceiveGather(ms: number): void {
  shared.setGather(ms);
}

/** Disarms the shared wait's deadline. */
export function disarmDeadline(): void {
  shared.disarmDeadline();
}

/**
 * Owns one non-blocking socket fd: drains it whenever the shared wait finds it readable, and
 * closes it (once no poll() covers it) on close().
 */
export class ReceivePump {
  #closing = false;
  #running: PromiseWithResolvers<void> | null = null;
  /** out of the wait: resolves once no poll() covers the fd */
  #left: Promise<void> = Promise.resolve();
  #onPacket: ((p: ReceivedPacket) => void) | null = null;
  #buf: Uint8Array | null = null;
  #fd: number;
  readonly #read: DrainRead;

  /** `read` performs one recvfrom on `fd` (with its own source-address buffers). */
  constructor(fd: number, read: DrainRead) {
    this.#fd = fd;
    this.#read = read;
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
   * callback's error (the pump has then left the wait) or an OsError from recvfrom.
   */
  run(onPacket: (p: ReceivedPacket) => void): Promise<void> {
    if (this.#closing) return Promise.resolve();
    if (this.#running) return Promise.reject(new Error("receiveLoop() is already running"));
    this.#onPacket = onPacket;
    this.#buf = new Uint8Array(RECV_BUFFER_BYTES);
    this.#running = Promise.withResolvers<void>();
    const done = this.#running.promise;
    shared.add(this);
    return done;
  }

  /** Called by the shared wait with the fd's poll events; returns how many were delivered. */
  ready(events: number): number {
    const onPacket = this.#onPacket;
    if (onPacket === null || this.#buf === null) return 0;
    let n = 0;
    try {
      if (events & POLLNVAL) throw new OsError("poll", 9, "socket fd is not open");
      if (events & (POLLIN | POLLERR)) {
        this.#drain(this.#buf, (p) => {
          n++;
          onPacket(p);
        });
      }
    } catch (err) {
      this.fail(err);
    }
    return n;
  }

  /** Leaves the wait; run()'s promise rejects with `err` once no poll() covers the fd. */
  fail(err: unknown): void {
    this.#end(err);
  }

  /** Leaves the wait; the run() promise settles (rejected when `err` is given). */
  #end(err?: unknown): void {
    const running = this.#running;
    if (running === null) return;
    this.#running = null;
    this.#onPacket = null;
    this.#left = shared.remove(this);
    void this.#left.then(() => err === undefined ? running.resolve() : running.reject(err));
  }

  /**
   * Delivers, synchronously and through run()'s callback, whatever the kernel has already
   * queued: the poll's wake-up may still be on its way to the event loop. Returns how many
   * were delivered. A read error is left for the wait, which meets it at its next poll.
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

  /** Leaves the wait and resolves once no poll() covers the fd. Idempotent. */
  async stop(): Promise<void> {
    this.#closing = true;
    this.#end();
    await this.#left;
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
