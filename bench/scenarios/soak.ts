/**
 * Scenario 10: VRRPv3 at 20 ms adverts on a saturated host. Four pairs run at once, each on its
 * own lab (A master at priority 100, B backup at 99, one IPv4 instance): vrrp↔vrrp,
 * keepalived↔keepalived, and both mixed pairs. Then `loops` busy loops (`sh -c 'while :; do
 * :; done'`) saturate the CPUs for the soak window. A false election is B deciding it is
 * master (its log) while A is alive. Afterwards, with the loops still running, every A's cable
 * is pulled and the failover is timed from A's last advert to B's first gratuitous ARP (both on
 * the client's capture), against Master_Down_Interval (72.3 ms at priority 99).
 */
import { Capture, firstClaim, lastAdvertBefore } from "../capture.ts";
import { V3_VIP4, V3_VRID4 } from "../configs.ts";
import { type BenchContext, pollUntil, runDir, sleep, stopAll, tail } from "../context.ts";
import { type ImplName, type RunningDaemon, startDaemon } from "../daemons.ts";
import { advertJitter } from "./idle.ts";
import { Lab } from "../../tests/netns/lab.ts";

/** The soak's advert interval, centiseconds. */
export const SOAK_INTERVAL_CS = 2;
/** Its instance name in the config. */
const INSTANCE = "soak-v4";

/** Master_Down_Interval of B (priority 99) at 20 ms adverts (RFC 5798 §6.1). */
export const SOAK_MASTER_DOWN_MS = 3 * 20 + ((256 - 99) * 20) / 256;

/**
 * A VRRPv3 keepalived.conf with one IPv4 instance at `priority`, 20 ms adverts; with
 * `rtPriority`, the daemon runs SCHED_RR (`vrrp_rt_priority`).
 */
export function soakConfig(priority: number, rtPriority?: number): string {
  return [
    "global_defs {",
    "    vrrp_version 3",
    ...(rtPriority === undefined ? [] : [`    vrrp_rt_priority ${rtPriority}`]),
    "}",
    "",
    `vrrp_instance ${INSTANCE} {`,
    "    interface eth0",
    `    virtual_router_id ${V3_VRID4}`,
    `    priority ${priority}`,
    `    advert_int ${SOAK_INTERVAL_CS / 100}`,
    "    virtual_ipaddress {",
    `        ${V3_VIP4}/22`,
    "    }",
    "}",
    "",
  ].join("\n");
}

/** One pair's figures. */
export interface SoakPair {
  /** implementation of A (master) and B (backup) */
  a: ImplName;
  b: ImplName;
  /** both daemons ran SCHED_RR at this priority (vrrp_rt_priority) */
  rtPriority?: number;
  windowMs: number;
  loops: number;
  /** times B logged entering master during the window */
  falseElections: number;
  /** B's adverts on the wire during the window */
  backupAdverts: number;
  /** |interval - 20 ms| of A's adverts on the wire, p99, during the window */
  jitterP99Ms: number | null;
  /** A's last advert before its cable was pulled -> B's first gratuitous ARP */
  hardFromAdvertMs: number | null;
  notes: string[];
}

/** The soak of one run: every pair. */
export interface SoakSample {
  pairs: SoakPair[];
}

interface Running {
  a: ImplName;
  b: ImplName;
  rt: number | undefined;
  lab: Lab;
  own: boolean;
  da: RunningDaemon;
  db: RunningDaemon;
  cap: Capture;
  capStopped: boolean;
  macB: string;
}

/** The pairs, as [A, B, vrrp_rt_priority]. */
export const SOAK_PAIRS: readonly [ImplName, ImplName, number?][] = [
  ["vrrp", "vrrp"],
  ["keepalived", "keepalived"],
  ["vrrp", "keepalived"],
  ["keepalived", "vrrp"],
  // keepalived's own knob against exactly this: both daemons SCHED_RR
  ["vrrp", "vrrp", 50],
  ["keepalived", "keepalived", 50],
];

/** Busy loops still running (an interrupted bench kills them: {@link killBusyLoops}). */
const liveHogs = new Set<Deno.ChildProcess>();

function busyLoops(n: number): Deno.ChildProcess[] {
  return Array.from({ length: n }, () => {
    const hog = new Deno.Command("sh", {
      args: ["-c", "while :; do :; done"],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    liveHogs.add(hog);
    void hog.status.then(() => liveHogs.delete(hog));
    return hog;
  });
}

/** Kills the busy loops still running (by their pids: this bench started them). */
export function killBusyLoops(): void {
  for (const hog of liveHogs) {
    try {
      hog.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** How often `d` logged `INSTANCE` entering master in [fromMs, toMs]. */
function masterEntries(d: RunningDaemon, fromMs: number, toMs: number): number {
  let n = 0;
  for (let t = d.masterAt(INSTANCE, fromMs); t !== null && t <= toMs;) {
    n++;
    t = d.masterAt(INSTANCE, t + 1);
  }
  return n;
}

/** Runs every pair at once for `soakMs` under `loops` busy loops, then cuts every A. */
export async function soakRun(
  ctx: BenchContext,
  soakMs: number,
  loops: number,
  pairs: readonly [ImplName, ImplName, number?][] = SOAK_PAIRS,
): Promise<SoakSample> {
  const running: Running[] = [];
  let hogs: Deno.ChildProcess[] = [];
  const out: SoakPair[] = [];
  try {
    for (const [a, b, rt] of pairs) {
      // the bench's own lab for the first pair, a fresh one for each other
      const own = running.length === 0;
      const lab = own ? ctx.lab : await Lab.create({ routers: ["a", "b"], client: true });
      const confA = `${ctx.work}/soak-a-${running.length}.conf`;
      const confB = `${ctx.work}/soak-b-${running.length}.conf`;
      Deno.writeTextFileSync(confA, soakConfig(100, rt));
      Deno.writeTextFileSync(confB, soakConfig(99, rt));
      const cap = await Capture.start(lab, "c", `${ctx.work}/soak-${a}-${b}-${rt ?? 0}.pcap`);
      const da = startDaemon(a, lab, "a", confA, runDir(ctx, `soak-${a}-a`));
      const db = startDaemon(b, lab, "b", confB, runDir(ctx, `soak-${b}-b`));
      running.push({
        a,
        b,
        rt,
        lab,
        own,
        da,
        db,
        cap,
        capStopped: false,
        macB: await lab.mac("b"),
      });
    }
    for (const r of running) {
      const ok = await pollUntil(
        async () => await holdsOn(r.lab, "a") && !(await holdsOn(r.lab, "b")),
        20_000,
        100,
      );
      if (!ok) throw new Error(`soak ${r.a}/${r.b}: never stable\n${tail(r.da)}\n${tail(r.db)}`);
    }
    await sleep(1000);
    hogs = busyLoops(loops);
    const from = Date.now();
    ctx.log(`soak: ${running.length} pairs, ${loops} busy loops, ${soakMs / 1000} s`);
    await sleep(soakMs);
    const to = Date.now();
    const cuts: number[] = [];
    for (const r of running) {
      cuts.push(Date.now());
      await r.lab.linkDown("a");
    }
    await sleep(1000);
    for (const [i, r] of running.entries()) {
      r.capStopped = true;
      const capture = await r.cap.stop();
      const me = r.lab.ip("a");
      const jitter = advertJitter(capture, me, V3_VRID4, from, to, SOAK_INTERVAL_CS * 10);
      jitter.sort((x, y) => x - y);
      const last = lastAdvertBefore(capture, me, V3_VRID4, cuts[i]);
      const garp = firstClaim(capture, V3_VIP4, r.macB, cuts[i], true);
      const notes = capture.error ? [`capture: ${capture.error}`] : [];
      if (!garp) notes.push("no gratuitous ARP from B after the cut");
      out.push({
        a: r.a,
        b: r.b,
        ...(r.rt === undefined ? {} : { rtPriority: r.rt }),
        windowMs: to - from,
        loops,
        falseElections: masterEntries(r.db, from, to),
        backupAdverts: capture.adverts.filter((x) =>
          x.source === r.lab.ip("b") && x.tMs >= from && x.tMs <= to
        ).length,
        jitterP99Ms: jitter.length ? jitter[Math.floor(0.99 * (jitter.length - 1))] : null,
        hardFromAdvertMs: last && garp ? garp.tMs - last.tMs : null,
        notes,
      });
    }
  } finally {
    for (const h of hogs) {
      try {
        h.kill("SIGKILL");
      } catch {
        // gone
      }
      await h.status;
    }
    for (const r of running) {
      await stopAll([r.da, r.db]);
      if (!r.capStopped) await r.cap.stop().catch(() => {});
      await r.lab.linkUp("a").catch(() => {});
      if (!r.own) await r.lab.destroy();
    }
  }
  return { pairs: out };
}

async function holdsOn(lab: Lab, node: string): Promise<boolean> {
  return (await lab.addresses(node)).includes(V3_VIP4);
}
