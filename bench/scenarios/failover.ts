/**
 * Scenarios 1-4 on the tutorial's example configs, in one cycle per implementation and run:
 * hard failover (A's cable pulled), preemption when the cable is back, graceful failover
 * (SIGTERM to A), preemption when A's daemon restarts, and, from the hard failover, the time
 * inside B from the master-down deadline to its decision, the VIP on eth0 and the first GARP.
 */
import { Capture, firstClaim, lastAdvertBefore } from "../capture.ts";
import {
  copyExampleConfigs,
  EXAMPLE_MASTER_DOWN_MS,
  INSTANCE_VRID1,
  VIP_VRID1,
  VIP_VRID2,
} from "../configs.ts";
import {
  type BenchContext,
  holds,
  pollUntil,
  resetRouters,
  sleep,
  start,
  stopAll,
  tail,
} from "../context.ts";
import type { ImplName, RunningDaemon } from "../daemons.ts";
import { added, deleted, linkBack, linkLost, NetMonitor } from "../monitor.ts";
import type { LabProcess } from "../../tests/netns/lab.ts";

/** The figures of one cycle; null when the event was not seen. */
export interface FailoverSample {
  /** A's carrier lost -> first ARP from B's MAC claiming the VIP, seen by client C */
  hardMs: number | null;
  /**
   * A's last advert on the wire before the cut -> the same answer from B: the hard failover
   * without the bench's cut phase, which jitters by tens of ms from one cycle to the next
   */
  hardFromAdvertMs: number | null;
  /** A's last advert on the wire -> A's carrier lost: the phase the cable was pulled at */
  cutPhaseMs: number | null;
  /** last advert from A + Master_Down_Interval -> B logs its transition to master */
  deadlineToDecisionMs: number | null;
  /** ... -> the VIP appears on B's eth0 (kernel event) */
  deadlineToVipMs: number | null;
  /** ... -> B's first gratuitous ARP for the VIP on the wire */
  deadlineToGarpMs: number | null;
  /** A's carrier back -> VIP on A's eth0 (0 when A never removed it) */
  preemptLinkUpVipMs: number | null;
  /** A's carrier back -> first ARP from A's MAC claiming the VIP seen by C */
  preemptLinkUpClientMs: number | null;
  /** A's carrier back -> first gratuitous ARP from A (what moves clients that cached B) */
  preemptLinkUpGarpMs: number | null;
  /** SIGTERM to A -> first ARP from B's MAC claiming the VIP */
  gracefulMs: number | null;
  /** SIGTERM to A -> VIP on B's eth0 */
  gracefulVipMs: number | null;
  /** A's daemon started again -> VIP on A's eth0 */
  preemptRestartVipMs: number | null;
  /** A's daemon started again -> first ARP from A's MAC claiming the VIP */
  preemptRestartClientMs: number | null;
  /** what went wrong or looked odd */
  notes: string[];
}

/** Where in A's advert cycle the cable is pulled: this long after an advert. */
export const CUT_AFTER_ADVERT_MS = 100;

/** Resolves true as soon as `watch` (tcpdump -l) prints a new line, false after `timeoutMs`. */
async function nextAdvertFrom(watch: LabProcess, timeoutMs: number): Promise<boolean> {
  const before = watch.stdout().split("\n").length;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (watch.stdout().split("\n").length > before) return true;
    await sleep(1);
  }
  return false;
}

const diff = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined ? null : a - b;

/** Starts A then B on the example configs and waits for A master of VRID 1, B of VRID 2. */
export async function startExamplePair(
  ctx: BenchContext,
  impl: ImplName,
  label: string,
): Promise<{ a: RunningDaemon; b: RunningDaemon; confA: string }> {
  const confs = copyExampleConfigs(ctx.work);
  const a = start(ctx, impl, "a", confs.a, label);
  const b = start(ctx, impl, "b", confs.b, label);
  const stable = async () =>
    await holds(ctx, "a", [VIP_VRID1], [VIP_VRID2]) &&
    await holds(ctx, "b", [VIP_VRID2], [VIP_VRID1]);
  // both start as backup; A takes VRID 1 and B VRID 2 once their Master_Down_Intervals elapse
  const ok = await pollUntil(stable, 20_000, 100) && (await sleep(1500), await stable());
  if (!ok) {
    await stopAll([a, b]);
    throw new Error(`${impl}: example pair never became stable\n${tail(a)}\n${tail(b)}`);
  }
  return { a, b, confA: confs.a };
}

/** One failover cycle of `impl`. */
export async function failoverCycle(ctx: BenchContext, impl: ImplName): Promise<FailoverSample> {
  const { lab, macs } = ctx;
  const s: FailoverSample = {
    hardMs: null,
    hardFromAdvertMs: null,
    cutPhaseMs: null,
    deadlineToDecisionMs: null,
    deadlineToVipMs: null,
    deadlineToGarpMs: null,
    preemptLinkUpVipMs: null,
    preemptLinkUpClientMs: null,
    preemptLinkUpGarpMs: null,
    gracefulMs: null,
    gracefulVipMs: null,
    preemptRestartVipMs: null,
    preemptRestartClientMs: null,
    notes: [],
  };
  await resetRouters(ctx);
  const monA = await NetMonitor.start(lab, "a");
  const monB = await NetMonitor.start(lab, "b");
  const cap = await Capture.start(lab, "c", `${ctx.work}/failover-${impl}-${Date.now()}.pcap`);
  let a: RunningDaemon | null = null;
  let b: RunningDaemon | null = null;
  let a2: RunningDaemon | null = null;
  // a live view of A's adverts, to pull the cable at a fixed phase
  const advertWatch = lab.spawn("c", [
    "tcpdump",
    "--immediate-mode", // each advert at once, not when a buffer block fills
    "-l",
    "-n",
    "-i",
    "eth0",
    "-Z",
    "root",
    `ip proto 112 and src host ${lab.ip("a")}`,
  ]);
  await advertWatch.waitFor(/listening on/, 10_000);
  // the client asks for the VIP every 20 ms: whoever holds it answers
  const prober = lab.spawn("c", [
    "arping",
    "-q",
    "-i",
    "eth0",
    "-W",
    "0.02",
    "-c",
    "100000",
    VIP_VRID1,
  ]);
  const marks: Record<string, number | null> = {};
  try {
    ({ a, b } = await startExamplePair(ctx, impl, "failover"));
    const pair = { a, b };

    // 1. hard failover: pull A's cable (switch side: A keeps eth0 UP without carrier), at the
    // same phase for both implementations: CUT_AFTER_ADVERT_MS after one of A's adverts
    const seen = await nextAdvertFrom(advertWatch, 3000);
    if (!seen) s.notes.push("no advert from A seen live; cable pulled at a random phase");
    await sleep(CUT_AFTER_ADVERT_MS);
    const downReq = Date.now();
    await lab.linkDown("a");
    const lost = await monA.waitFor(linkLost, downReq - 5, 2000);
    marks.down = lost?.tMs ?? downReq;
    if (!lost) s.notes.push("no link event on A; used the request time");
    const vipOnB = await monB.waitFor(added(VIP_VRID1), marks.down, 10_000);
    marks.vipOnB = vipOnB?.tMs ?? null;
    if (!vipOnB) s.notes.push(`hard: VIP never appeared on B\n${tail(pair.b)}`);
    marks.decisionB = pair.b.masterAt(INSTANCE_VRID1, marks.down - 5);
    await sleep(800);

    // 3a. preemption when the cable is back
    const upReq = Date.now();
    await lab.linkUp("a");
    const back = await monA.waitFor(linkBack, upReq - 5, 2000);
    marks.up = back?.tMs ?? upReq;
    const leftB = await monB.waitFor(deleted(VIP_VRID1), marks.up, 12_000);
    if (!leftB) s.notes.push("preempt (link up): B kept the VIP");
    const onA = await pollUntil(() => holds(ctx, "a", [VIP_VRID1]), 5000, 50);
    const addA = await monA.waitFor(added(VIP_VRID1), marks.up, 0);
    marks.vipBackOnA = addA?.tMs ?? (onA ? marks.up : null);
    if (onA && !addA) s.notes.push("preempt (link up): A never removed the VIP while cut off");
    await sleep(1200);

    // 2. graceful failover: SIGTERM to A's daemon (only from a clean state: B without the VIP)
    if (!await holds(ctx, "b", [], [VIP_VRID1])) {
      s.notes.push("graceful/restart skipped: B still held the VIP after preemption");
    } else {
      marks.term = Date.now();
      pair.a.signal("SIGTERM");
      const gracefulVip = await monB.waitFor(added(VIP_VRID1), marks.term, 8000);
      marks.gracefulVip = gracefulVip?.tMs ?? null;
      if (!gracefulVip) s.notes.push(`graceful: VIP never appeared on B\n${tail(pair.b)}`);
      await pair.a.exited;
      await sleep(800);

      // 3b. preemption when A's daemon starts again
      marks.restart = Date.now();
      a2 = start(ctx, impl, "a", `${ctx.work}/seed-10.101.1.185.conf`, "restart");
      const restartVip = await monA.waitFor(added(VIP_VRID1), marks.restart, 15_000);
      marks.restartVip = restartVip?.tMs ?? null;
      if (!restartVip) s.notes.push(`restart: VIP never came back to A\n${tail(a2)}`);
      await monB.waitFor(deleted(VIP_VRID1), marks.restart, 3000);
      await sleep(800);
    }
  } finally {
    await prober.stop(500);
    await advertWatch.stop(500);
    await stopAll([a, b, a2]);
    await monA.stop();
    await monB.stop();
  }
  const capture = await cap.stop();
  if (capture.error) s.notes.push(`capture: ${capture.error}`);

  const claimB = (after: number | null | undefined) =>
    after == null ? null : firstClaim(capture, VIP_VRID1, macs.b, after)?.tMs ?? null;
  const claimA = (after: number | null | undefined) =>
    after == null ? null : firstClaim(capture, VIP_VRID1, macs.a, after)?.tMs ?? null;

  s.hardMs = diff(claimB(marks.down), marks.down);
  const lastAdvert = marks.down == null
    ? null
    : lastAdvertBefore(capture, lab.ip("a"), 1, marks.down);
  if (lastAdvert) {
    s.hardFromAdvertMs = diff(claimB(marks.down), lastAdvert.tMs);
    s.cutPhaseMs = diff(marks.down, lastAdvert.tMs);
    const deadline = lastAdvert.tMs + EXAMPLE_MASTER_DOWN_MS;
    s.deadlineToDecisionMs = diff(marks.decisionB, deadline);
    s.deadlineToVipMs = diff(marks.vipOnB, deadline);
    const garpB = firstClaim(capture, VIP_VRID1, macs.b, marks.down, true);
    s.deadlineToGarpMs = diff(garpB?.tMs, deadline);
  } else s.notes.push("no advert from A before the cut in the capture");
  s.preemptLinkUpVipMs = diff(marks.vipBackOnA, marks.up);
  s.preemptLinkUpClientMs = diff(claimA(marks.up), marks.up);
  const garpA = marks.up == null ? null : firstClaim(capture, VIP_VRID1, macs.a, marks.up, true);
  s.preemptLinkUpGarpMs = diff(garpA?.tMs, marks.up);
  s.gracefulMs = diff(claimB(marks.term), marks.term);
  s.gracefulVipMs = diff(marks.gracefulVip, marks.term);
  s.preemptRestartVipMs = diff(marks.restartVip, marks.restart);
  s.preemptRestartClientMs = diff(claimA(marks.restart), marks.restart);
  return s;
}
