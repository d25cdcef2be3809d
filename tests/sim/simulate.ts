/**
 * Runs a scenario: every router runs the real state machine (`step`) per VRID, adverts travel as
 * real encoded IP packets (`encodeAdvert` + IP header → LAN → `decodeIpPacket` → `step`), and the
 * invariants are checked after every single event.
 *
 * Invariants (a violation is a string naming the time, the VRID and what was wrong):
 * - always: no `anomaly` action; an instance is master exactly when its VIPs are added (no double
 *   add/remove); no drop reasons other than the ones the run provokes (looped-back own adverts,
 *   admin down, corrupted frames, which must all be caught); uncorrupted frames always decode.
 * - "quiet" = the LAN is clean (no loss, corruption or partition) and nothing has happened since
 *   time q (no disturbance, heal, start). From q + Master_Down_Interval (at the lowest priority)
 *   + 2 frame delays: at least one master per VRID when an instance is eligible (running, up, not
 *   in fault), and never two masters for longer than one handover in flight (2 frame delays).
 *   That is the "single master again within one Master_Down_Interval after a heal" rule.
 * - after a master resigns (shutdown, admin down, fault) in a clean network, with nothing else
 *   happening: a new master within Skew_Time + 2 frame delays (§6.4.2), if anyone is eligible.
 * - settled = quiet for settleMs() (Master_Down_Interval + one advert interval + 4 frame delays;
 *   with preempt_delay, one more Master_Down_Interval + the longest delay): exactly one master
 *   per VRID (none if nobody is eligible); no eligible instance that would preempt (preempt on,
 *   or owner) has a higher effective priority than the master; no state change at all; and
 *   3 advert intervals later no split-brain mark. Ties are left to the RFC: an equal-priority
 *   backup never preempts (§6.4.2), so the higher primary IP wins only when both contend as
 *   masters (§6.4.3).
 */
import { decodeIpPacket } from "../../lib/sniff/ip_packet.ts";
import { ipPacket } from "../_support/adverts.ts";
import { initialState, type InstanceState, nextDeadlineMs, step } from "../../lib/vrrp/fsm.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";
import type { FsmAction, FsmEvent, InstanceParams, StepResult } from "../../lib/vrrp/types.ts";
import { Lan } from "./lan.ts";
import { Rng } from "./prng.ts";
import { type Scenario, settleMs } from "./scenario.ts";

export type StepFn = (
  params: InstanceParams,
  state: InstanceState,
  event: FsmEvent,
  nowMs: number,
) => StepResult<InstanceState>;

export interface SimOptions {
  /** the state machine under test (default: the real `step`) */
  step?: StepFn;
  /** keep a readable log of transitions and disturbances */
  trace?: boolean;
  /** stop at the first violation (default true) */
  stopAtFirst?: boolean;
}

export interface SimReport {
  seed: number;
  violations: string[];
  trace: string[];
  events: number;
  transitions: number;
  /** times a master marked a split brain (heard a lower master) */
  splitBrains: number;
  advertsSent: number;
  framesDelivered: number;
  simulatedMs: number;
}

interface Instance {
  router: number;
  vridIndex: number;
  params: InstanceParams;
  state: InstanceState;
  vipsUp: boolean;
}

interface Router {
  ip: string;
  up: boolean;
  instances: Instance[];
}

const FAULTS = ["link", "chk_script"];

function eligible(i: Instance): boolean {
  return i.state.running && !i.state.adminDown && i.state.faults.length === 0;
}

/** Runs `scenario` to its end (or first violation) and reports what it saw. */
export function simulate(scenario: Scenario, options: SimOptions = {}): SimReport {
  const stepFn = options.step ?? step;
  const stopAtFirst = options.stopAtFirst ?? true;
  const rng = new Rng(scenario.seed ^ 0x5eed5eed);
  const lan = new Lan(rng, scenario.routers.length, scenario.lan);
  const maxDelay = scenario.lan.maxDelayMs;
  const routers: Router[] = scenario.routers.map((spec, r) => ({
    ip: spec.ip,
    up: false,
    instances: spec.instances.map((params, v) => ({
      router: r,
      vridIndex: v,
      params,
      state: initialState(params),
      vipsUp: false,
    })),
  }));
  const byVrid = scenario.vrids.map((_, v) => routers.map((r) => r.instances[v]));
  const all = routers.flatMap((r) => r.instances);
  const settle = byVrid.map((insts) => settleMs(insts.map((i) => i.params), maxDelay));
  const looseAfter = byVrid.map((insts) =>
    masterDownIntervalMs(insts[0].params.version, insts[0].params.advertIntervalCs, 1) +
    2 * maxDelay
  );
  const report: SimReport = {
    seed: scenario.seed,
    violations: [],
    trace: [],
    events: 0,
    transitions: 0,
    splitBrains: 0,
    advertsSent: 0,
    framesDelivered: 0,
    simulatedMs: scenario.endMs,
  };
  let now = 0;
  let quietSince = 0;
  const multiSince: (number | null)[] = scenario.vrids.map(() => null);
  /** when a master last resigned (shutdown, admin down, fault) in a clean network */
  const resignedAt: (number | null)[] = scenario.vrids.map(() => null);
  const skewMax = byVrid.map((insts) =>
    skewTimeMs(insts[0].params.version, 1, insts[0].params.advertIntervalCs)
  );

  const fmt = (ms: number) => `t=${ms.toFixed(3)}ms`;
  const violate = (msg: string) => report.violations.push(`${fmt(now)} ${msg}`);
  const trace = (msg: string) => {
    if (options.trace) report.trace.push(`${fmt(now)} ${msg}`);
  };
  const settledFor = (v: number) => lan.clean && now >= quietSince + settle[v];

  function apply(inst: Instance, event: FsmEvent): void {
    report.events++;
    const r = stepFn(inst.params, inst.state, event, now);
    if (r.state.splitBrain && !inst.state.splitBrain) report.splitBrains++;
    inst.state = r.state;
    for (const a of r.actions) act(inst, a);
  }

  function act(inst: Instance, a: FsmAction): void {
    const name = inst.params.name;
    switch (a.type) {
      case "sendAdvert":
        report.advertsSent++;
        lan.broadcast(
          inst.router,
          ipPacket(a.advert, { source: inst.params.primaryIp }),
          now,
        );
        return;
      case "addVips":
        if (inst.vipsUp) violate(`${name}: addVips while VIPs already added`);
        inst.vipsUp = true;
        return;
      case "removeVips":
        if (!inst.vipsUp) violate(`${name}: removeVips while VIPs not added`);
        inst.vipsUp = false;
        return;
      case "stateChanged":
        report.transitions++;
        trace(`${name} ${a.from} -> ${a.to} (${a.reason})`);
        // a master leaving on its own (shutdown, admin down, fault) must resign with priority 0
        if (a.from === "master" && a.to !== "backup" && lan.clean) {
          resignedAt[inst.vridIndex] = now;
        }
        if (settledFor(inst.vridIndex)) {
          violate(`${name}: flapped ${a.from} -> ${a.to} (${a.reason}) in a settled network`);
        }
        return;
      case "packetDropped":
        if (a.reason !== "ownAdvert" && a.reason !== "adminDown") {
          violate(`${name}: unexpected drop ${a.reason}: ${a.detail}`);
        }
        return;
      case "anomaly":
        violate(`${name}: anomaly: ${a.message}`);
        return;
      case "log":
      case "sendGratuitousArp":
        return;
    }
  }

  function deliver(to: number, bytes: Uint8Array, corrupted: boolean, original?: Uint8Array) {
    const router = routers[to];
    if (!router.up) return;
    const d = decodeIpPacket(bytes);
    if (!d.ok) {
      if (!corrupted) violate(`router ${to}: own encoding failed to decode: ${d.detail}`);
      return;
    }
    if (corrupted) {
      // a flipped IPv6 traffic class or flow label bit is covered by no checksum (nor is it
      // for the kernel or keepalived): harmless as long as the advert itself is unchanged
      const o = original && decodeIpPacket(original);
      const same = o && o.ok && JSON.stringify([o.advert, o.ip?.source, o.ip?.family]) ===
          JSON.stringify([d.advert, d.ip?.source, d.ip?.family]);
      if (!same) {
        violate(`router ${to}: a corrupted frame decoded cleanly`);
        return;
      }
    }
    report.framesDelivered++;
    const inst = router.instances.find((i) =>
      i.params.vrid === d.advert.vrid && i.params.family === d.ip?.family
    );
    if (!inst) {
      violate(`router ${to}: advert for unknown VRID ${d.advert.vrid} (${d.ip?.family})`);
      return;
    }
    apply(inst, { type: "advertReceived", advert: d.advert, source: d.ip?.source ?? "" });
  }

  function startRouter(r: number): void {
    const router = routers[r];
    router.up = true;
    trace(`router ${r} (${router.ip}) starts`);
    for (const inst of router.instances) {
      inst.state = initialState(inst.params);
      inst.vipsUp = false;
      apply(inst, { type: "startup" });
    }
  }

  function disturb(): void {
    const kind = rng.pick(["net", "net", "net", "prio", "prio", "admin", "fault", "router"]);
    const up = routers.map((_, i) => i).filter((i) => routers[i].up);
    const running = all.filter((i) => routers[i.router].up);
    if (kind === "net") {
      const what = rng.pick(["loss", "partition", "partition", "heal", "corrupt", "clear"]);
      if (what === "loss") lan.lossRate = rng.float(0.05, 0.6);
      if (what === "partition") lan.partition(routers.map(() => rng.int(0, 1)));
      if (what === "heal") lan.partition(routers.map(() => 0));
      if (what === "corrupt") lan.corruptRate = rng.float(0.01, 0.2);
      if (what === "clear") lan.heal();
      trace(`net ${what}: loss ${lan.lossRate.toFixed(2)} groups ${lan.groups.join("")}`);
    } else if (kind === "prio" && running.length > 0) {
      const inst = rng.pick(running);
      const p = rng.chance(0.3) ? inst.params.basePriority : rng.int(1, 254);
      trace(`${inst.params.name} priority -> ${p}`);
      apply(inst, { type: "priorityChanged", effectivePriority: p, reason: "sim" });
    } else if (kind === "admin" && running.length > 0) {
      const inst = rng.pick(running);
      const down = !inst.state.adminDown;
      trace(`${inst.params.name} admin ${down ? "down" : "up"}`);
      apply(inst, { type: down ? "adminDownRequested" : "adminUpRequested" });
    } else if (kind === "fault" && running.length > 0) {
      const inst = rng.pick(running);
      const raised = inst.state.faults;
      if (raised.length > 0 && rng.chance(0.6)) {
        trace(`${inst.params.name} fault cleared ${raised[0]}`);
        apply(inst, { type: "faultCleared", reason: raised[0] });
      } else {
        const reason = rng.pick(FAULTS);
        trace(`${inst.params.name} fault raised ${reason}`);
        apply(inst, { type: "faultRaised", reason });
      }
    } else if (kind === "router") {
      const r = rng.int(0, routers.length - 1);
      if (routers[r].up && (up.length > 1 || rng.chance(0.3))) {
        trace(`router ${r} shuts down`);
        for (const inst of routers[r].instances) apply(inst, { type: "shutdownRequested" });
        routers[r].up = false;
      } else if (!routers[r].up) {
        startRouter(r);
      }
    }
  }

  function check(): void {
    for (let v = 0; v < byVrid.length; v++) {
      const insts = byVrid[v];
      const masters = insts.filter((i) => i.state.role === "master");
      const candidates = insts.filter((i) => routers[i.router].up && eligible(i));
      const vrid = `${scenario.vrids[v]}/${insts[0].params.family}`;
      for (const i of insts) {
        if (i.vipsUp !== (i.state.role === "master")) {
          violate(
            `${i.params.name}: role ${i.state.role} but VIPs ${i.vipsUp ? "added" : "absent"}`,
          );
        }
      }
      multiSince[v] = masters.length > 1 ? multiSince[v] ?? now : null;
      const resigned = resignedAt[v];
      if (
        resigned !== null && resigned === quietSince && lan.clean &&
        now >= resigned + skewMax[v] + 2 * maxDelay && candidates.length > 0 && masters.length === 0
      ) {
        violate(`VRID ${vrid}: no master ${skewMax[v]} ms (Skew_Time) after a resignation`);
      }
      if (!lan.clean || now < quietSince + looseAfter[v]) continue;
      if (candidates.length > 0 && masters.length === 0) {
        violate(`VRID ${vrid}: no master though ${candidates.length} instance(s) are eligible`);
      }
      const since = multiSince[v];
      if (since !== null && now - since > 2 * maxDelay) {
        violate(
          `VRID ${vrid}: ${masters.length} masters since ${fmt(since)}: ` +
            masters.map((m) => `${m.params.name}@${m.state.effectivePriority}`).join(", "),
        );
      }
      if (!settledFor(v)) continue;
      if (masters.length !== (candidates.length > 0 ? 1 : 0)) {
        violate(`VRID ${vrid}: ${masters.length} masters in a settled network`);
        continue;
      }
      const m = masters[0];
      if (!m) continue;
      const interval = m.params.advertIntervalCs * 10;
      if (m.state.splitBrain && now >= quietSince + settle[v] + 3 * interval + 2 * maxDelay) {
        violate(`${m.params.name}: split-brain mark still set in a settled network`);
      }
      for (const c of candidates) {
        const preempts = c.params.preempt || c.state.effectivePriority === 255;
        if (preempts && c.state.effectivePriority > m.state.effectivePriority) {
          violate(
            `VRID ${vrid}: master ${m.params.name}@${m.state.effectivePriority} but ` +
              `${c.params.name}@${c.state.effectivePriority} (preempt) is ${c.state.role}`,
          );
        }
      }
    }
  }

  let op = 0;
  const ops = scenario.ops;
  while (report.violations.length === 0 || !stopAtFirst) {
    const tOp = op < ops.length ? ops[op].atMs : Infinity;
    const tFrame = lan.nextArrivalMs() ?? Infinity;
    let tDeadline = Infinity;
    let due: Instance | null = null;
    for (const inst of all) {
      const d = nextDeadlineMs(inst.state);
      if (d !== null && d < tDeadline) {
        tDeadline = d;
        due = inst;
      }
    }
    const t = Math.min(tOp, tFrame, tDeadline);
    if (t > scenario.endMs) break;
    now = t;
    if (tOp === t) {
      const o = ops[op++];
      quietSince = now;
      if (o.kind === "start") startRouter(o.router);
      else if (o.kind === "disturb") disturb();
      else {
        lan.heal();
        trace("calm: network healed, no loss");
      }
    } else if (tFrame === t) {
      const f = lan.take()!;
      deliver(f.to, f.bytes, f.corrupted, f.original);
    } else if (due) {
      apply(due, { type: "deadlineReached" });
    }
    check();
  }
  return report;
}
