/**
 * How long the shared wait may gather received packets before handing them over (see
 * ffi/poller.ts setReceiveGather): a fiftieth of the shortest advert interval, at most 5 ms, so
 * a late-handled advert never matters next to Master_Down_Interval (three intervals and more).
 * At 20 ms adverts that is under a millisecond: off. It only engages while packets come in
 * faster than one per few windows (255 instances at 100 ms: 2,550 a second).
 */
import { setReceiveGather } from "../../ffi/poller.ts";
import type { InstanceConfig } from "../../config/model.ts";

/** The most a packet is held back, ms. */
export const MAX_GATHER_MS = 5;

/** The gather window for these instances, whole ms (0: off). */
export function receiveGatherMs(instances: Pick<InstanceConfig, "advertIntervalSec">[]): number {
  if (instances.length === 0) return 0;
  const shortestMs = Math.min(...instances.map((i) => i.advertIntervalSec * 1000));
  return Math.min(MAX_GATHER_MS, Math.floor(shortestMs / 50));
}

/** Applies receiveGatherMs() to the process's shared wait. */
export function applyReceiveGather(instances: Pick<InstanceConfig, "advertIntervalSec">[]): void {
  setReceiveGather(receiveGatherMs(instances));
}
