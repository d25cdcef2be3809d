/**
 * Timers that fire within a fraction of a millisecond of their time. `setTimeout` has
 * whole-millisecond ticks and wakes up to about 2 ms late, which shows as advert interval jitter;
 * so a timer is armed {@link PRECISE_LEAD_MS} early and the last stretch is slept precisely on a
 * worker thread (`sleepMicros`), which wakes the event loop as soon as it returns. A short
 * sleep blocks nothing: it only holds a worker thread.
 */

/** How much earlier than its time the coarse timer is armed, ms. */
export const PRECISE_LEAD_MS = 2;

/** What the precise timers are built from (the real ones: setTimeout, performance.now, usleep). */
export interface TimerParts {
  now(): number;
  setTimeout(fn: () => void, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
  /** waits about `micros` µs without blocking the event loop */
  sleepMicros(micros: number): Promise<void>;
}

/** setTimer/clearTimer with sub-millisecond precision; see the module comment. */
export class PreciseTimers {
  readonly #parts: TimerParts;
  readonly #live = new Map<number, { handle: unknown }>();
  #nextId = 1;

  constructor(parts: TimerParts) {
    this.#parts = parts;
  }

  /** Calls `fn` once, `delayMs` from now (never earlier); returns an id for clearTimer(). */
  setTimer(delayMs: number, fn: () => void): number {
    const p = this.#parts;
    const id = this.#nextId++;
    const dueMs = p.now() + Math.max(0, delayMs);
    const fire = () => {
      if (!this.#live.delete(id)) return; // cleared meanwhile
      fn();
    };
    const last = () => {
      const restMs = dueMs - p.now();
      if (restMs <= 0) return fire();
      if (restMs > PRECISE_LEAD_MS * 2) {
        // woken far too early (a clock jump or a coarse tick): wait coarsely again
        entry.handle = p.setTimeout(last, Math.floor(restMs - PRECISE_LEAD_MS));
        return;
      }
      p.sleepMicros(restMs * 1000).then(() => {
        // the sleep may end a few µs short: never fire before the time
        const left = dueMs - p.now();
        if (left > 0.05) return last();
        fire();
      }, () => {
        entry.handle = p.setTimeout(fire, Math.ceil(Math.max(0, dueMs - p.now())));
      });
    };
    const entry = { handle: null as unknown };
    this.#live.set(id, entry);
    entry.handle = p.setTimeout(last, Math.max(0, Math.floor(delayMs - PRECISE_LEAD_MS)));
    return id;
  }

  /** Cancels a timer; a sleep already under way ends without calling it. Unknown ids are ignored. */
  clearTimer(id: number): void {
    const entry = this.#live.get(id);
    if (!entry) return;
    this.#live.delete(id);
    this.#parts.clearTimeout(entry.handle);
  }
}
