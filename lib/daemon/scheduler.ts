/**
 * One timer for the whole daemon: each instance has at most one deadline (keepalived's "sands");
 * the scheduler keeps a single timeout armed for the earliest of them and, when it fires, calls
 * back every instance whose deadline has passed.
 */
import type { Effects } from "./effects.ts";

/** How often one firing looks again for deadlines that came due meanwhile. */
const MAX_ROUNDS_PER_FIRE = 8;

/** Per-key deadlines on a monotonic clock, with one armed timer. */
export class Scheduler<K> {
  readonly #deadlines = new Map<K, number>();
  readonly #effects: Pick<Effects, "now" | "setTimer" | "clearTimer">;
  readonly #onDue: (key: K) => void;
  readonly #beforeFire: () => void;
  #timer: number | null = null;
  #armedFor = Infinity;
  /** inside #fire(): the callbacks' set() calls do not re-arm, #fire() arms once at the end */
  #firing = false;

  /**
   * `onDue(key)` runs when `key`'s deadline has passed; it is expected to call `set()` again.
   * `beforeFire()` runs each time the timer fires, before the due keys are picked: whatever it
   * changes (a received advert moving a deadline) counts.
   */
  constructor(
    effects: Pick<Effects, "now" | "setTimer" | "clearTimer">,
    onDue: (key: K) => void,
    beforeFire: () => void = () => {},
  ) {
    this.#effects = effects;
    this.#onDue = onDue;
    this.#beforeFire = beforeFire;
  }

  /** Sets (or with null clears) the deadline of `key`, in monotonic ms, and re-arms the timer. */
  set(key: K, deadlineMs: number | null): void {
    const old = this.#deadlines.get(key);
    if (deadlineMs === null) this.#deadlines.delete(key);
    else this.#deadlines.set(key, deadlineMs);
    if (this.#firing) return;
    // every received advert moves a deadline: look at all of them only when the armed one moved
    if (old === this.#armedFor || (deadlineMs !== null && deadlineMs < this.#armedFor)) {
      this.#arm();
    }
  }

  /** The deadline of `key`, if any. */
  get(key: K): number | null {
    return this.#deadlines.get(key) ?? null;
  }

  /** Clears every deadline and the timer. */
  stop(): void {
    this.#deadlines.clear();
    this.#disarm();
  }

  #earliest(): number {
    let min = Infinity;
    for (const d of this.#deadlines.values()) if (d < min) min = d;
    return min;
  }

  #disarm(): void {
    if (this.#timer !== null) this.#effects.clearTimer(this.#timer);
    this.#timer = null;
    this.#armedFor = Infinity;
  }

  #arm(): void {
    const earliest = this.#earliest();
    if (earliest === this.#armedFor && this.#timer !== null) return;
    this.#disarm();
    if (earliest === Infinity) return;
    const delay = Math.max(0, earliest - this.#effects.now());
    this.#armedFor = earliest;
    this.#timer = this.#effects.setTimer(delay, () => this.#fire());
  }

  #fire(): void {
    this.#timer = null;
    this.#armedFor = Infinity;
    this.#firing = true;
    try {
      this.#beforeFire();
      // deadlines that come due while earlier ones run are run in the same wake-up (a burst of
      // instances in step would otherwise cost one timer round trip each); bounded, so a key
      // that keeps setting a deadline in the past cannot hold the event loop
      for (let round = 0; round < MAX_ROUNDS_PER_FIRE; round++) {
        const now = this.#effects.now();
        // collect first: onDue() changes the map
        const due: [K, number][] = [];
        for (const e of this.#deadlines) if (e[1] <= now) due.push(e);
        if (due.length === 0) break;
        if (due.length > 1) due.sort((a, b) => a[1] - b[1]);
        for (const [key] of due) {
          // an earlier callback may have moved or removed this deadline
          const d = this.#deadlines.get(key);
          if (d === undefined || d > now) continue;
          this.#deadlines.delete(key);
          this.#onDue(key);
        }
      }
    } finally {
      this.#firing = false;
      this.#arm();
    }
  }
}
