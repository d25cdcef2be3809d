/**
 * Timers that fire within a fraction of a millisecond of their time, with one wake-up each.
 * `setTimeout` has whole-millisecond ticks and wakes up to about 2 ms late (advert jitter), and
 * each extra wake-up of an idle daemon costs CPU; so every timer of the daemon shares the one
 * deadline of the wait that also covers the sockets (a timerfd in ffi/poller.ts), armed for
 * the earliest of them.
 */

/** The one deadline the timers are multiplexed onto (the real one: ffi/poller.ts). */
export interface DeadlinePort {
  /** monotonic ms, the clock the delays count on */
  now(): number;
  /** calls `onDue` once, `delayMs` from now and never earlier, replacing the armed deadline */
  arm(delayMs: number, onDue: () => void): void;
  disarm(): void;
}

/** setTimer/clearTimer over one deadline; see the module comment. */
export class PreciseTimers {
  readonly #port: DeadlinePort;
  /** id -> [due ms, callback], in the order they were set */
  readonly #live = new Map<number, [number, () => void]>();
  #nextId = 1;
  #armedFor = Infinity;
  #firing = false;

  constructor(port: DeadlinePort) {
    this.#port = port;
  }

  /** Calls `fn` once, `delayMs` from now (never earlier); returns an id for clearTimer(). */
  setTimer(delayMs: number, fn: () => void): number {
    const id = this.#nextId++;
    const due = this.#port.now() + Math.max(0, delayMs);
    this.#live.set(id, [due, fn]);
    if (!this.#firing && due < this.#armedFor) this.#arm(due);
    return id;
  }

  /** Cancels a timer. Unknown ids are ignored. */
  clearTimer(id: number): void {
    const entry = this.#live.get(id);
    if (!entry) return;
    this.#live.delete(id);
    // an earlier deadline left armed only costs a wake-up that finds nothing due, except when
    // nothing is left: then the wait must not be kept alive for it
    if (this.#live.size === 0 && !this.#firing) this.#disarm();
  }

  #arm(due: number): void {
    this.#armedFor = due;
    this.#port.arm(due - this.#port.now(), () => this.#fire());
  }

  #disarm(): void {
    if (this.#armedFor === Infinity) return;
    this.#armedFor = Infinity;
    this.#port.disarm();
  }

  #fire(): void {
    this.#armedFor = Infinity;
    this.#firing = true;
    try {
      const now = this.#port.now();
      // in due order; a callback may set or clear timers meanwhile
      const due = [...this.#live].filter((e) => e[1][0] <= now).sort((a, b) => a[1][0] - b[1][0]);
      for (const [id, [, fn]] of due) {
        if (!this.#live.delete(id)) continue; // cleared by an earlier callback
        fn();
      }
    } finally {
      this.#firing = false;
      let next = Infinity;
      for (const [due] of this.#live.values()) if (due < next) next = due;
      if (next !== Infinity) this.#arm(next);
    }
  }
}
