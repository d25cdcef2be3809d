/**
 * Dropped packets are counted always and logged at most once per window per reason, with how
 * many were dropped since the last line (keepalived's rate-limited bad-packet logs).
 */

/** Default window between two log lines for the same reason. */
export const DROP_LOG_WINDOW_MS = 10_000;

/** Counts drops per reason and decides when a line is due. */
export class DropLog {
  /** total per reason since start (the status counters) */
  readonly counts: Record<string, number> = {};
  readonly #lastLoggedAt = new Map<string, number>();
  readonly #sinceLog = new Map<string, number>();
  readonly #windowMs: number;

  constructor(windowMs = DROP_LOG_WINDOW_MS) {
    this.#windowMs = windowMs;
  }

  /**
   * Counts one drop of `reason` at `nowMs`; returns how many drops the log line should report
   * (this one included) when a line is due, or 0 when it is suppressed.
   */
  record(reason: string, nowMs: number): number {
    this.counts[reason] = (this.counts[reason] ?? 0) + 1;
    const pending = (this.#sinceLog.get(reason) ?? 0) + 1;
    const last = this.#lastLoggedAt.get(reason);
    if (last !== undefined && nowMs - last < this.#windowMs) {
      this.#sinceLog.set(reason, pending);
      return 0;
    }
    this.#lastLoggedAt.set(reason, nowMs);
    this.#sinceLog.set(reason, 0);
    return pending;
  }
}
