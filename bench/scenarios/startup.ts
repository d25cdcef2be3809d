/**
 * Scenario 9: start-up. Router A alone is started on its example config; client C's capture
 * times (kernel stamps) when A's IGMP report for 224.0.0.18 (the socket joined the group) and
 * A's first advert reach the wire, counted from the moment the bench spawned the daemon. Alone,
 * A becomes master of both instances once Master_Down_Interval has elapsed, so the first advert
 * comes about 3.6 s after the join with either implementation; the difference is start-up work.
 */
import { Capture } from "../capture.ts";
import { copyExampleConfigs, VIP_VRID1 } from "../configs.ts";
import {
  type BenchContext,
  holds,
  pollUntil,
  resetRouters,
  sleep,
  start,
  stopAll,
} from "../context.ts";
import type { ImplName, RunningDaemon } from "../daemons.ts";

/** The VRRP multicast group (RFC 3768 §5.2.2). */
const VRRP_GROUP = "224.0.0.18";

/** Figures of one start. */
export interface StartupSample {
  /** daemon spawned -> its IGMP report for 224.0.0.18 on the wire */
  joinMs: number | null;
  /** daemon spawned -> its first advert on the wire */
  firstAdvertMs: number | null;
  notes: string[];
}

/** Starts `impl` on router A alone and times the join and the first advert. */
export async function startupRun(ctx: BenchContext, impl: ImplName): Promise<StartupSample> {
  const { lab } = ctx;
  await resetRouters(ctx);
  const cap = await Capture.start(lab, "c", `${ctx.work}/startup-${impl}.pcap`);
  const confs = copyExampleConfigs(ctx.work);
  let daemon: RunningDaemon | null = null;
  const t0 = Date.now();
  const notes: string[] = [];
  try {
    daemon = start(ctx, impl, "a", confs.a, "startup");
    if (!await pollUntil(() => holds(ctx, "a", [VIP_VRID1]), 15_000, 50)) {
      notes.push("A never became master");
    }
    await sleep(300);
  } finally {
    await stopAll([daemon]);
  }
  const capture = await cap.stop();
  if (capture.error) notes.push(`capture: ${capture.error}`);
  const me = lab.ip("a");
  const join = capture.joins.find((j) => j.source === me && j.group === VRRP_GROUP && j.tMs >= t0);
  const advert = capture.adverts.find((a) => a.source === me && a.tMs >= t0);
  if (!join) notes.push("no IGMP report for 224.0.0.18 seen");
  return {
    joinMs: join ? join.tMs - t0 : null,
    firstAdvertMs: advert ? advert.tMs - t0 : null,
    notes,
  };
}
