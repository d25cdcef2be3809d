/**
 * Seeded simulation of VRRP routers on a LAN (see simulate.ts for the invariants).
 *
 *   deno test -A tests/sim/                          1,000 scenarios (seeds 1..1000)
 *   VRRP_SIM_SCENARIOS=20000 deno test -A tests/sim/ more
 *   VRRP_SIM_SEED=<n> deno test -A tests/sim/        replay one seed, with its trace
 */
import assert from "node:assert/strict";
import { type InstanceState, step } from "../../lib/vrrp/fsm.ts";
import type { FsmAction, FsmEvent, InstanceParams } from "../../lib/vrrp/types.ts";
import { makeScenario } from "./scenario.ts";
import { type SimReport, simulate, type StepFn } from "./simulate.ts";

const onlySeed = Deno.env.get("VRRP_SIM_SEED");
const scenarios = Number(Deno.env.get("VRRP_SIM_SCENARIOS") ?? "1000");

function describe(r: SimReport): string {
  return `seed ${r.seed}: ${r.violations.slice(0, 5).join("\n  ")}\n` +
    `replay: VRRP_SIM_SEED=${r.seed} deno test -A tests/sim/`;
}

Deno.test({
  name: `simulation: ${onlySeed ? `seed ${onlySeed}` : `${scenarios} seeded scenarios`} keep ` +
    "one master per VRID, the highest priority, no flapping, no anomaly",
  fn() {
    const seeds = onlySeed
      ? [Number(onlySeed)]
      : Array.from({ length: scenarios }, (_, i) => i + 1);
    const started = performance.now();
    let events = 0;
    let transitions = 0;
    let splitBrains = 0;
    let simulatedMs = 0;
    for (const seed of seeds) {
      const report = simulate(makeScenario(seed), { trace: onlySeed !== undefined });
      if (onlySeed) console.log(report.trace.join("\n"));
      events += report.events;
      transitions += report.transitions;
      splitBrains += report.splitBrains;
      simulatedMs += report.simulatedMs;
      if (report.violations.length > 0) {
        console.error(describe(report));
        assert.fail(describe(report));
      }
    }
    console.log(
      `${seeds.length} scenarios, ${(simulatedMs / 3_600_000).toFixed(1)} simulated hours, ` +
        `${events} steps, ${transitions} transitions, ${splitBrains} split brains repaired in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  },
});

Deno.test({
  name: "simulation: a stable network runs a simulated hour without a single flap",
  ignore: onlySeed !== undefined,
  fn() {
    for (const seed of [11, 22, 33, 44, 55]) {
      // at 1 s (v2) and 250 ms..1 s (v3) adverts: an hour of 20 ms adverts is a CPU hog
      const sc = makeScenario(seed, { chaosPeriods: 0, stableMs: 3_600_000, minIntervalCs: 25 });
      const report = simulate(sc);
      assert.deepEqual(report.violations, [], describe(report));
      // only the start-up election: at most one transition per instance plus a contention each
      const instances = sc.routers.length * sc.vrids.length;
      assert.ok(report.transitions <= 2 * instances, `${report.transitions} transitions`);
      assert.ok(report.simulatedMs >= 3_600_000);
    }
  },
});

/** Wraps `step` to drop some events: a deliberately broken state machine. */
function deafTo(drop: (state: InstanceState, event: FsmEvent) => boolean): StepFn {
  return (params: InstanceParams, state: InstanceState, event: FsmEvent, nowMs: number) =>
    drop(state, event) ? { state, actions: [] } : step(params, state, event, nowMs);
}

const higher = (s: InstanceState, e: FsmEvent) =>
  e.type === "advertReceived" && e.advert.priority > s.effectivePriority;

/** Mutants the invariant checker must catch, with how many of the first 100 seeds must fail. */
const mutants: [string, StepFn, number][] = [
  ["a state machine deaf to higher priorities", deafTo(higher), 80],
  [
    "a master that ignores a higher priority",
    deafTo((s, e) => s.role === "master" && higher(s, e)),
    50,
  ],
  [
    "a master that ignores the equal-priority tie-break",
    deafTo((s, e) =>
      s.role === "master" && e.type === "advertReceived" &&
      e.advert.priority === s.effectivePriority
    ),
    5,
  ],
  [
    "a backup that ignores priority 0",
    deafTo((_, e) => e.type === "advertReceived" && e.advert.priority === 0),
    5,
  ],
  [
    "a master that leaves without the priority-0 advert",
    (p: InstanceParams, s: InstanceState, e: FsmEvent, t: number) => {
      const r = step(p, s, e, t);
      const resign = (a: FsmAction) => a.type === "sendAdvert" && a.advert.priority === 0;
      return { state: r.state, actions: r.actions.filter((a) => !resign(a)) };
    },
    5,
  ],
  [
    "a backup that never preempts",
    (p: InstanceParams, s: InstanceState, e: FsmEvent, t: number) =>
      step({ ...p, preempt: false }, s, e, t),
    30,
  ],
];

for (const [what, broken, atLeast] of mutants) {
  Deno.test({
    name: `simulation: the invariant checker catches ${what}`,
    ignore: onlySeed !== undefined,
    fn() {
      const caught: number[] = [];
      for (let seed = 1; seed <= 100; seed++) {
        if (simulate(makeScenario(seed), { step: broken }).violations.length > 0) caught.push(seed);
      }
      assert.ok(caught.length >= atLeast, `only ${caught.length} of 100 broken runs were caught`);
    },
  });
}

Deno.test({
  name: "simulation: the same seed replays the same run",
  ignore: onlySeed !== undefined,
  fn() {
    const a = simulate(makeScenario(7), { trace: true });
    const b = simulate(makeScenario(7), { trace: true });
    assert.deepEqual(a, b);
    assert.ok(a.trace.length > 0);
  },
});
