/**
 * Seeded simulation of VRRP routers on a LAN (see simulate.ts for the invariants).
 *
 *   deno test -A tests/sim/                          1,000 scenarios (seeds 1..1000)
 *   VRRP_SIM_SCENARIOS=20000 deno test -A tests/sim/ more
 *   VRRP_SIM_SEED=<n> deno test -A tests/sim/        replay one seed, with its trace
 */
import assert from "node:assert/strict";
import { type InstanceState, step } from "../../lib/vrrp/fsm.ts";
import type { FsmEvent, InstanceParams } from "../../lib/vrrp/types.ts";
import { makeScenario } from "./scenario.ts";
import { type SimReport, simulate } from "./simulate.ts";

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
    let simulatedMs = 0;
    for (const seed of seeds) {
      const report = simulate(makeScenario(seed), { trace: onlySeed !== undefined });
      if (onlySeed) console.log(report.trace.join("\n"));
      events += report.events;
      transitions += report.transitions;
      simulatedMs += report.simulatedMs;
      if (report.violations.length > 0) {
        console.error(describe(report));
        assert.fail(describe(report));
      }
    }
    console.log(
      `${seeds.length} scenarios, ${(simulatedMs / 3_600_000).toFixed(1)} simulated hours, ` +
        `${events} steps, ${transitions} transitions in ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  },
});

Deno.test({
  name: "simulation: a stable network runs a simulated hour without a single flap",
  ignore: onlySeed !== undefined,
  fn() {
    for (const seed of [11, 22, 33, 44, 55]) {
      const sc = makeScenario(seed, { chaosPeriods: 0, stableMs: 3_600_000 });
      const report = simulate(sc);
      assert.deepEqual(report.violations, [], describe(report));
      // only the start-up election: at most one transition per instance plus a contention each
      const instances = sc.routers.length * sc.vrids.length;
      assert.ok(report.transitions <= 2 * instances, `${report.transitions} transitions`);
      assert.ok(report.simulatedMs >= 3_600_000);
    }
  },
});

/** A broken state machine: it never hears a higher priority (neither backup nor master). */
function deafToHigherPriority(
  params: InstanceParams,
  state: InstanceState,
  event: FsmEvent,
  nowMs: number,
) {
  if (event.type === "advertReceived" && event.advert.priority > state.effectivePriority) {
    return { state, actions: [] };
  }
  return step(params, state, event, nowMs);
}

Deno.test({
  name: "simulation: the invariant checker catches a state machine that ignores higher priorities",
  ignore: onlySeed !== undefined,
  fn() {
    let caught = 0;
    const seeds = Array.from({ length: 30 }, (_, i) => i + 1);
    for (const seed of seeds) {
      const report = simulate(makeScenario(seed), { step: deafToHigherPriority });
      if (report.violations.length > 0) caught++;
    }
    // scenarios where every other router is always down can pass; nearly all must fail
    assert.ok(caught >= 25, `only ${caught} of ${seeds.length} broken runs were caught`);
  },
});

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
