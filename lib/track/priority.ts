/**
 * How tracked objects move an instance's priority, with keepalived's semantics. Pure.
 *
 * - script / interface, weight > 0: the weight is added while it is OK (up);
 *   weight < 0: the weight is added while it fails (down); weight 0: failing means FAULT.
 *   `reverse` keeps the condition but flips the sign of the weight.
 * - track_file: value × weight is added (sign flipped by `reverse`); weight 0: a non-zero value
 *   means FAULT; a product of -254 or less also means FAULT.
 * - The sum is clamped to 1..254; an address owner's 255 is never adjusted (it can still FAULT).
 */

/** The lowest and highest priority a backup may have (RFC 3768 §5.3.4). */
export const MIN_ADJUSTED_PRIORITY = 1;
export const MAX_ADJUSTED_PRIORITY = 254;
/** The address owner's priority. */
export const OWNER_PRIORITY = 255;

/** One tracked object's contribution. */
export interface Adjustment {
  /** e.g. `script chk_nginx`, `file /run/weight`, `interface eth1` */
  source: string;
  delta: number;
}

/** The priority to advertise, what moved it, and whether tracked objects put us in FAULT. */
export interface EffectivePriority {
  priority: number;
  /** readable, e.g. `script chk_nginx -20`; only non-zero contributions */
  adjustments: string[];
  fault: boolean;
}

/** Combines the base priority with every contribution and fault (sources of faults). */
export function effectivePriority(
  base: number,
  adjustments: Adjustment[],
  faults: string[],
): EffectivePriority {
  const fault = faults.length > 0;
  if (base >= OWNER_PRIORITY) return { priority: OWNER_PRIORITY, adjustments: [], fault };
  const nonZero = adjustments.filter((a) => a.delta !== 0);
  const sum = nonZero.reduce((s, a) => s + a.delta, base);
  const priority = Math.min(MAX_ADJUSTED_PRIORITY, Math.max(MIN_ADJUSTED_PRIORITY, sum));
  return {
    priority,
    adjustments: nonZero.map((a) => `${a.source} ${a.delta > 0 ? "+" : ""}${a.delta}`),
    fault,
  };
}

/** A tracked object's effect right now. */
export interface TrackEffect {
  delta: number;
  fault: boolean;
}

/** A `vrrp_script` (or any OK/failing object) with `weight` [`reverse`] in state `ok`. */
export function scriptAdjustment(weight: number, reverse: boolean, ok: boolean): TrackEffect {
  if (weight === 0) return { delta: 0, fault: !ok };
  const sign = reverse ? -1 : 1;
  if (weight > 0) return { delta: ok ? sign * weight : 0, fault: false };
  return { delta: ok ? 0 : sign * weight, fault: false };
}

/** A `track_interface` entry: no weight (or 0) means FAULT while the link is down. */
export function interfaceAdjustment(
  weight: number | undefined,
  reverse: boolean,
  up: boolean,
): TrackEffect {
  return scriptAdjustment(weight ?? 0, reverse, up);
}

/** A `track_file` whose file holds `value`. */
export function fileAdjustment(value: number, weight: number, reverse: boolean): TrackEffect {
  if (weight === 0) return { delta: 0, fault: value !== 0 };
  const delta = value * weight * (reverse ? -1 : 1);
  if (delta <= -254) return { delta: 0, fault: true };
  return { delta: Math.min(254, delta), fault: false };
}

/** The weight in force: the instance's `track_* { NAME weight W [reverse] }` beats the object's. */
export function resolveWeight(
  ref: { weight?: number; reverse?: boolean },
  objectWeight: number,
  objectReverse: boolean,
): { weight: number; reverse: boolean } {
  return ref.weight !== undefined
    ? { weight: ref.weight, reverse: ref.reverse ?? false }
    : { weight: objectWeight, reverse: ref.reverse ?? objectReverse };
}

/** Consecutive-result hysteresis of a `vrrp_script` (`rise` successes to OK, `fall` failures to KO). */
export interface HysteresisState {
  ok: boolean;
  /** consecutive results that disagree with `ok` */
  streak: number;
}

/** Applies one result; the state flips after `rise` (or `fall`) disagreeing results in a row. */
export function stepHysteresis(
  s: HysteresisState,
  resultOk: boolean,
  rise: number,
  fall: number,
): HysteresisState {
  if (resultOk === s.ok) return { ok: s.ok, streak: 0 };
  const streak = s.streak + 1;
  const needed = Math.max(1, resultOk ? rise : fall);
  return streak >= needed ? { ok: resultOk, streak: 0 } : { ok: s.ok, streak };
}
