/**
 * `deno task bench`: failover latency, timer precision, footprint and scale of vrrp side by side
 * with keepalived 2.2.7 on the same namespace lab (switch, routers A and B, client C), both
 * implementations alternating. Prints a table and writes bench/results/latest.{json,md}.
 *
 *   deno task bench [--runs N] [--only SCENARIOS] [--impl vrrp,keepalived]
 *                   [--window SECONDS] [--soak SECONDS] [--loops N] [--quick] [--keep]
 *                   [--out DIR] [--render]
 *
 * `soak` (20 ms VRRPv3 pairs under `--loops` busy loops, `--soak` seconds, default 600) and
 * `scale3` (255 instances at 100 ms) saturate the host's CPUs.
 *
 * `--render` runs nothing: it rebuilds the table and latest.md from an existing latest.json.
 *
 * Needs root, keepalived, tcpdump, arping, nft, curl and iproute2. Targets are reported, not asserted.
 */
import { parseArgs } from "node:util";
import { destroyAllLabsSync, Lab } from "../tests/netns/lab.ts";
import { DEMO_TOOLS, ensureTools } from "../scripts/prereqs.ts";
import type { BenchContext, BenchOptions } from "./context.ts";
import { type ImplName, IMPLS } from "./daemons.ts";
import { buildRows, consoleTable, emptyResults, markdownTable, type RawResults } from "./report.ts";
import { failoverCycle } from "./scenarios/failover.ts";
import { idleWindow } from "./scenarios/idle.ts";
import { metricsScrape } from "./scenarios/metrics.ts";
import { massFailover, scaleSteady } from "./scenarios/scale.ts";
import { v3FailoverCycle } from "./scenarios/v3_failover.ts";
import { startupRun } from "./scenarios/startup.ts";
import { killBusyLoops, soakRun } from "./scenarios/soak.ts";
import { loadAvg, type MachineInfo, machineInfo } from "./machine.ts";

/** Scenario groups `--only` can pick. */
export const SCENARIOS = [
  "failover",
  "idle",
  "scale",
  "mass",
  "v3",
  "metrics",
  "startup",
  "soak",
  "scale3",
] as const;

const USAGE = `usage: deno task bench [--runs N] [--only ${SCENARIOS.join(",")}]
       [--impl vrrp,keepalived] [--window SECONDS] [--soak SECONDS] [--loops N] [--quick]
       [--keep] [--out DIR] [--render]`;

/** Parses the command line; throws with a usage message on bad input. */
export function parseOptions(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      runs: { type: "string" },
      only: { type: "string" },
      impl: { type: "string" },
      window: { type: "string" },
      soak: { type: "string" },
      loops: { type: "string" },
      quick: { type: "boolean", default: false },
      keep: { type: "boolean", default: false },
      render: { type: "boolean", default: false },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
  });
  if (values.help) throw new Error(USAGE);
  const quick = values.quick ?? false;
  const runs = values.runs === undefined ? (quick ? 1 : 5) : Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: bad value ${values.runs}`);
  const windowSec = values.window === undefined ? (quick ? 10 : 60) : Number(values.window);
  if (!(windowSec >= 2)) throw new Error(`--window: bad value ${values.window} (seconds, >= 2)`);
  const soakSec = values.soak === undefined ? (quick ? 30 : 600) : Number(values.soak);
  if (!(soakSec >= 5)) throw new Error(`--soak: bad value ${values.soak} (seconds, >= 5)`);
  const loops = values.loops === undefined ? 8 : Number(values.loops);
  if (!Number.isInteger(loops) || loops < 0) throw new Error(`--loops: bad value ${values.loops}`);
  const only = values.only === undefined ? null : values.only.split(",").map((s) => s.trim());
  for (const o of only ?? []) {
    if (!(SCENARIOS as readonly string[]).includes(o)) {
      throw new Error(`--only: unknown scenario ${JSON.stringify(o)}\n${USAGE}`);
    }
  }
  const impls = values.impl === undefined
    ? [...IMPLS]
    : values.impl.split(",").map((s) => s.trim()) as ImplName[];
  for (const i of impls) {
    if (!IMPLS.includes(i)) throw new Error(`--impl: unknown implementation ${JSON.stringify(i)}`);
  }
  return {
    runs,
    only,
    impls,
    quick,
    windowMs: windowSec * 1000,
    soakMs: soakSec * 1000,
    loops,
    outDir: values.out ?? new URL("./results", import.meta.url).pathname,
    keep: values.keep ?? false,
    render: values.render ?? false,
  };
}

function wanted(opts: BenchOptions, scenario: string): boolean {
  return opts.only === null || opts.only.includes(scenario);
}

/** The implementations in the order of run `i`: alternating which goes first. */
function order(opts: BenchOptions, i: number): ImplName[] {
  return i % 2 === 0 ? opts.impls : [...opts.impls].reverse();
}

async function attempt<T>(
  ctx: BenchContext,
  raw: RawResults,
  scenario: string,
  impl: ImplName,
  run: number,
  fn: () => Promise<T>,
): Promise<T | null> {
  const t0 = Date.now();
  ctx.log(`${scenario} #${run + 1} ${impl} ...`);
  try {
    const r = await fn();
    ctx.log(`${scenario} #${run + 1} ${impl} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return r;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    ctx.log(`${scenario} #${run + 1} ${impl} FAILED: ${message}`);
    raw.errors.push({ scenario, impl, run, message });
    return null;
  }
}

/** Runs the selected scenarios on one lab and returns every sample. */
export async function runBench(
  opts: BenchOptions,
  log: (msg: string) => void,
): Promise<RawResults> {
  const raw = emptyResults();
  const work = await Deno.makeTempDir({ prefix: "vrrp-bench-" });
  const lab = await Lab.create({ routers: ["a", "b"], client: true, ipv6: true });
  try {
    const ctx: BenchContext = {
      lab,
      work,
      opts,
      macs: { a: await lab.mac("a"), b: await lab.mac("b") },
      log,
    };
    log(`lab ${lab.prefix}* up; work dir ${work}`);
    if (wanted(opts, "failover")) {
      for (let i = 0; i < opts.runs; i++) {
        for (const impl of order(opts, i)) {
          const s = await attempt(ctx, raw, "failover", impl, i, () => failoverCycle(ctx, impl));
          if (s) {
            raw.failover[impl].push(s);
            for (const n of s.notes) log(`  note: ${n}`);
          }
        }
      }
    }
    if (wanted(opts, "idle")) {
      for (const impl of opts.impls) {
        const s = await attempt(ctx, raw, "idle", impl, 0, () => idleWindow(ctx, impl));
        if (s) raw.idle[impl].push(s);
      }
    }
    if (wanted(opts, "scale")) {
      for (const impl of opts.impls) {
        const s = await attempt(ctx, raw, "scale", impl, 0, () => scaleSteady(ctx, impl, 255));
        if (s) raw.scale[impl].push(s);
      }
    }
    if (wanted(opts, "mass")) {
      for (let i = 0; i < opts.runs; i++) {
        for (const impl of order(opts, i)) {
          const s = await attempt(ctx, raw, "mass", impl, i, () => massFailover(ctx, impl, 100));
          if (s) {
            raw.mass[impl].push(s);
            for (const n of s.notes) log(`  note: ${n}`);
          }
        }
      }
    }
    if (wanted(opts, "v3")) {
      // VRRPv3 dual stack at 100 ms and 20 ms adverts (RFC 5798 centisecond timers)
      for (const cs of [10, 2]) {
        for (let i = 0; i < opts.runs; i++) {
          for (const impl of order(opts, i)) {
            const s = await attempt(ctx, raw, "v3", impl, i, () => v3FailoverCycle(ctx, impl, cs));
            if (s) {
              raw.v3![impl].push(s);
              for (const n of s.notes) log(`  note: ${n}`);
            }
          }
        }
      }
    }
    // vrrp only: keepalived has no metrics endpoint
    if (wanted(opts, "metrics") && opts.impls.includes("vrrp")) {
      const s = await attempt(ctx, raw, "metrics", "vrrp", 0, () => metricsScrape(ctx, 255));
      if (s) {
        raw.metrics!.vrrp.push(s);
        log(
          `  /metrics: ${s.series} series, ${s.pageBytes} bytes, p50 ${s.p50Ms.toFixed(2)} ms, ` +
            `p99 ${s.p99Ms.toFixed(2)} ms, max ${s.maxMs.toFixed(2)} ms over ${s.scrapes} scrapes`,
        );
      }
    }
    if (wanted(opts, "scale3")) {
      raw.scale3 ??= { vrrp: [], keepalived: [] };
      for (const impl of opts.impls) {
        const s = await attempt(ctx, raw, "scale3", impl, 0, () => scaleSteady(ctx, impl, 255, 10));
        if (s) raw.scale3[impl].push(s);
      }
    }
    if (wanted(opts, "soak")) {
      // heavy: every pair at once, under busy loops (the machine's CPUs saturated)
      const s = await attempt(
        ctx,
        raw,
        "soak",
        "vrrp",
        0,
        () => soakRun(ctx, opts.soakMs, opts.loops),
      );
      if (s) {
        raw.soak = [...(raw.soak ?? []), s];
        for (const p of s.pairs) for (const n of p.notes) log(`  note: soak ${p.a}/${p.b}: ${n}`);
      }
    }
    if (wanted(opts, "startup")) {
      raw.startup ??= { vrrp: [], keepalived: [] };
      for (let i = 0; i < opts.runs; i++) {
        for (const impl of order(opts, i)) {
          const s = await attempt(ctx, raw, "startup", impl, i, () => startupRun(ctx, impl));
          if (s) raw.startup[impl].push(s);
        }
      }
    }
  } finally {
    await lab.destroy();
    if (opts.keep) log(`kept captures and daemon logs in ${work}`);
    else await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return raw;
}

/** Writes latest.json and latest.md into `dir`. */
export async function writeResults(
  dir: string,
  machine: MachineInfo,
  opts: BenchOptions,
  raw: RawResults,
): Promise<void> {
  const rows = buildRows(raw);
  await Deno.mkdir(dir, { recursive: true });
  const json = {
    machine,
    options: { ...opts, outDir: undefined },
    rows,
    raw,
  };
  await Deno.writeTextFile(`${dir}/latest.json`, JSON.stringify(json, null, 2) + "\n");
  await Deno.writeTextFile(`${dir}/latest.md`, summaryMarkdown(machine, opts, raw));
}

/** The markdown summary: machine, method, the table, targets missed, errors. */
export function summaryMarkdown(machine: MachineInfo, opts: BenchOptions, raw: RawResults): string {
  const rows = buildRows(raw);
  const missed = rows.filter((r) => r.pass === false);
  const lines = [
    `Measured ${machine.date} on ${machine.cpuModel} (${machine.nproc} cores), ${machine.kernel}` +
    ` (load average ${machine.loadAvgStart} at start, ${machine.loadAvgEnd ?? "?"} at end);`,
    `deno ${machine.deno}, ${machine.keepalived}. ${opts.runs} run(s) per implementation, ` +
    `alternating; idle/scale window ${opts.windowMs / 1000} s${opts.quick ? " (--quick)" : ""}.`,
    "Latencies are medians (min/max below the value); bounds are RFC 3768's " +
    "Master_Down_Interval (3 x 1 s + (256 - 99)/256 s = 3613 ms; 3609 ms for A's priority 100) " +
    "and Skew_Time (613 ms) for the example configs.",
    "",
    "How: one lab (switch namespace with a bridge, routers A 10.101.1.185 and B .186, client C " +
    ".200); the same keepalived.conf files for both implementations. Wire times are the kernel's " +
    "capture timestamps (tcpdump in C); 'VIP configured' times come from `ip -ts monitor` in the " +
    "router (stamped when the monitor reads the netlink event, so they can lag by a few ms on a " +
    "busy host); link events likewise. The cable is pulled on the switch side (A keeps eth0 UP " +
    "without carrier) about 0.1 s after one of A's adverts; the phase actually reached varies by " +
    "tens of ms (its own row), so 'no slower than keepalived' is judged on the time from A's last " +
    "advert, which does not depend on it. The deadline of scenario 4 is (last advert from A on the wire) + Master_Down_Interval; " +
    "vrrp's decision time is its JSON log `ts`, keepalived's is when its console line arrived " +
    "(its own timestamps have whole seconds only). Footprint counts every process of the daemon " +
    "(keepalived's parent and VRRP child), RSS from VmRSS, CPU from per-thread schedstat plus " +
    "reaped children.",
    "",
    markdownTable(rows),
    "",
    missed.length === 0
      ? "All targets met."
      : `Targets missed: ${missed.map((r) => `${r.figure} (${r.target})`).join("; ")}.`,
  ];
  const notes = new Map<string, number>();
  const withNotes = {
    failover: raw.failover,
    mass: raw.mass,
    v3: raw.v3 ?? emptyResults().v3!,
    startup: raw.startup ?? emptyResults().startup!,
  };
  for (const [scenario, byImpl] of Object.entries(withNotes)) {
    for (const [impl, samples] of Object.entries(byImpl)) {
      for (const sample of samples as { notes: string[] }[]) {
        for (const n of sample.notes) {
          const key = `${scenario} ${impl}: ${n.split("\n")[0]}`;
          notes.set(key, (notes.get(key) ?? 0) + 1);
        }
      }
    }
  }
  if (notes.size) {
    lines.push("", "Notes:", ...[...notes].map(([n, count]) => `- ${n} (${count}x)`));
  }
  if (raw.errors.length) {
    lines.push(
      "",
      "Errors:",
      ...raw.errors.map((e) =>
        `- ${e.scenario} #${e.run + 1} ${e.impl}: ${e.message.split("\n")[0]}`
      ),
    );
  }
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  let opts: BenchOptions;
  try {
    opts = parseOptions(Deno.args);
  } catch (err) {
    console.error((err as Error).message);
    Deno.exit(2);
  }
  if (opts.render) {
    const saved = JSON.parse(await Deno.readTextFile(`${opts.outDir}/latest.json`)) as {
      machine: MachineInfo;
      options: BenchOptions;
      raw: RawResults;
    };
    console.log(consoleTable(buildRows(saved.raw)));
    await writeResults(opts.outDir, saved.machine, { ...saved.options, render: false }, saved.raw);
    Deno.exit(0);
  }
  if (Deno.uid() !== 0) {
    console.error("bench: needs root (it builds network namespaces)");
    Deno.exit(1);
  }
  // an interrupted run leaves nothing behind: no busy loop, daemon, capture or namespace
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      console.error(`bench: ${signal}: stopping the busy loops, daemons and labs`);
      killBusyLoops();
      destroyAllLabsSync();
      Deno.exit(130);
    });
  }
  const missing = await ensureTools(
    { ...DEMO_TOOLS, tcpdump: "tcpdump", keepalived: "keepalived", curl: "curl" },
    (line) => console.error(`bench: ${line}`),
  );
  if (missing !== null) {
    console.error(`bench: ${missing}`);
    Deno.exit(1);
  }
  const started = Date.now();
  const log = (msg: string) =>
    console.error(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${msg}`);
  const machine = await machineInfo();
  const raw = await runBench(opts, log);
  machine.loadAvgEnd = loadAvg();
  const rows = buildRows(raw);
  console.log(consoleTable(rows));
  await writeResults(opts.outDir, machine, opts, raw);
  log(`results written to ${opts.outDir}/latest.{json,md}`);
  if (raw.errors.length) log(`${raw.errors.length} scenario run(s) failed; see latest.md`);
}
