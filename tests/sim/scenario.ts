/**
 * Random scenarios from one seed: 2–8 routers on one LAN, 1–3 VRIDs (every router runs an
 * instance of each; VRRPv2 over IPv4, or VRRPv3 over IPv4 or IPv6 with intervals down to 20 ms,
 * and sometimes the same VRID once per family), priorities drawn from a small pool so ties happen, sometimes an address
 * owner (255), random preempt / nopreempt / preempt_delay, then 1–3 periods of chaos (loss,
 * partitions, corruption, priority changes, admin down/up, faults, router shutdown/restart),
 * each followed by a calm, stable period long enough for the invariants to be checked.
 */
import { AuthType } from "../../lib/vrrp/constants.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import type { InstanceParams } from "../../lib/vrrp/types.ts";
import type { LanOptions } from "./lan.ts";
import { Rng } from "./prng.ts";

export interface RouterSpec {
  ip: string;
  /** the router's IPv6 link-local address (the source of its v3 IPv6 adverts) */
  ip6: string;
  startAtMs: number;
  /** one instance per VRID, in the order of `Scenario.vrids` */
  instances: InstanceParams[];
}

/** A scheduled event of the scenario; what a `disturb` does is drawn when it happens. */
export type ScenarioOp =
  | { atMs: number; kind: "start"; router: number }
  | { atMs: number; kind: "disturb" }
  | { atMs: number; kind: "calm" };

export interface Scenario {
  seed: number;
  routers: RouterSpec[];
  vrids: number[];
  lan: LanOptions;
  /** sorted by time */
  ops: ScenarioOp[];
  endMs: number;
}

export interface ScenarioOptions {
  /** the shortest v3 advert interval drawn, centiseconds (default: 2, i.e. 20 ms) */
  minIntervalCs?: number;
  /** chaos periods (default: 1–3, drawn); 0 = a stable network from start to end */
  chaosPeriods?: number;
  /** length of the final stable period (default: drawn, 10–25 s after settling) */
  stableMs?: number;
}

/**
 * The longest a VRID needs, after the last disturbance, to settle for good: Master_Down_Interval
 * (at the lowest priority) + one advert interval + 4 frame delays. With preempt_delay, the delay
 * only starts when a lower-priority master is first heard, which can itself take one
 * Master_Down_Interval, and the preemption then waits a full Master_Down_Interval after the
 * delay: 2 × Master_Down_Interval + the longest delay + one interval + 4 frame delays.
 */
export function settleMs(instances: InstanceParams[], maxDelayMs: number): number {
  const p = instances[0];
  const interval = p.advertIntervalCs * 10;
  const mdi = masterDownIntervalMs(p.version, p.advertIntervalCs, 1);
  const maxPreemptDelay = Math.max(...instances.map((p) => p.preemptDelayMs));
  const base = mdi + interval + 4 * maxDelayMs + 1;
  return maxPreemptDelay > 0 ? base + mdi + maxPreemptDelay : base;
}

/** Builds the scenario for `seed`; the same seed always gives the same scenario. */
export function makeScenario(seed: number, options: ScenarioOptions = {}): Scenario {
  const rng = new Rng(seed);
  const nRouters = rng.int(2, 8);
  const nVrids = rng.int(1, 3);
  const ips = rng.shuffle(Array.from({ length: 254 }, (_, i) => i + 1)).slice(0, nRouters)
    .map((x) => `192.0.2.${x}`);
  const vrids = rng.shuffle(Array.from({ length: 255 }, (_, i) => i + 1)).slice(0, nVrids);
  const routers: RouterSpec[] = ips.map((ip) => ({
    ip,
    ip6: `fe80::${ip.split(".")[3]}`,
    startAtMs: rng.float(0, 2000),
    instances: [],
  }));
  const kinds = vrids.map(() =>
    rng.pick(
      [
        { version: 2, family: "ipv4" },
        { version: 2, family: "ipv4" },
        { version: 3, family: "ipv4" },
        { version: 3, family: "ipv6" },
      ] as const,
    )
  );
  // RFC 5798 §5.2.3: a VRID may run once per family on the same LAN
  kinds.forEach((k, v) => {
    if (v > 0 && k.family === "ipv6" && kinds[v - 1].family === "ipv4" && rng.chance(0.5)) {
      vrids[v] = vrids[v - 1];
    }
  });
  for (const [v, vrid] of vrids.entries()) {
    const { version, family } = kinds[v];
    const advertIntervalCs = version === 2 ? rng.pick([100, 100, 100, 200]) : rng.pick(
      // 100 ms and 20 ms adverts on small LANs: they cost 10–50 times the steps of 1 s
      (nRouters <= 3 ? [100, 100, 25, 10, 2] : [100, 100, 50, 25]).filter((cs) =>
        cs >= (options.minIntervalCs ?? 0)
      ),
    );
    const authType = version === 2
      ? rng.pick([AuthType.none, AuthType.simplePassword])
      : AuthType.none;
    const vips = Array.from(
      { length: rng.int(1, 3) },
      (_, i) => family === "ipv4" ? `198.51.100.${vrid % 200 + i}` : `2001:db8::${vrid}:${i}`,
    );
    const owner = rng.chance(0.2) ? rng.int(0, nRouters - 1) : -1;
    const pool = [50, 100, 100, 150, 200, rng.int(1, 254)];
    routers.forEach((r, i) => {
      r.instances.push({
        name: `r${i}-vrid${vrid}${family === "ipv6" ? "-v6" : ""}`,
        vrid,
        basePriority: i === owner ? 255 : rng.pick(pool),
        version,
        family,
        advertIntervalCs,
        primaryIp: family === "ipv4" ? r.ip : r.ip6,
        vips,
        authType,
        authPass: `pw-${vrid}-shared`,
        preempt: rng.chance(0.75),
        preemptDelayMs: rng.chance(0.25) ? rng.pick([500, 2000, 5000]) : 0,
        higherPrioSendAdvert: rng.chance(0.5),
        unicast: null,
        garpMasterDelayMs: rng.pick([0, 5000]),
        garpMasterRepeat: 5,
        garpMasterRefreshMs: rng.pick([0, 0, 30_000]),
        garpMasterRefreshRepeat: 1,
      });
    });
  }
  const lan: LanOptions = {
    minDelayMs: 0.05,
    maxDelayMs: rng.pick([0.5, 2, 5]),
    dupRate: rng.pick([0, 0.01, 0.05]),
    loopbackRate: rng.pick([0, 0.05]),
  };
  const settle = Math.max(
    ...vrids.map((_, v) => settleMs(routers.map((r) => r.instances[v]), lan.maxDelayMs)),
  );
  const ops: ScenarioOp[] = routers.map((r, router) => ({
    atMs: r.startAtMs,
    kind: "start",
    router,
  }));
  let t = 2000 + settle + rng.float(0, 5000);
  const periods = options.chaosPeriods ?? rng.int(1, 3);
  for (let c = 0; c < periods; c++) {
    const chaosMs = rng.float(3000, 30_000);
    const n = rng.int(1, 8);
    for (let i = 0; i < n; i++) ops.push({ atMs: t + rng.float(0, chaosMs), kind: "disturb" });
    t += chaosMs;
    ops.push({ atMs: t, kind: "calm" });
    t += settle + (c === periods - 1 ? options.stableMs ?? rng.float(10_000, 25_000) : 5000);
  }
  if (periods === 0) t += options.stableMs ?? 10_000;
  ops.sort((a, b) => a.atMs - b.atMs);
  return { seed, routers, vrids, lan, ops, endMs: t };
}
