/**
 * Scenarios 5-6 on the example configs: advert timer precision (|interval - 1 s| of each
 * master's adverts, from capture timestamps) and the footprint of an idle daemon (RSS and CPU
 * time of its whole process tree over the window).
 */
import { Capture, type CaptureResult } from "../capture.ts";
import { type BenchContext, resetRouters, sleep, stopAll } from "../context.ts";
import type { ImplName, RunningDaemon } from "../daemons.ts";
import { cpuPercent, sampleTree, type TreeSample } from "../proc.ts";
import { startExamplePair } from "./failover.ts";

/** Footprint of one daemon over the window. */
export interface Footprint {
  cpuPercent: number;
  /** RSS of the whole tree at the start of the window (growth over the window hints at a leak) */
  rssStartMb: number;
  /** RSS of the whole tree at the end of the window */
  rssMb: number;
  rssMaxMb: number;
  /** proportional share of the tree's memory at the end (the deno binary's pages are shared) */
  pssMb: number;
  /** thread wake-ups (run slices) per second over the window, all threads of the tree */
  wakeupsPerSec: number;
  processes: number;
}

/** The figures of one idle window. */
export interface IdleSample {
  windowMs: number;
  a: Footprint;
  b: Footprint;
  /** |interval - 1000 ms| of every consecutive advert pair of each master in the window */
  jitterMs: number[];
  notes: string[];
}

/** Tracks the max RSS of a tree while a window runs. */
export class FootprintMeter {
  readonly #pid: number;
  readonly #first: TreeSample;
  readonly #t0 = performance.now();
  #maxKb = 0;

  constructor(pid: number) {
    this.#pid = pid;
    this.#first = sampleTree(pid);
    this.#maxKb = this.#first.rssKb;
  }

  /** Takes an intermediate RSS sample. */
  tick(): void {
    this.#maxKb = Math.max(this.#maxKb, sampleTree(this.#pid).rssKb);
  }

  /** The footprint from construction until now. */
  finish(): Footprint {
    const last = sampleTree(this.#pid);
    this.#maxKb = Math.max(this.#maxKb, last.rssKb);
    return {
      cpuPercent: cpuPercent(this.#first, last, performance.now() - this.#t0),
      rssStartMb: this.#first.rssKb / 1024,
      rssMb: last.rssKb / 1024,
      rssMaxMb: this.#maxKb / 1024,
      pssMb: last.pssKb / 1024,
      wakeupsPerSec: (1000 * (last.slices - this.#first.slices)) / (performance.now() - this.#t0),
      processes: last.pids.length,
    };
  }
}

/** Runs `windowMs`, sampling RSS of every meter once a second. */
export async function measureWindow(meters: FootprintMeter[], windowMs: number): Promise<void> {
  const end = performance.now() + windowMs;
  while (performance.now() < end) {
    await sleep(Math.min(1000, end - performance.now()));
    for (const m of meters) m.tick();
  }
}

/** |interval - expected| of consecutive adverts of (`source`, `vrid`) within [fromMs, toMs]. */
export function advertJitter(
  cap: CaptureResult,
  source: string,
  vrid: number,
  fromMs: number,
  toMs: number,
  expectedMs = 1000,
): number[] {
  const times = cap.adverts
    .filter((a) => a.source === source && a.vrid === vrid && a.tMs >= fromMs && a.tMs <= toMs)
    .map((a) => a.tMs);
  const out: number[] = [];
  for (let i = 1; i < times.length; i++) out.push(Math.abs(times[i] - times[i - 1] - expectedMs));
  return out;
}

/** One idle window of `impl` on the example configs. */
export async function idleWindow(ctx: BenchContext, impl: ImplName): Promise<IdleSample> {
  const { lab } = ctx;
  await resetRouters(ctx);
  const cap = await Capture.start(lab, "c", `${ctx.work}/idle-${impl}.pcap`);
  let pair: { a: RunningDaemon; b: RunningDaemon } | null = null;
  let from = 0;
  let to = 0;
  let a: Footprint;
  let b: Footprint;
  try {
    pair = await startExamplePair(ctx, impl, "idle");
    // let start-up work (keepalived repeats its GARPs 5 s after becoming master) die down
    await sleep(ctx.opts.quick ? 2000 : 6000);
    from = Date.now();
    const meters = [new FootprintMeter(pair.a.pid), new FootprintMeter(pair.b.pid)];
    await measureWindow(meters, ctx.opts.windowMs);
    to = Date.now();
    [a, b] = meters.map((m) => m.finish());
  } finally {
    await stopAll([pair?.a, pair?.b]);
  }
  const capture = await cap.stop();
  const jitterMs = [
    ...advertJitter(capture, lab.ip("a"), 1, from, to),
    ...advertJitter(capture, lab.ip("b"), 2, from, to),
  ];
  return {
    windowMs: to - from,
    a,
    b,
    jitterMs,
    notes: capture.error ? [`capture: ${capture.error}`] : [],
  };
}
