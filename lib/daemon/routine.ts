/**
 * Which adverts of an instance are routine (lazy_read.ts): a backup following a master expects
 * the same advert from it every interval, and each one only moves Master_Down further out. Any
 * other advert (priority 0, another master, another priority or interval, and every advert while
 * master, preempting or in fault) must still wake the daemon at once.
 */
import type { InstanceParams } from "../vrrp/types.ts";
import type { InstanceState } from "../vrrp/fsm.ts";
import { Role } from "../vrrp/types.ts";
import type { RoutineAdvert } from "./effects.ts";

/** The owner's priority: it always preempts. */
const PRIORITY_OWNER = 255;

/**
 * The advert `state` expects from the master it follows, when hearing it again would change
 * nothing but the Master_Down_Timer (the FSM's "follow the master" branch); null otherwise.
 */
export function routineAdvert(params: InstanceParams, state: InstanceState): RoutineAdvert | null {
  const s = state;
  if (!s.running || s.role !== Role.backup || s.adminDown || s.masterIp === null) return null;
  const priority = s.masterPriority;
  if (priority === null || priority < 1 || priority > 255) return null;
  // preempting, or about to: a lower-priority advert is not routine
  if (s.preempt !== null || s.ignoredLowerPriority || s.timers.masterDownAtMs === null) return null;
  const preempts = (params.preempt && !s.syncHold) || s.effectivePriority === PRIORITY_OWNER;
  if (preempts && priority < s.effectivePriority) return null;
  let interval = s.masterAdverIntervalCs;
  if (params.version === 2) {
    // v2 carries whole seconds, and only ours is accepted
    if (interval % 100 !== 0) return null;
    interval /= 100;
  }
  if (!Number.isInteger(interval) || interval < 1 || interval > 0xfff) return null;
  return { vrid: params.vrid, version: params.version, source: s.masterIp, priority, interval };
}

/** Whether two routine adverts (or their absence) are the same. */
export function sameRoutine(a: RoutineAdvert | null, b: RoutineAdvert | null): boolean {
  if (a === null || b === null) return a === b;
  return a.vrid === b.vrid && a.version === b.version && a.source === b.source &&
    a.priority === b.priority && a.interval === b.interval;
}
