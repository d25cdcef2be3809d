/**
 * The timer formulas of RFC 3768 §6.1 (v2) and RFC 5798 §6.1 (v3), in milliseconds, from
 * intervals in centiseconds (the unit of v3's Max Adver Int).
 *
 * Precision: Skew_Time is a multiple of 1/256 of an interval, i.e. k × 10/256 ms per
 * centisecond, which a double holds exactly. So we keep the exact fractional milliseconds (v2
 * skew for priority 99 is 613.28125 ms, Master_Down_Interval at 1 s is 3613.28125 ms) and never
 * round: no error accumulates, and keepalived's microsecond value is this number truncated. A
 * shell arming a real timer should round the deadline up (`Math.ceil`) so it never fires early.
 */
import { VrrpVersion } from "./constants.ts";

/** An interval in centiseconds, in milliseconds. */
export function advertIntervalMs(advertIntervalCs: number): number {
  return advertIntervalCs * 10;
}

/**
 * Skew_Time in (exact, fractional) milliseconds. v2 (RFC 3768 §6.1): (256 − Priority) / 256
 * seconds, whatever the interval. v3 (RFC 5798 §6.1): ((256 − Priority) × Master_Adver_Interval)
 * / 256, so it scales with the interval the master advertises.
 */
export function skewTimeMs(
  version: VrrpVersion,
  priority: number,
  masterAdverIntervalCs: number,
): number {
  if (version === VrrpVersion.v2) return ((256 - priority) * 1000) / 256;
  return ((256 - priority) * advertIntervalMs(masterAdverIntervalCs)) / 256;
}

/** Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, in milliseconds (§6.1). */
export function masterDownIntervalMs(
  version: VrrpVersion,
  masterAdverIntervalCs: number,
  priority: number,
): number {
  return 3 * advertIntervalMs(masterAdverIntervalCs) +
    skewTimeMs(version, priority, masterAdverIntervalCs);
}
