/**
 * Scenario 8: the cost of a `/metrics` scrape with 255 instances. A (vrrp only: keepalived has
 * no metrics endpoint) runs the scale config with `--metrics-listen` on its namespace's
 * loopback; curl in the same namespace scrapes it back to back over one connection and reports
 * each transfer's total time, request sent to last byte read. The whole round trip is counted,
 * so the figure bounds what a scrape costs the daemon (one snapshot plus rendering, on its event
 * loop). curl rather than a Deno client: the client's own time stays out of the figure.
 */
import { scaleVip, writeScaleConfigs } from "../configs.ts";
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
import type { RunningDaemon } from "../daemons.ts";
import { percentile } from "../stats.ts";

/** Where A listens, inside its namespace. */
const LISTEN = "127.0.0.1:9650";
/** From A holding every VIP to the first scrape: past the delayed GARP burst of 255 masters. */
const SETTLE_MS = 6000;
/** Scrapes before the timed ones (JIT warm-up of both sides). */
const WARMUP = 20;

/** Figures of one scrape series. */
export interface MetricsSample {
  instances: number;
  scrapes: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** size of one page and how many samples it holds */
  pageBytes: number;
  series: number;
}

/** Starts A with `count` instances and metrics on, waits for its VIPs, scrapes `scrapes` times. */
export async function metricsScrape(
  ctx: BenchContext,
  count = 255,
  scrapes = 500,
): Promise<MetricsSample> {
  await resetRouters(ctx);
  const confs = writeScaleConfigs(ctx.work, count);
  const vips = Array.from({ length: count }, (_, i) => scaleVip(i + 1));
  let a: RunningDaemon | null = null;
  try {
    a = start(ctx, "vrrp", "a", confs.a, `metrics${count}`, ["--metrics-listen", LISTEN]);
    if (!await pollUntil(() => holds(ctx, "a", vips), 30_000, 250)) {
      throw new Error(`vrrp: A never held all ${count} VIPs\n${tail(a)}`);
    }
    // the steady state: past the second gratuitous ARP burst (garp_master_delay, 5 s)
    await sleep(SETTLE_MS);
    const url = `http://${LISTEN}/metrics`;
    const pagePath = `${ctx.work}/metrics-page.txt`;
    await ctx.lab.must("a", ["curl", "-sS", "--fail", "-o", pagePath, url]);
    const page = await Deno.readTextFile(pagePath);
    const series = page.split("\n").filter((l) => l !== "" && !l.startsWith("#")).length;
    // one curl, one connection: a line per transfer, "SECONDS BYTES"
    const out = await ctx.lab.must(
      "a",
      [
        "curl",
        "-sS",
        "--fail",
        "-w",
        "%{time_total} %{size_download}\n",
        // -o applies to one URL each
        ...Array.from({ length: WARMUP + scrapes }, () => ["-o", "/dev/null", url]).flat(),
      ],
      { timeoutMs: 120_000 },
    );
    const ms = out.trim().split("\n").slice(WARMUP).map((l) => Number(l.split(" ")[0]) * 1000);
    return {
      instances: count,
      scrapes: ms.length,
      p50Ms: percentile(ms, 50),
      p99Ms: percentile(ms, 99),
      maxMs: Math.max(...ms),
      pageBytes: new TextEncoder().encode(page).length,
      series,
    };
  } finally {
    await stopAll([a]);
  }
}
