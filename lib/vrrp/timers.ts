/**
 * RFC 3768 §6.1 timer formulas, in milliseconds.
 *
 * Precision: Skew_Time = (256 − Priority) / 256 s is a multiple of 1/256 s, i.e. k × 125/32 ms,
 * which a double holds exactly. So we keep the exact fractional milliseconds (skew for priority
 * 99 is 613.28125 ms, Master_Down_Interval at 1 s is 3613.28125 ms) and never round: no error
 * accumulates, and keepalived's microsecond value (613281 µs) is this number truncated. A shell
 * arming a real timer should round the deadline up (`Math.ceil`) so it never fires early.
 */

/** §6.1 Advertisement_Interval in milliseconds (the wire carries whole seconds). */
export function advertIntervalMs(advertIntervalSec: number): number {
  return advertIntervalSec * 1000;
}

/** §6.1 Skew_Time = (256 − Priority) / 256 seconds, in (exact, fractional) milliseconds. */
export function skewTimeMs(priority: number): number {
  return ((256 - priority) * 1000) / 256;
}

/** §6.1 Master_Down_Interval = 3 × Advertisement_Interval + Skew_Time, in milliseconds. */
export function masterDownIntervalMs(advertIntervalSec: number, priority: number): number {
  return 3 * advertIntervalMs(advertIntervalSec) + skewTimeMs(priority);
}
