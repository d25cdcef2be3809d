/**
 * Scenario 7: many instances on one interface. (a) 255 instances at 1 s adverts, A master of
 * all, B backup of all: CPU and RSS of both daemons and adverts missed as seen on the wire.
 * (b) 100 instances failing over at once when A's cable is pulled: time until B holds all VIPs.
 */
import { Capture, type CaptureResult, firstClaim, lastAdvertBefore } from "../capture.ts";
import { EXAMPLE_MASTER_DOWN_MS, scaleVip, writeScaleConfigs } from "../configs.ts";
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
import { added, linkLost, NetMonitor } from "../monitor.ts";
import { type Footprint, FootprintMeter, measureWindow } from "./idle.ts";

/** Figures of the 255-instance steady state. */
export interface ScaleSample {
  instances: number;
  windowMs: number;
  master: Footprint;
  backup: Footprint;
  /** adverts A should have sent in the window but the wire did not carry (gap-based) */
  missedAdverts: number;
  advertsSeen: number;
  /** adverts from B in the window: each one is a spurious takeover */
  backupAdverts: number;
  notes: string[];
}

/** Figures of one mass failover. */
export interface MassFailoverSample {
  instances: number;
  /** A's carrier lost -> the last of the VIPs appears on B */
  allUpMs: number | null;
  /** worst (VIP on B) - (last advert from A for that VRID + Master_Down_Interval) */
  maxLatenessMs: number | null;
  /** A's carrier lost -> the last VIP's first gratuitous ARP from B, seen by client C */
  allGarpMs: number | null;
  /** worst (first GARP from B) - (last advert from A for that VRID + Master_Down_Interval) */
  maxGarpLatenessMs: number | null;
  vipsUp: number;
  notes: string[];
}

const vipList = (count: number) => Array.from({ length: count }, (_, i) => scaleVip(i + 1));

/**
 * Missed adverts of (`source`, every VRID 1..count) in [fromMs, toMs]: for each VRID, every
 * gap of k intervals between consecutive adverts counts k - 1 missing, plus the head and tail
 * of the window not covered.
 */
export function missedAdverts(
  cap: CaptureResult,
  source: string,
  count: number,
  fromMs: number,
  toMs: number,
  intervalMs = 1000,
): { missed: number; seen: number } {
  const byVrid = new Map<number, number[]>();
  for (const a of cap.adverts) {
    if (a.source !== source || a.tMs < fromMs || a.tMs > toMs) continue;
    const list = byVrid.get(a.vrid) ?? [];
    list.push(a.tMs);
    byVrid.set(a.vrid, list);
  }
  let missed = 0;
  let seen = 0;
  for (let vrid = 1; vrid <= count; vrid++) {
    const times = byVrid.get(vrid) ?? [];
    seen += times.length;
    if (times.length === 0) {
      missed += Math.floor((toMs - fromMs) / intervalMs);
      continue;
    }
    const points = [fromMs, ...times, toMs];
    for (let i = 1; i < points.length; i++) {
      // 1.5 intervals or more of silence: at least one advert did not come
      missed += Math.max(0, Math.round((points[i] - points[i - 1]) / intervalMs) - 1);
    }
  }
  return { missed, seen };
}

/** Starts A (all master) then B (all backup) with `count` instances; waits for A's VIPs. */
async function startScalePair(
  ctx: BenchContext,
  impl: ImplName,
  count: number,
  intervalCs?: number,
): Promise<{ a: RunningDaemon; b: RunningDaemon }> {
  const confs = writeScaleConfigs(ctx.work, count, intervalCs);
  const vips = vipList(count);
  const a = start(ctx, impl, "a", confs.a, `scale${count}`);
  const upOnA = await pollUntil(() => holds(ctx, "a", vips), 30_000, 250);
  if (!upOnA) {
    await stopAll([a]);
    throw new Error(`${impl}: A never held all ${count} VIPs\n${tail(a)}`);
  }
  const b = start(ctx, impl, "b", confs.b, `scale${count}`);
  // B starts as backup of everything and must stay so; give it time past Master_Down_Interval
  await sleep(EXAMPLE_MASTER_DOWN_MS + 1500);
  if (!await holds(ctx, "b", [], vips.slice(0, 1))) {
    ctx.log(`${impl}: B holds a VIP it should not (scale ${count})`);
  }
  return { a, b };
}

/**
 * The steady state of `count` instances over the bench window: VRRPv2 at 1 s adverts, or with
 * `intervalCs` VRRPv3 at that interval.
 */
export async function scaleSteady(
  ctx: BenchContext,
  impl: ImplName,
  count = 255,
  intervalCs?: number,
): Promise<ScaleSample> {
  const { lab } = ctx;
  await resetRouters(ctx);
  let pair: { a: RunningDaemon; b: RunningDaemon } | null = null;
  let from = 0;
  let to = 0;
  let master: Footprint;
  let backup: Footprint;
  let cap: Capture | null = null;
  try {
    pair = await startScalePair(ctx, impl, count, intervalCs);
    cap = await Capture.start(lab, "c", `${ctx.work}/scale-${count}-${intervalCs}-${impl}.pcap`);
    await sleep(500);
    from = Date.now();
    const meters = [new FootprintMeter(pair.a.pid), new FootprintMeter(pair.b.pid)];
    await measureWindow(meters, ctx.opts.windowMs);
    to = Date.now();
    [master, backup] = meters.map((m) => m.finish());
  } finally {
    await stopAll([pair?.a, pair?.b]);
  }
  const capture = await cap.stop();
  const intervalMs = intervalCs === undefined ? 1000 : intervalCs * 10;
  const { missed, seen } = missedAdverts(capture, lab.ip("a"), count, from, to, intervalMs);
  const backupAdverts =
    capture.adverts.filter((a) => a.source === lab.ip("b") && a.tMs >= from && a.tMs <= to).length;
  return {
    instances: count,
    windowMs: to - from,
    master,
    backup,
    missedAdverts: missed,
    advertsSeen: seen,
    backupAdverts,
    notes: capture.error ? [`capture: ${capture.error}`] : [],
  };
}

/** `count` instances failing over at once when A's cable is pulled. */
export async function massFailover(
  ctx: BenchContext,
  impl: ImplName,
  count = 100,
): Promise<MassFailoverSample> {
  const { lab } = ctx;
  await resetRouters(ctx);
  const vips = vipList(count);
  const s: MassFailoverSample = {
    instances: count,
    allUpMs: null,
    maxLatenessMs: null,
    allGarpMs: null,
    maxGarpLatenessMs: null,
    vipsUp: 0,
    notes: [],
  };
  let pair: { a: RunningDaemon; b: RunningDaemon } | null = null;
  const monA = await NetMonitor.start(lab, "a");
  const monB = await NetMonitor.start(lab, "b");
  let cap: Capture | null = null;
  let down = 0;
  try {
    pair = await startScalePair(ctx, impl, count);
    cap = await Capture.start(lab, "c", `${ctx.work}/mass-${count}-${impl}-${Date.now()}.pcap`);
    await sleep(1500);
    const req = Date.now();
    await lab.linkDown("a");
    down = (await monA.waitFor(linkLost, req - 5, 2000))?.tMs ?? req;
    await pollUntil(
      () => {
        const up = new Set(
          monB.events().filter((e) => e.kind === "addrAdded" && e.tMs >= down).map((e) =>
            e.address
          ),
        );
        return Promise.resolve(vips.every((v) => up.has(v)));
      },
      EXAMPLE_MASTER_DOWN_MS + 10_000,
      50,
    );
    await sleep(300);
  } finally {
    await stopAll([pair?.a, pair?.b]);
    await monA.stop();
    await monB.stop();
  }
  const capture = await cap.stop();
  const events = monB.events();
  let last = -Infinity;
  let worst = -Infinity;
  let lastGarp = -Infinity;
  let worstGarp = -Infinity;
  let garps = 0;
  for (let vrid = 1; vrid <= count; vrid++) {
    const advert = lastAdvertBefore(capture, lab.ip("a"), vrid, down);
    const deadline = advert ? advert.tMs + EXAMPLE_MASTER_DOWN_MS : NaN;
    const garp = firstClaim(capture, scaleVip(vrid), ctx.macs.b, down, true);
    if (garp) {
      garps++;
      lastGarp = Math.max(lastGarp, garp.tMs);
      if (advert) worstGarp = Math.max(worstGarp, garp.tMs - deadline);
    }
    const up = events.find((e) => added(scaleVip(vrid))(e) && e.tMs >= down);
    if (!up) continue;
    s.vipsUp++;
    last = Math.max(last, up.tMs);
    if (advert) worst = Math.max(worst, up.tMs - deadline);
  }
  if (s.vipsUp === count) s.allUpMs = last - down;
  else s.notes.push(`only ${s.vipsUp}/${count} VIPs came up on B`);
  if (garps === count) s.allGarpMs = lastGarp - down;
  else {
    const clues = pair?.b.lines().filter((l) => /gratuitous|failed|error/i.test(l.text)) ?? [];
    s.notes.push(
      `only ${garps}/${count} VIPs were announced by B; B's log about it:\n` +
        clues.slice(0, 10).map((l) => `  ${l.text}`).join("\n"),
    );
  }
  if (Number.isFinite(worst)) s.maxLatenessMs = worst;
  if (Number.isFinite(worstGarp)) s.maxGarpLatenessMs = worstGarp;
  if (capture.error) s.notes.push(`capture: ${capture.error}`);
  return s;
}
