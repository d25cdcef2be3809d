/**
 * From raw samples to the published figures: one row per figure with vrrp, keepalived, their
 * ratio, the protocol bound and the target, rendered as a console table and as markdown.
 */
import {
  EXAMPLE_MASTER_DOWN_MS,
  EXAMPLE_PREEMPT_MS,
  EXAMPLE_SKEW_MS,
  v3MasterDownMs,
} from "./configs.ts";
import type { ImplName } from "./daemons.ts";
import type { FailoverSample } from "./scenarios/failover.ts";
import type { IdleSample } from "./scenarios/idle.ts";
import type { MetricsSample } from "./scenarios/metrics.ts";
import type { MassFailoverSample, ScaleSample } from "./scenarios/scale.ts";
import type { V3FailoverSample } from "./scenarios/v3_failover.ts";
import type { StartupSample } from "./scenarios/startup.ts";
import { SOAK_MASTER_DOWN_MS, type SoakPair, type SoakSample } from "./scenarios/soak.ts";
import { percentile, round, summarize } from "./stats.ts";

/** Everything measured, per implementation. */
export interface RawResults {
  failover: Record<ImplName, FailoverSample[]>;
  idle: Record<ImplName, IdleSample[]>;
  scale: Record<ImplName, ScaleSample[]>;
  mass: Record<ImplName, MassFailoverSample[]>;
  /** VRRPv3 dual-stack hard failovers (absent from results written before it existed) */
  v3?: Record<ImplName, V3FailoverSample[]>;
  /** vrrp only: keepalived has no metrics endpoint */
  metrics?: Record<ImplName, MetricsSample[]>;
  /** 255 instances at 100 ms VRRPv3 adverts (absent from older results) */
  scale3?: Record<ImplName, ScaleSample[]>;
  /** the 20 ms soaks, every pair of each run (absent from older results) */
  soak?: SoakSample[];
  /** start-up times (absent from results written before it existed) */
  startup?: Record<ImplName, StartupSample[]>;
  errors: { scenario: string; impl: ImplName; run: number; message: string }[];
}

/** An empty result set. */
export function emptyResults(): RawResults {
  return {
    failover: { vrrp: [], keepalived: [] },
    idle: { vrrp: [], keepalived: [] },
    scale: { vrrp: [], keepalived: [] },
    mass: { vrrp: [], keepalived: [] },
    v3: { vrrp: [], keepalived: [] },
    metrics: { vrrp: [], keepalived: [] },
    startup: { vrrp: [], keepalived: [] },
    scale3: { vrrp: [], keepalived: [] },
    soak: [],
    errors: [],
  };
}

/** One implementation's value for a figure. */
export interface Cell {
  /** the headline number (median for repeated measurements); NaN when not measured */
  value: number;
  /** e.g. "min 2710, max 3590, n=5" */
  detail: string;
}

/** One published figure. */
export interface Row {
  id: string;
  scenario: string;
  figure: string;
  unit: string;
  /** the protocol's bound, printed for comparison */
  bound: number | null;
  vrrp: Cell;
  keepalived: Cell;
  /** vrrp / keepalived */
  ratio: number;
  /** the target vrrp must meet, in words; null for informational rows */
  target: string | null;
  /** whether vrrp met it; null when not measured or informational */
  pass: boolean | null;
}

type PickFn<S> = (s: S) => number | null;

function cellOf(values: (number | null)[], digits: number): Cell {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  const missing = values.length - v.length;
  const s = summarize(v);
  const extra = missing > 0 ? `, ${missing} not seen` : "";
  if (s.n === 0) {
    return {
      value: NaN,
      detail: values.length ? `not seen in ${values.length} run(s)` : "not run",
    };
  }
  if (s.n === 1) return { value: s.median, detail: `n=1${extra}` };
  return {
    value: s.median,
    detail: `min ${round(s.min, digits)}, max ${round(s.max, digits)}, n=${s.n}${extra}`,
  };
}

interface RowSpec<S> {
  id: string;
  scenario: string;
  figure: string;
  unit: string;
  digits: number;
  bound?: number;
  samples: Record<ImplName, S[]>;
  pick: PickFn<S>;
  target?: { text: string; ok: (vrrp: number, keepalived: number) => boolean };
}

function row<S>(spec: RowSpec<S>): Row {
  const vrrp = cellOf(spec.samples.vrrp.map(spec.pick), spec.digits);
  const keepalived = cellOf(spec.samples.keepalived.map(spec.pick), spec.digits);
  const ratio = keepalived.value === 0 ? NaN : vrrp.value / keepalived.value;
  return {
    id: spec.id,
    scenario: spec.scenario,
    figure: spec.figure,
    unit: spec.unit,
    bound: spec.bound ?? null,
    vrrp,
    keepalived,
    ratio,
    target: spec.target?.text ?? null,
    // measured but never seen (e.g. no GARP on the wire) is a miss, not a blank
    pass: !spec.target
      ? null
      : Number.isFinite(vrrp.value)
      ? spec.target.ok(vrrp.value, keepalived.value)
      : vrrp.detail.startsWith("not seen")
      ? false
      : null,
  };
}

/** Pools the jitter samples of all windows of one implementation into one p-th percentile. */
function pooledJitter(samples: IdleSample[], p: number): IdleSample[] {
  const all = samples.flatMap((s) => s.jitterMs);
  return all.length ? [{ ...samples[0], jitterMs: [percentile(all, p)] }] : [];
}

/** The soak pairs with A and B as given, per implementation column. */
function soakPairs(
  raw: RawResults,
  which: (impl: ImplName) => [ImplName, ImplName],
  rt = false,
): Record<ImplName, SoakPair[]> {
  const pick = (impl: ImplName) => {
    const [a, b] = which(impl);
    return (raw.soak ?? []).flatMap((s) =>
      s.pairs.filter((p) => p.a === a && p.b === b && (p.rtPriority !== undefined) === rt)
    );
  };
  return { vrrp: pick("vrrp"), keepalived: pick("keepalived") };
}

const other = (impl: ImplName): ImplName => impl === "vrrp" ? "keepalived" : "vrrp";

/** Rows of scenarios 10 (20 ms soak) and 11 (255 instances at 100 ms). */
function underLoadRows(raw: RawResults): Row[] {
  const same = soakPairs(raw, (i) => [i, i]);
  const asBackup = soakPairs(raw, (i) => [other(i), i]);
  const sameRt = soakPairs(raw, (i) => [i, i], true);
  const loops = (raw.soak ?? [])[0]?.pairs[0]?.loops ?? 8;
  const minutes = Math.round(((raw.soak ?? [])[0]?.pairs[0]?.windowMs ?? 600_000) / 60_000);
  const s3 = raw.scale3 ?? emptyResults().scale3!;
  return [
    row({
      id: "soak20_false_elections",
      scenario: `10 VRRPv3 20 ms, ${loops} busy loops, ${minutes} min`,
      figure: "false elections, the same implementation at both ends (B became master)",
      unit: "",
      digits: 0,
      samples: same,
      pick: (s) => s.falseElections,
      target: { text: "0", ok: (v) => v === 0 },
    }),
    row({
      id: "soak20_false_elections_mixed",
      scenario: `10 VRRPv3 20 ms, ${loops} busy loops, ${minutes} min`,
      figure: "false elections, mixed pair, this implementation the backup (B)",
      unit: "",
      digits: 0,
      samples: asBackup,
      pick: (s) => s.falseElections,
      target: { text: "0 in both mixed pairs", ok: (v, k) => v === 0 && k === 0 },
    }),
    row({
      id: "soak20_false_elections_rt",
      scenario: `10 VRRPv3 20 ms, ${loops} busy loops, ${minutes} min`,
      figure: "false elections, same implementation, both with vrrp_rt_priority 50 (SCHED_RR)",
      unit: "",
      digits: 0,
      samples: sameRt,
      pick: (s) => s.falseElections,
    }),
    row({
      id: "soak20_jitter_p99_ms",
      scenario: `10 VRRPv3 20 ms, ${loops} busy loops, ${minutes} min`,
      figure: "master's advert interval, deviation from 20 ms, p99 (same implementation pair)",
      unit: "ms",
      digits: 2,
      samples: same,
      pick: (s) => s.jitterP99Ms,
    }),
    row({
      id: "soak20_hard_failover_ms",
      scenario: `10 VRRPv3 20 ms, ${loops} busy loops, ${minutes} min`,
      figure: "then A's cable pulled: A's last advert -> B's first gratuitous ARP",
      unit: "ms",
      digits: 1,
      bound: SOAK_MASTER_DOWN_MS,
      samples: same,
      pick: (s) => s.hardFromAdvertMs,
      target: {
        text: `<= ${round(SOAK_MASTER_DOWN_MS + 20, 0)} ms`,
        ok: (v) => v <= SOAK_MASTER_DOWN_MS + 20,
      },
    }),
    row({
      id: "scale255v3_cpu_master_percent",
      scenario: "11 scale: 255 instances, VRRPv3 100 ms",
      figure: "CPU of the master (2,550 adverts/s), % of one core",
      unit: "%",
      digits: 2,
      samples: s3,
      pick: (s) => s.master.cpuPercent,
      target: { text: "<= 2 x keepalived", ok: (v, k) => v <= 2 * k },
    }),
    row({
      id: "scale255v3_cpu_backup_percent",
      scenario: "11 scale: 255 instances, VRRPv3 100 ms",
      figure: "CPU of the backup (receives 2,550 adverts/s), % of one core",
      unit: "%",
      digits: 2,
      samples: s3,
      pick: (s) => s.backup.cpuPercent,
      target: { text: "<= 2 x keepalived", ok: (v, k) => v <= 2 * k },
    }),
    row({
      id: "scale255v3_rss_master_mb",
      scenario: "11 scale: 255 instances, VRRPv3 100 ms",
      figure: "RSS of the master, all processes",
      unit: "MB",
      digits: 1,
      samples: s3,
      pick: (s) => s.master.rssMb,
    }),
    row({
      id: "scale255v3_missed_adverts",
      scenario: "11 scale: 255 instances, VRRPv3 100 ms",
      figure: "adverts missed on the wire over the window (all VRIDs)",
      unit: "",
      digits: 0,
      samples: s3,
      pick: (s) => s.missedAdverts,
      target: { text: "0", ok: (v) => v === 0 },
    }),
    row({
      id: "scale255v3_backup_adverts",
      scenario: "11 scale: 255 instances, VRRPv3 100 ms",
      figure: "adverts sent by the backup (spurious takeovers)",
      unit: "",
      digits: 0,
      samples: s3,
      pick: (s) => s.backupAdverts,
      target: { text: "0", ok: (v) => v === 0 },
    }),
  ];
}

/** The published rows, in the order of the issue's scenarios. */
export function buildRows(raw: RawResults): Row[] {
  const hardBound = EXAMPLE_MASTER_DOWN_MS;
  const f = raw.failover;
  const jitter = (p: number) => ({
    vrrp: pooledJitter(raw.idle.vrrp, p),
    keepalived: pooledJitter(raw.idle.keepalived, p),
  });
  const metrics = raw.metrics ?? { vrrp: [], keepalived: [] };
  const rows: Row[] = [
    row({
      id: "hard_failover_ms",
      scenario: "1 hard failover",
      figure: "cable of A pulled (~0.1 s after an advert) -> client C answered by B",
      unit: "ms",
      digits: 0,
      bound: hardBound,
      samples: f,
      pick: (s) => s.hardMs,
      target: {
        text: `median <= ${Math.round(hardBound + 20)} ms (vs keepalived: next row)`,
        ok: (v) => v <= hardBound + 20,
      },
    }),
    row({
      id: "hard_failover_from_advert_ms",
      scenario: "1 hard failover",
      figure: "A's last advert before the cut -> client C answered by B (no cut phase)",
      unit: "ms",
      digits: 0,
      bound: hardBound,
      samples: f,
      pick: (s) => s.hardFromAdvertMs,
      target: {
        text: `median <= ${Math.round(hardBound + 20)} ms and <= keepalived`,
        ok: (v, k) => v <= hardBound + 20 && !(v > k),
      },
    }),
    row({
      id: "hard_cut_phase_ms",
      scenario: "1 hard failover",
      figure: "A's last advert -> cable pulled (the phase of the cut)",
      unit: "ms",
      digits: 0,
      samples: f,
      pick: (s) => s.cutPhaseMs,
    }),
    row({
      id: "graceful_failover_ms",
      scenario: "2 graceful failover",
      figure: "SIGTERM to A -> client C answered by B",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_SKEW_MS,
      samples: f,
      pick: (s) => s.gracefulMs,
      target: {
        text: `median <= ${Math.round(EXAMPLE_SKEW_MS + 20)} ms`,
        ok: (v) => v <= EXAMPLE_SKEW_MS + 20,
      },
    }),
    row({
      id: "graceful_vip_ms",
      scenario: "2 graceful failover",
      figure: "SIGTERM to A -> VIP configured on B",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_SKEW_MS,
      samples: f,
      pick: (s) => s.gracefulVipMs,
    }),
    row({
      id: "preempt_linkup_vip_ms",
      scenario: "3 preemption (cable back)",
      figure: "A's carrier back -> VIP on A",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_PREEMPT_MS,
      samples: f,
      pick: (s) => s.preemptLinkUpVipMs,
    }),
    row({
      id: "preempt_linkup_client_ms",
      scenario: "3 preemption (cable back)",
      figure: "A's carrier back -> client C answered by A",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_PREEMPT_MS,
      samples: f,
      pick: (s) => s.preemptLinkUpClientMs,
    }),
    row({
      id: "preempt_linkup_garp_ms",
      scenario: "3 preemption (cable back)",
      figure: "A's carrier back -> first gratuitous ARP from A",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_PREEMPT_MS,
      samples: f,
      pick: (s) => s.preemptLinkUpGarpMs,
    }),
    row({
      id: "preempt_restart_vip_ms",
      scenario: "3 preemption (daemon restart)",
      figure: "A's daemon started -> VIP on A",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_PREEMPT_MS,
      samples: f,
      pick: (s) => s.preemptRestartVipMs,
    }),
    row({
      id: "preempt_restart_client_ms",
      scenario: "3 preemption (daemon restart)",
      figure: "A's daemon started -> client C answered by A",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_PREEMPT_MS,
      samples: f,
      pick: (s) => s.preemptRestartClientMs,
    }),
    row({
      id: "deadline_to_decision_ms",
      scenario: "4 inside the daemon",
      figure: "master-down deadline -> B logs 'master'",
      unit: "ms",
      digits: 1,
      samples: f,
      pick: (s) => s.deadlineToDecisionMs,
    }),
    row({
      id: "deadline_to_vip_ms",
      scenario: "4 inside the daemon",
      figure: "master-down deadline -> VIP configured on B",
      unit: "ms",
      digits: 1,
      samples: f,
      // informational: `ip -ts monitor` stamps can lag (see the method notes); the GARP row,
      // stamped by the kernel, carries the target (both daemons add the VIP before the GARP)
      pick: (s) => s.deadlineToVipMs,
    }),
    row({
      id: "deadline_to_garp_ms",
      scenario: "4 inside the daemon",
      figure: "master-down deadline -> first gratuitous ARP on the wire",
      unit: "ms",
      digits: 1,
      samples: f,
      pick: (s) => s.deadlineToGarpMs,
      target: { text: "median <= 15 ms (VIP configured, then GARP)", ok: (v) => v <= 15 },
    }),
    row({
      id: "advert_jitter_p50_ms",
      scenario: "5 timer precision",
      figure: "advert interval, deviation from 1000 ms, p50",
      unit: "ms",
      digits: 3,
      samples: jitter(50),
      pick: (s) => s.jitterMs[0],
    }),
    row({
      id: "advert_jitter_p99_ms",
      scenario: "5 timer precision",
      figure: "advert interval, deviation from 1000 ms, p99",
      unit: "ms",
      digits: 3,
      samples: jitter(99),
      pick: (s) => s.jitterMs[0],
      target: { text: "p99 <= 1 ms", ok: (v) => v <= 1 },
    }),
    row({
      id: "idle_cpu_percent",
      scenario: "6 footprint (example config)",
      figure: "CPU, idle, % of one core (router A, all processes)",
      unit: "%",
      digits: 3,
      samples: raw.idle,
      pick: (s) => s.a.cpuPercent,
      target: { text: "<= 0.08 %", ok: (v) => v <= 0.08 },
    }),
    row({
      id: "idle_rss_mb",
      scenario: "6 footprint (example config)",
      figure: "RSS, all processes (router A)",
      unit: "MB",
      digits: 1,
      samples: raw.idle,
      pick: (s) => s.a.rssMb,
      target: { text: "<= 45 MB", ok: (v) => v <= 45 },
    }),
    row({
      id: "idle_pss_mb",
      scenario: "6 footprint (example config)",
      figure: "Pss, all processes (router A; shared pages split among their users)",
      unit: "MB",
      digits: 1,
      samples: raw.idle,
      // runs recorded before this figure existed have none
      pick: (s) => s.a.pssMb ?? NaN,
    }),
    row({
      id: "idle_wakeups_per_sec",
      scenario: "6 footprint (example config)",
      figure: "thread wake-ups per second, idle (router A, all threads)",
      unit: "/s",
      digits: 2,
      samples: raw.idle,
      pick: (s) => s.a.wakeupsPerSec ?? NaN,
    }),
    row({
      id: "scale255_cpu_master_percent",
      scenario: "7 scale: 255 instances",
      figure: "CPU of the master (255 adverts/s), % of one core",
      unit: "%",
      digits: 2,
      samples: raw.scale,
      pick: (s) => s.master.cpuPercent,
      target: { text: "<= 5 %", ok: (v) => v <= 5 },
    }),
    row({
      id: "scale255_cpu_backup_percent",
      scenario: "7 scale: 255 instances",
      figure: "CPU of the backup (receives 255 adverts/s), % of one core",
      unit: "%",
      digits: 2,
      samples: raw.scale,
      pick: (s) => s.backup.cpuPercent,
      target: { text: "<= 5 %", ok: (v) => v <= 5 },
    }),
    row({
      id: "scale255_rss_master_mb",
      scenario: "7 scale: 255 instances",
      figure: "RSS of the master, all processes",
      unit: "MB",
      digits: 1,
      samples: raw.scale,
      pick: (s) => s.master.rssMb,
    }),
    row({
      id: "scale255_rss_backup_mb",
      scenario: "7 scale: 255 instances",
      figure: "RSS of the backup, all processes",
      unit: "MB",
      digits: 1,
      samples: raw.scale,
      pick: (s) => s.backup.rssMb,
    }),
    row({
      id: "scale255_missed_adverts",
      scenario: "7 scale: 255 instances",
      figure: "adverts missed on the wire over the window (all VRIDs)",
      unit: "",
      digits: 0,
      samples: raw.scale,
      pick: (s) => s.missedAdverts,
      target: { text: "0", ok: (v) => v === 0 },
    }),
    row({
      id: "scale255_backup_adverts",
      scenario: "7 scale: 255 instances",
      figure: "adverts sent by the backup (spurious takeovers)",
      unit: "",
      digits: 0,
      samples: raw.scale,
      pick: (s) => s.backupAdverts,
      target: { text: "0", ok: (v) => v === 0 },
    }),
    row({
      id: "mass100_all_up_ms",
      scenario: "7 scale: 100 failovers at once",
      figure: "cable of A pulled -> all 100 VIPs on B",
      unit: "ms",
      digits: 0,
      bound: hardBound,
      samples: raw.mass,
      pick: (s) => s.allUpMs,
      target: {
        text: `median <= ${Math.round(hardBound + 100)} ms`,
        ok: (v) => v <= hardBound + 100,
      },
    }),
    row({
      id: "mass100_all_garp_ms",
      scenario: "7 scale: 100 failovers at once",
      figure: "cable of A pulled -> all 100 VIPs announced by B (GARP seen by C)",
      unit: "ms",
      digits: 0,
      bound: hardBound,
      samples: raw.mass,
      pick: (s) => s.allGarpMs,
      target: {
        text: `median <= ${Math.round(hardBound + 100)} ms`,
        ok: (v) => v <= hardBound + 100,
      },
    }),
    row({
      id: "mass100_max_garp_lateness_ms",
      scenario: "7 scale: 100 failovers at once",
      figure: "worst first GARP from B - (its last advert from A + Master_Down_Interval)",
      unit: "ms",
      digits: 1,
      samples: raw.mass,
      pick: (s) => s.maxGarpLatenessMs,
    }),
    row({
      id: "mass100_max_lateness_ms",
      scenario: "7 scale: 100 failovers at once",
      figure: "worst VIP on B - (its last advert from A + Master_Down_Interval)",
      unit: "ms",
      digits: 1,
      samples: raw.mass,
      pick: (s) => s.maxLatenessMs,
    }),
    ...v3Rows(raw),
    row({
      id: "metrics255_scrape_p99_ms",
      scenario: "8 metrics: 255 instances",
      figure: "GET /metrics round trip, p99 (one consistent snapshot)",
      unit: "ms",
      digits: 2,
      samples: metrics,
      pick: (s) => s.p99Ms,
      target: { text: "<= 10 ms", ok: (v) => v <= 10 },
    }),
    row({
      id: "metrics255_scrape_p50_ms",
      scenario: "8 metrics: 255 instances",
      figure: "GET /metrics round trip, median",
      unit: "ms",
      digits: 2,
      samples: metrics,
      pick: (s) => s.p50Ms,
    }),
    row({
      id: "metrics255_page_kb",
      scenario: "8 metrics: 255 instances",
      figure: "page size",
      unit: "kB",
      digits: 0,
      samples: metrics,
      pick: (s) => s.pageBytes / 1024,
    }),
    row({
      id: "startup_join_ms",
      scenario: "9 start-up (router A alone)",
      figure: "daemon started -> IGMP join of 224.0.0.18 on the wire",
      unit: "ms",
      digits: 0,
      samples: raw.startup ?? emptyResults().startup!,
      pick: (s) => s.joinMs,
      target: { text: "<= keepalived", ok: (v, k) => !(v > k) },
    }),
    row({
      id: "startup_first_advert_ms",
      scenario: "9 start-up (router A alone)",
      figure: "daemon started -> first advert on the wire (after Master_Down_Interval)",
      unit: "ms",
      digits: 0,
      bound: EXAMPLE_PREEMPT_MS,
      samples: raw.startup ?? emptyResults().startup!,
      pick: (s) => s.firstAdvertMs,
      target: { text: "<= keepalived", ok: (v, k) => !(v > k) },
    }),
    ...underLoadRows(raw),
  ];
  return rows.filter((r) => r.vrrp.detail !== "not run" || r.keepalived.detail !== "not run");
}

/** Scenario 8: VRRPv3 dual-stack hard failover at 100 ms and 20 ms adverts. */
function v3Rows(raw: RawResults): Row[] {
  const all = raw.v3 ?? { vrrp: [], keepalived: [] };
  return [10, 2].flatMap((cs) => {
    const samples = {
      vrrp: all.vrrp.filter((s) => s.intervalCs === cs),
      keepalived: all.keepalived.filter((s) => s.intervalCs === cs),
    };
    const bound = v3MasterDownMs(cs);
    const scenario = `8 VRRPv3 hard failover, ${cs * 10} ms adverts`;
    const target = {
      text: `median <= ${round(bound + 30, 1)} ms (Master_Down_Interval + 30)`,
      ok: (v: number) => v <= bound + 30,
    };
    return [
      row({
        id: `v3_hard_failover_${cs * 10}ms_garp_ms`,
        scenario,
        figure: "cable of A pulled -> B's first gratuitous ARP for the IPv4 VIP",
        unit: "ms",
        digits: 1,
        bound,
        samples,
        pick: (s) => s.hardArpMs,
        target,
      }),
      row({
        id: `v3_hard_failover_${cs * 10}ms_na_ms`,
        scenario,
        figure: "cable of A pulled -> B's first unsolicited NA for the IPv6 VIP",
        unit: "ms",
        digits: 1,
        bound,
        samples,
        pick: (s) => s.hardNaMs,
        target,
      }),
      row({
        id: `v3_hard_failover_${cs * 10}ms_from_advert_ms`,
        scenario,
        figure: "A's last IPv4 advert before the cut -> B's first gratuitous ARP (no cut phase)",
        unit: "ms",
        digits: 1,
        bound,
        samples,
        pick: (s) => s.hardFromAdvertMs,
      }),
    ];
  });
}

function fmt(v: number, unit: string): string {
  if (!Number.isFinite(v)) return "n/a";
  if (unit === "%") return `${v.toFixed(v < 1 ? 3 : 2)} %`;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${round(v, digits)}${unit ? " " + unit : ""}`;
}

function verdict(r: Row): string {
  return r.pass === null ? (r.target ? "n/a" : "") : r.pass ? "pass" : "MISS";
}

/** The rows as a fixed-width console table. */
export function consoleTable(rows: Row[]): string {
  const head = ["figure", "bound", "vrrp", "keepalived", "ratio", "target", ""];
  const body = rows.map((r) => [
    r.figure,
    r.bound === null ? "" : fmt(r.bound, r.unit),
    fmt(r.vrrp.value, r.unit),
    fmt(r.keepalived.value, r.unit),
    Number.isFinite(r.ratio) ? round(r.ratio, 2).toFixed(2) : "n/a",
    r.target ?? "",
    verdict(r),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 || i === 5 ? c.padEnd(widths[i]) : c.padStart(widths[i])))
      .join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}

/** The rows as a markdown table, detail (min/max/n) included. */
export function markdownTable(rows: Row[]): string {
  const out = [
    "| Scenario | Figure | Bound | vrrp | keepalived | vrrp / keepalived | Target | vrrp |",
    "|---|---|---:|---:|---:|---:|---|---|",
  ];
  for (const r of rows) {
    const cell = (c: Cell) =>
      `${fmt(c.value, r.unit)}${
        c.detail && !c.detail.startsWith("n=1") ? ` <br><sub>${c.detail}</sub>` : ""
      }`;
    out.push(
      `| ${r.scenario} | ${r.figure} | ${r.bound === null ? "" : fmt(r.bound, r.unit)} | ${
        cell(r.vrrp)
      } | ${cell(r.keepalived)} | ${
        Number.isFinite(r.ratio) ? round(r.ratio, 2).toFixed(2) : "n/a"
      } | ${r.target ?? ""} | ${verdict(r)} |`,
    );
  }
  return out.join("\n");
}
