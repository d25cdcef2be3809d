import assert from "node:assert/strict";
import fc from "fast-check";
import {
  advertFor,
  initialState,
  type InstanceState,
  nextDeadlineMs,
  step,
} from "../../lib/vrrp/fsm.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";
import type {
  Advertisement,
  FsmAction,
  FsmEvent,
  InstanceParams,
  StepResult,
} from "../../lib/vrrp/types.ts";

const ME = "10.0.0.2";
const LOWER_IP = "10.0.0.1";
const HIGHER_IP = "10.0.0.3";

function params(o: Partial<InstanceParams> = {}): InstanceParams {
  return {
    name: "vi1",
    vrid: 51,
    basePriority: 100,
    version: 2,
    family: "ipv4",
    advertIntervalCs: 100,
    primaryIp: ME,
    vips: ["10.0.0.100"],
    authType: 1,
    authPass: "secret",
    preempt: true,
    preemptDelayMs: 0,
    higherPrioSendAdvert: false,
    unicast: null,
    garpMasterDelayMs: 0,
    garpMasterRepeat: 5,
    garpMasterRefreshMs: 0,
    garpMasterRefreshRepeat: 1,
    ...o,
  };
}

/** The action types without logs: what a state-machine test compares. */
function kinds(r: StepResult<InstanceState>): string[] {
  return r.actions.filter((a) => a.type !== "log").map((a) => a.type);
}

function adverts(r: StepResult<InstanceState>): Advertisement[] {
  return r.actions.flatMap((a) => a.type === "sendAdvert" ? [a.advert] : []);
}

function heard(p: InstanceParams, priority: number, source: string): FsmEvent {
  return { type: "advertReceived", advert: advertFor(p, priority), source };
}

const deadline: FsmEvent = { type: "deadlineReached" };

function backup(p: InstanceParams): InstanceState {
  const r = step(p, initialState(p), { type: "startup" }, 0);
  assert.equal(r.state.role, "backup");
  return r.state;
}

/** A master that took over at t = masterDownInterval. */
function master(p: InstanceParams): { state: InstanceState; at: number } {
  const at = masterDownIntervalMs(p.version, p.advertIntervalCs, p.basePriority);
  const r = step(p, backup(p), deadline, at);
  assert.equal(r.state.role, "master");
  return { state: r.state, at };
}

function stateChange(r: StepResult<InstanceState>): Extract<FsmAction, { type: "stateChanged" }> {
  const a = r.actions.find((x) => x.type === "stateChanged");
  assert.ok(a && a.type === "stateChanged", `no stateChanged in ${JSON.stringify(kinds(r))}`);
  return a;
}

Deno.test("RFC 3768 §6.4.1: the address owner (priority 255) starts as master", () => {
  const p = params({ basePriority: 255 });
  const r = step(p, initialState(p), { type: "startup" }, 0);
  assert.deepEqual(kinds(r), ["stateChanged", "sendAdvert", "addVips", "sendGratuitousArp"]);
  assert.equal(stateChange(r).reason, "ownerStartup");
  assert.equal(adverts(r)[0].priority, 255);
  assert.equal(r.state.role, "master");
  assert.equal(r.state.masterIp, ME);
  assert.equal(nextDeadlineMs(r.state), 1000);
});

Deno.test("RFC 3768 §6.4.1: a non-owner starts as backup with Master_Down_Timer armed", () => {
  const p = params({ basePriority: 99 });
  const r = step(p, initialState(p), { type: "startup" }, 0);
  assert.deepEqual(kinds(r), ["stateChanged"]);
  assert.equal(stateChange(r).reason, "startup");
  assert.equal(r.state.role, "backup");
  assert.equal(r.state.masterIp, null);
  assert.equal(nextDeadlineMs(r.state), 3613.28125);
});

Deno.test("RFC 3768 §6.4.2: backup becomes master when Master_Down_Timer fires", () => {
  const p = params({ basePriority: 99 });
  const mdi = masterDownIntervalMs(2, 100, 99);
  const s0 = backup(p);
  const early = step(p, s0, deadline, mdi - 1);
  assert.equal(early.state.role, "backup");
  assert.deepEqual(kinds(early), []);
  const r = step(p, early.state, deadline, mdi);
  assert.deepEqual(kinds(r), ["stateChanged", "sendAdvert", "addVips", "sendGratuitousArp"]);
  assert.deepEqual(stateChange(r), {
    type: "stateChanged",
    from: "backup",
    to: "master",
    reason: "masterDownIntervalElapsed",
  });
  assert.deepEqual(r.actions.find((a) => a.type === "sendGratuitousArp"), {
    type: "sendGratuitousArp",
    why: "becameMaster",
  });
  assert.equal(adverts(r)[0].priority, 99);
  assert.equal(r.state.masterIp, ME);
  assert.deepEqual(r.state.lastTransition, {
    from: "backup",
    to: "master",
    reason: "masterDownIntervalElapsed",
    atMs: mdi,
  });
  assert.equal(nextDeadlineMs(r.state), mdi + 1000);
});

Deno.test("RFC 3768 §6.4.2: backup resets Master_Down_Timer on an advert with priority >= its own", () => {
  const p = params();
  for (const prio of [100, 200]) {
    const r = step(p, backup(p), heard(p, prio, HIGHER_IP), 2000);
    assert.deepEqual(kinds(r), []);
    assert.equal(nextDeadlineMs(r.state), 2000 + masterDownIntervalMs(2, 100, 100));
    assert.equal(r.state.masterIp, HIGHER_IP);
    assert.equal(r.state.masterPriority, prio);
  }
});

Deno.test("RFC 3768 §6.4.2: backup sets Master_Down_Timer to Skew_Time on a priority-0 advert", () => {
  const p = params();
  const s1 = step(p, backup(p), heard(p, 200, HIGHER_IP), 1000).state;
  const r = step(p, s1, heard(p, 0, HIGHER_IP), 1500);
  assert.equal(nextDeadlineMs(r.state), 1500 + skewTimeMs(2, 100, 100));
  assert.equal(r.state.masterIp, null);
  const m = step(p, r.state, deadline, 1500 + skewTimeMs(2, 100, 100));
  assert.equal(m.state.role, "master");
});

Deno.test("RFC 3768 §6.4.2: backup with preemption ignores a lower-priority advert and preempts", () => {
  const p = params();
  const mdi = masterDownIntervalMs(2, 100, 100);
  const s1 = step(p, backup(p), heard(p, 50, HIGHER_IP), 1000);
  assert.equal(nextDeadlineMs(s1.state), mdi, "timer not reset");
  assert.equal(s1.state.masterIp, HIGHER_IP, "the lower master is still the master as heard");
  const r = step(p, s1.state, deadline, mdi);
  assert.equal(stateChange(r).reason, "preemptLowerPriority");
});

Deno.test("RFC 3768 §6.4.2: backup without preemption resets the timer on a lower-priority advert", () => {
  const p = params({ preempt: false });
  const r = step(p, backup(p), heard(p, 50, HIGHER_IP), 1000);
  assert.equal(nextDeadlineMs(r.state), 1000 + masterDownIntervalMs(2, 100, 100));
});

Deno.test("RFC 3768 §6.1: the owner always preempts, even with preempt off", () => {
  const p = params({ basePriority: 255, preempt: false });
  let s = step(p, initialState(p), { type: "adminDownRequested" }, 0).state;
  s = step(p, s, { type: "startup" }, 0).state;
  s = step(p, s, { type: "adminUpRequested" }, 10).state;
  assert.equal(s.role, "backup");
  const r = step(p, s, heard(p, 200, HIGHER_IP), 20);
  assert.equal(nextDeadlineMs(r.state), 10 + masterDownIntervalMs(2, 100, 255));
});

Deno.test("RFC 3768 §6.4.3: master sends an advert every Advertisement_Interval", () => {
  const p = params({ advertIntervalCs: 200 });
  const { state, at } = master(params({ advertIntervalCs: 200 }));
  let s = state;
  for (let i = 1; i <= 3; i++) {
    const t = at + 2000 * i;
    const before = step(p, s, deadline, t - 0.5);
    assert.deepEqual(kinds(before), []);
    const r = step(p, s, deadline, t);
    assert.deepEqual(kinds(r), ["sendAdvert"]);
    assert.equal(nextDeadlineMs(r.state), t + 2000);
    s = r.state;
  }
});

Deno.test("RFC 3768 §6.4.3: adverts stay on the deadline grid when every deadline is reached late", () => {
  const p = params();
  const { state, at } = master(p);
  let s = state;
  for (let i = 1; i <= 20; i++) {
    const grid = at + 1000 * i;
    assert.equal(nextDeadlineMs(s), grid, `advert ${i} due on the grid`);
    const r = step(p, s, deadline, grid + 3);
    assert.deepEqual(kinds(r), ["sendAdvert"]);
    s = r.state;
  }
  assert.equal(nextDeadlineMs(s), at + 21_000, "lateness did not accumulate");
});

Deno.test("RFC 3768 §6.4.3: a master more than one interval behind restarts from now, no burst", () => {
  const p = params();
  const { state, at } = master(p);
  // the loop stalled 2.5 intervals: one advert, then the next one a full interval later
  const late = at + 3500;
  const r = step(p, state, deadline, late);
  assert.deepEqual(kinds(r), ["sendAdvert"]);
  assert.equal(nextDeadlineMs(r.state), late + 1000);
  // exactly one interval late: the grid point is now, so it restarts from now as well
  const r2 = step(p, state, deadline, at + 2000);
  assert.equal(nextDeadlineMs(r2.state), at + 3000);
});

Deno.test("RFC 3768 §6.4.3: a priority change while late re-arms the Adver_Timer from now", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(
    p,
    state,
    { type: "priorityChanged", effectivePriority: 90, reason: "t" },
    at + 400,
  );
  assert.deepEqual(kinds(r), ["sendAdvert"]);
  assert.equal(nextDeadlineMs(r.state), at + 1400);
});

Deno.test("RFC 3768 §6.4.3: master answers a priority-0 advert with an advert at once", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(p, state, heard(p, 0, HIGHER_IP), at + 300);
  assert.deepEqual(kinds(r), ["sendAdvert"]);
  assert.equal(nextDeadlineMs(r.state), at + 1300);
  assert.equal(r.state.role, "master");
});

Deno.test("RFC 3768 §6.4.3: master steps down on a higher-priority advert", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(p, state, heard(p, 101, LOWER_IP), at + 10);
  assert.deepEqual(kinds(r), ["stateChanged", "removeVips"]);
  assert.equal(stateChange(r).reason, "higherPriorityAdvert");
  assert.equal(r.state.role, "backup");
  assert.equal(r.state.masterIp, LOWER_IP);
  assert.equal(nextDeadlineMs(r.state), at + 10 + masterDownIntervalMs(2, 100, 100));
});

Deno.test("RFC 3768 §6.4.3: on equal priority the higher primary IP wins", () => {
  const p = params();
  const { state, at } = master(p);
  const lose = step(p, state, heard(p, 100, HIGHER_IP), at + 10);
  assert.equal(lose.state.role, "backup");
  assert.equal(stateChange(lose).reason, "equalPriorityHigherIpAdvert");
  const win = step(p, state, heard(p, 100, LOWER_IP), at + 10);
  assert.equal(win.state.role, "master");
});

Deno.test("vrrp_higher_prio_send_advert: one last advert at our priority before stepping down", () => {
  const p = params({ higherPrioSendAdvert: true });
  const { state, at } = master(p);
  const r = step(p, state, heard(p, 200, HIGHER_IP), at + 10);
  assert.deepEqual(kinds(r), ["sendAdvert", "stateChanged", "removeVips"]);
  assert.equal(adverts(r)[0].priority, 100);
});

Deno.test("RFC 3768 §6.4.3: shutdown of a master sends priority 0 and removes the VIPs", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(p, state, { type: "shutdownRequested" }, at + 10);
  assert.deepEqual(kinds(r), ["sendAdvert", "stateChanged", "removeVips"]);
  assert.equal(adverts(r)[0].priority, 0);
  assert.equal(stateChange(r).reason, "shutdown");
  assert.equal(r.state.role, "initialize");
  assert.equal(r.state.running, false);
  assert.equal(nextDeadlineMs(r.state), null);
});

Deno.test("RFC 3768 §6.4.2: shutdown of a backup sends nothing", () => {
  const p = params();
  const r = step(p, backup(p), { type: "shutdownRequested" }, 10);
  assert.deepEqual(kinds(r), ["stateChanged"]);
  assert.equal(r.state.role, "initialize");
  assert.equal(nextDeadlineMs(r.state), null);
  // and it can start again
  assert.equal(step(p, r.state, { type: "startup" }, 20).state.role, "backup");
});

Deno.test("preempt_delay: a backup follows a lower-priority master until the delay is over", () => {
  const p = params({ preemptDelayMs: 10_000 });
  const mdi = masterDownIntervalMs(2, 100, 100);
  let s = step(p, backup(p), heard(p, 50, HIGHER_IP), 1000).state;
  assert.equal(nextDeadlineMs(s), 1000 + mdi, "follows: timer reset");
  assert.equal(s.timers.preemptDelayEndsAtMs, 11_000);
  for (let t = 2000; t <= 10_000; t += 1000) {
    s = step(p, s, heard(p, 50, HIGHER_IP), t).state;
    assert.equal(s.role, "backup");
  }
  assert.equal(nextDeadlineMs(s), 11_000);
  s = step(p, s, deadline, 11_000).state;
  assert.equal(s.preempt?.elapsed, true);
  s = step(p, s, heard(p, 50, HIGHER_IP), 11_500).state;
  assert.equal(nextDeadlineMs(s), 10_000 + mdi, "now ignored: timer not reset");
  const r = step(p, s, deadline, 10_000 + mdi);
  assert.equal(stateChange(r).reason, "preemptDelayElapsed");
});

Deno.test("preempt_delay: an advert at our priority or above cancels the pending preemption", () => {
  const p = params({ preemptDelayMs: 10_000 });
  let s = step(p, backup(p), heard(p, 50, HIGHER_IP), 1000).state;
  s = step(p, s, heard(p, 150, HIGHER_IP), 2000).state;
  assert.equal(s.preempt, null);
  assert.equal(nextDeadlineMs(s), 2000 + masterDownIntervalMs(2, 100, 100));
});

Deno.test("fault: a master in fault resigns, removes VIPs and leaves the election", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(p, state, { type: "faultRaised", reason: "interface eth0 down" }, at + 1);
  assert.deepEqual(kinds(r), ["sendAdvert", "stateChanged", "removeVips"]);
  assert.equal(adverts(r)[0].priority, 0);
  assert.equal(stateChange(r).reason, "faultRaised: interface eth0 down");
  assert.equal(nextDeadlineMs(r.state), null);
  // a second fault, then clearing one keeps it in fault; clearing both goes to backup
  let s = step(p, r.state, { type: "faultRaised", reason: "chk_nginx" }, at + 2).state;
  s = step(p, s, { type: "faultCleared", reason: "interface eth0 down" }, at + 3).state;
  assert.equal(s.role, "fault");
  const back = step(p, s, { type: "faultCleared", reason: "chk_nginx" }, at + 4);
  assert.equal(back.state.role, "backup");
  assert.equal(stateChange(back).reason, "faultCleared: chk_nginx");
  assert.equal(nextDeadlineMs(back.state), at + 4 + masterDownIntervalMs(2, 100, 100));
});

Deno.test("fault: raised before startup, the instance starts in fault", () => {
  const p = params({ basePriority: 255 });
  let s = step(p, initialState(p), { type: "faultRaised", reason: "link down" }, 0).state;
  s = step(p, s, { type: "startup" }, 0).state;
  assert.equal(s.role, "fault");
  const dup = step(p, s, { type: "faultCleared", reason: "never raised" }, 1);
  assert.equal(dup.actions.some((a) => a.type === "anomaly"), false);
});

Deno.test("priorityChanged: clamped to 1..254; the owner keeps 255", () => {
  const p = params();
  let s = backup(p);
  s = step(p, s, { type: "priorityChanged", effectivePriority: 400, reason: "x" }, 1).state;
  assert.equal(s.effectivePriority, 254);
  s = step(p, s, { type: "priorityChanged", effectivePriority: -5, reason: "x" }, 2).state;
  assert.equal(s.effectivePriority, 1);
  const o = params({ basePriority: 255 });
  const so = step(o, initialState(o), { type: "startup" }, 0).state;
  const r = step(o, so, { type: "priorityChanged", effectivePriority: 80, reason: "x" }, 1);
  assert.equal(r.state.effectivePriority, 255);
  const bad = step(p, s, { type: "priorityChanged", effectivePriority: NaN, reason: "x" }, 3);
  assert.deepEqual(kinds(bad), ["anomaly"]);
});

Deno.test("priorityChanged: a demoted master keeps running and advertises its new priority; the backup preempts", () => {
  const p = params({ basePriority: 200 });
  const { state, at } = master(p);
  const r = step(
    p,
    state,
    { type: "priorityChanged", effectivePriority: 90, reason: "chk" },
    at + 5,
  );
  assert.equal(r.state.role, "master");
  assert.deepEqual(kinds(r), ["sendAdvert"]);
  assert.equal(adverts(r)[0].priority, 90);
  // the backup at 100 hears 90 and preempts when its timer runs out
  const b = params({ primaryIp: HIGHER_IP });
  const sb = step(b, backup(b), heard(p, 90, ME), at + 5).state;
  const t = nextDeadlineMs(sb)!;
  assert.equal(t, masterDownIntervalMs(2, 100, 100));
  const took = step(b, sb, deadline, t);
  assert.equal(took.state.role, "master");
  // the old master hears the new one and steps down
  const down = step(p, r.state, heard(b, 100, HIGHER_IP), t + 1);
  assert.equal(down.state.role, "backup");
});

Deno.test("adminDown: a master hands over, stays out until adminUp, which rejoins as backup", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(p, state, { type: "adminDownRequested" }, at + 1);
  assert.deepEqual(kinds(r), ["sendAdvert", "stateChanged", "removeVips"]);
  assert.equal(adverts(r)[0].priority, 0);
  assert.equal(stateChange(r).reason, "adminDown");
  assert.equal(r.state.adminDown, true);
  assert.equal(nextDeadlineMs(r.state), null);
  const seen = step(p, r.state, heard(p, 50, HIGHER_IP), at + 100);
  assert.deepEqual(kinds(seen), ["packetDropped"]);
  assert.equal(seen.actions[0].type === "packetDropped" && seen.actions[0].reason, "adminDown");
  assert.equal(seen.state.masterIp, HIGHER_IP, "observed for status");
  assert.equal(seen.state.role, "initialize");
  const again = step(p, seen.state, { type: "adminDownRequested" }, at + 101);
  assert.deepEqual(kinds(again), []);
  const up = step(p, seen.state, { type: "adminUpRequested" }, at + 200);
  assert.equal(up.state.role, "backup");
  assert.equal(stateChange(up).reason, "adminUp");
  assert.equal(nextDeadlineMs(up.state), at + 200 + masterDownIntervalMs(2, 100, 100));
});

Deno.test("gratuitous ARP: at once, once more after garpMasterDelayMs, then every garpMasterRefreshMs", () => {
  const p = params({ garpMasterDelayMs: 5000, garpMasterRefreshMs: 60_000 });
  const { state, at } = master(p);
  const garps: string[] = [];
  let s = state;
  let t = at;
  while (t < at + 130_000) {
    t = nextDeadlineMs(s)!;
    const r = step(p, s, deadline, t);
    for (const a of r.actions) if (a.type === "sendGratuitousArp") garps.push(`${t - at}:${a.why}`);
    s = r.state;
  }
  assert.deepEqual(garps, ["5000:repeat", "60000:refresh", "120000:refresh"]);
  // without the delay, no second burst
  const q = params();
  const m = master(q);
  assert.equal(nextDeadlineMs(m.state), m.at + 1000);
  assert.equal(m.state.timers.garpRepeatAtMs, null);
});

Deno.test("split brain: a master hearing a lower-priority master re-announces, rate-limited, and clears", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(p, state, heard(p, 50, HIGHER_IP), at + 100);
  assert.deepEqual(kinds(r), ["sendAdvert", "sendGratuitousArp"]);
  assert.ok(r.actions.some((a) => a.type === "log" && a.level === "warn"));
  assert.deepEqual(r.actions.find((a) => a.type === "sendGratuitousArp"), {
    type: "sendGratuitousArp",
    why: "splitBrain",
  });
  assert.deepEqual(r.state.splitBrain, {
    peer: HIGHER_IP,
    priority: 50,
    sinceMs: at + 100,
    lastHeardMs: at + 100,
  });
  const again = step(p, r.state, heard(p, 50, HIGHER_IP), at + 600);
  assert.deepEqual(kinds(again), [], "rate-limited within one interval");
  const later = step(p, again.state, heard(p, 50, HIGHER_IP), at + 1100);
  assert.deepEqual(kinds(later), ["sendAdvert", "sendGratuitousArp"]);
  assert.equal(later.state.splitBrain?.sinceMs, at + 100);
  // no lower advert for 3 intervals: cleared
  let s = later.state;
  const clearAt = at + 1100 + 3000;
  while (nextDeadlineMs(s)! <= clearAt) s = step(p, s, deadline, nextDeadlineMs(s)!).state;
  assert.equal(s.splitBrain, null);
  assert.equal(s.role, "master");
});

Deno.test("RFC 3768 §7.1: step() drops adverts failing the instance checks, without effect", () => {
  const p = params();
  const s = backup(p);
  const bad = { ...advertFor(p, 200), advertIntervalCs: 300 };
  const r = step(p, s, { type: "advertReceived", advert: bad, source: HIGHER_IP }, 10);
  assert.deepEqual(kinds(r), ["packetDropped"]);
  assert.equal(r.actions[0].type === "packetDropped" && r.actions[0].reason, "intervalMismatch");
  assert.deepEqual(r.state, s);
  const own = step(p, s, heard(p, 100, ME), 10);
  assert.equal(own.actions[0].type === "packetDropped" && own.actions[0].reason, "ownAdvert");
});

Deno.test("step() reports nonsense events as anomalies instead of ignoring them", () => {
  const p = params();
  const s = backup(p);
  assert.deepEqual(kinds(step(p, s, { type: "startup" }, 1)), ["anomaly"]);
  const stopped = step(p, s, { type: "shutdownRequested" }, 1).state;
  assert.deepEqual(kinds(step(p, stopped, { type: "shutdownRequested" }, 2)), ["anomaly"]);
  // a malformed event never throws
  const weird = step(p, s, { type: "advertReceived" } as unknown as FsmEvent, 3);
  assert.deepEqual(kinds(weird), ["anomaly"]);
  assert.equal(weird.state, s);
  assert.deepEqual(kinds(step(p, s, { type: "bogus" } as unknown as FsmEvent, 3)), ["anomaly"]);
});

// ---- property: random event sequences ---------------------------------------------------------

function deepFreeze<T>(o: T): T {
  if (o && typeof o === "object" && !ArrayBuffer.isView(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const arbEvent: fc.Arbitrary<FsmEvent> = fc.oneof(
  fc.constant<FsmEvent>({ type: "startup" }),
  fc.constant<FsmEvent>({ type: "shutdownRequested" }),
  fc.constant<FsmEvent>({ type: "adminDownRequested" }),
  fc.constant<FsmEvent>({ type: "adminUpRequested" }),
  fc.constantFrom("link", "chk").map((reason): FsmEvent => ({ type: "faultRaised", reason })),
  fc.constantFrom("link", "chk").map((reason): FsmEvent => ({ type: "faultCleared", reason })),
  fc.integer({ min: -50, max: 300 }).map((effectivePriority): FsmEvent => ({
    type: "priorityChanged",
    effectivePriority,
    reason: "track",
  })),
  { arbitrary: fc.constant<FsmEvent>(deadline), weight: 4 },
  {
    arbitrary: fc.record({
      priority: fc.constantFrom(0, 1, 50, 100, 150, 254, 255),
      source: fc.constantFrom(LOWER_IP, HIGHER_IP, ME),
      mismatch: fc.constantFrom(false, false, false, true),
    }).map(({ priority, source, mismatch }): FsmEvent => ({
      type: "advertReceived",
      advert: { ...advertFor(params(), priority), advertIntervalCs: mismatch ? 900 : 100 },
      source,
    })),
    weight: 4,
  },
);

const arbParams: fc.Arbitrary<InstanceParams> = fc.record({
  basePriority: fc.constantFrom(1, 100, 200, 254, 255),
  preempt: fc.boolean(),
  preemptDelayMs: fc.constantFrom(0, 0, 2500),
  higherPrioSendAdvert: fc.boolean(),
  garpMasterDelayMs: fc.constantFrom(0, 5000),
  garpMasterRefreshMs: fc.constantFrom(0, 7000),
}).map((o) => params(o));

/** Makes a sequence well-formed: starts with startup; drops startup while running and
 * shutdown while stopped (the caller bugs `step()` reports as anomalies). */
function wellFormed(events: FsmEvent[]): FsmEvent[] {
  let running = false;
  return [{ type: "startup" } as FsmEvent, ...events].filter((e) => {
    if (e.type === "startup") {
      if (running) return false;
      running = true;
    } else if (e.type === "shutdownRequested") {
      if (!running) return false;
      running = false;
    }
    return true;
  });
}

function runSequence(p: InstanceParams, events: FsmEvent[], gaps: number[]) {
  let s = deepFreeze(initialState(p));
  let vipsUp = false;
  let now = 0;
  const anomalies: string[] = [];
  events.forEach((e, i) => {
    now += gaps[i % gaps.length];
    // a deadline event arrives at the deadline, as the shell delivers it
    const at = e.type === "deadlineReached" ? Math.max(now, nextDeadlineMs(s) ?? now) : now;
    now = at;
    const r = step(p, s, deepFreeze(e), at);
    for (const a of r.actions) {
      if (a.type === "anomaly") anomalies.push(a.message);
      if (a.type === "addVips") {
        assert.equal(vipsUp, false, "addVips twice");
        vipsUp = true;
      }
      if (a.type === "removeVips") {
        assert.equal(vipsUp, true, "removeVips without addVips");
        vipsUp = false;
      }
      if (a.type === "sendAdvert") {
        // only a master speaks: to resign (priority 0), to step down, or as the new master
        assert.ok(s.role === "master" || r.state.role === "master", "advert from a non-master");
        if (a.advert.priority === 0) assert.equal(s.role, "master");
        else assert.equal(a.advert.priority, r.state.effectivePriority);
      }
    }
    s = deepFreeze(r.state);
    assert.equal(vipsUp, s.role === "master", "master <=> VIPs added");
    const prio = s.effectivePriority;
    if (p.basePriority === 255) assert.equal(prio, 255);
    else assert.ok(prio >= 1 && prio <= 254, `priority ${prio}`);
    if (s.role === "master") assert.ok(s.timers.advertAtMs !== null && s.masterIp === ME);
    if (s.role === "backup") assert.ok(s.timers.masterDownAtMs !== null);
    if (s.role === "fault" || s.role === "initialize") assert.equal(nextDeadlineMs(s), null);
    assert.equal(s.running && !s.adminDown && s.faults.length > 0, s.role === "fault");
  });
  return anomalies;
}

Deno.test("property: random event sequences never throw and keep the invariants", () => {
  fc.assert(
    fc.property(
      arbParams,
      fc.array(arbEvent, { maxLength: 80, size: "max" }),
      fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 8 }),
      (p, events, gaps) => {
        runSequence(p, events, gaps);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("property: well-formed event sequences produce no anomaly", () => {
  fc.assert(
    fc.property(
      arbParams,
      fc.array(arbEvent, { maxLength: 80, size: "max" }).map(wellFormed),
      fc.array(fc.integer({ min: 0, max: 4000 }), { minLength: 1, maxLength: 8 }),
      (p, events, gaps) => {
        assert.deepEqual(runSequence(p, events, gaps), []);
      },
    ),
    { numRuns: 400 },
  );
});

Deno.test("RFC 3768 §6.4.2: a stepping-down master's last advert does not replace the master as heard", () => {
  const p = params();
  let s = step(p, backup(p), heard(p, 200, HIGHER_IP), 1000).state;
  s = step(p, s, heard(p, 50, LOWER_IP), 1100).state;
  assert.equal(s.masterIp, HIGHER_IP);
  assert.equal(s.masterPriority, 200);
});

// --- vrrp_sync_group role following ------------------------------------------------------------

const syncMaster: FsmEvent = {
  type: "syncRoleRequested",
  to: "master",
  reason: "syncGroup G: vi2 entered master",
};
const syncBackup: FsmEvent = {
  type: "syncRoleRequested",
  to: "backup",
  reason: "syncGroup G: vi2 entered backup",
};

Deno.test("syncRoleRequested master: a backup takes over at once, in the order of a normal takeover", () => {
  const p = params({ garpMasterDelayMs: 5000 });
  const r = step(p, backup(p), syncMaster, 1000);
  assert.deepEqual(kinds(r), ["stateChanged", "sendAdvert", "addVips", "sendGratuitousArp"]);
  assert.equal(stateChange(r).reason, "syncGroup G: vi2 entered master");
  assert.equal(r.state.role, "master");
  assert.equal(r.state.masterIp, ME);
  assert.equal(adverts(r)[0].priority, 100);
  // the same timers as any master: next advert, the garp repeat
  assert.equal(r.state.timers.advertAtMs, 2000);
  assert.equal(r.state.timers.garpRepeatAtMs, 6000);
});

Deno.test("syncRoleRequested backup: a master steps down without priority 0 and arms Master_Down_Timer", () => {
  const p = params();
  const { state, at } = master(p);
  const r = step(p, state, syncBackup, at + 10);
  assert.deepEqual(kinds(r), ["stateChanged", "removeVips"]);
  assert.equal(adverts(r).length, 0);
  assert.equal(r.state.role, "backup");
  assert.equal(r.state.syncHold, true);
  assert.equal(nextDeadlineMs(r.state), at + 10 + masterDownIntervalMs(2, 100, 100));
});

Deno.test("syncRoleRequested backup: a held backup follows a lower-priority master instead of preempting", () => {
  const p = params();
  const { state, at } = master(p);
  let s = step(p, state, syncBackup, at).state;
  const mdi = masterDownIntervalMs(2, 100, 100);
  // the peer's group-forced master advertises 99 < 100 every second: we keep following it
  for (let t = at + 1000; t < at + 10_000; t += 1000) {
    const r = step(p, s, heard(p, 99, HIGHER_IP), t);
    assert.equal(r.state.role, "backup");
    assert.equal(nextDeadlineMs(r.state), t + mdi);
    assert.equal(r.state.masterIp, HIGHER_IP);
    s = r.state;
  }
  // it still takes over when that master goes silent, and the hold ends there
  const r = step(p, s, deadline, nextDeadlineMs(s)!);
  assert.equal(stateChange(r).reason, "masterDownIntervalElapsed");
  assert.equal(r.state.syncHold, false);
});

Deno.test("syncRoleRequested: a backup that stepped down on its own is not held and preempts", () => {
  const p = params();
  const { state, at } = master(p);
  const s = step(p, state, heard(p, 101, LOWER_IP), at + 10).state;
  assert.equal(s.syncHold, false);
  const r = step(p, s, heard(p, 50, LOWER_IP), at + 20);
  assert.equal(r.state.ignoredLowerPriority, true);
});

Deno.test("syncRoleRequested: the owner preempts even when held", () => {
  const p = params({ basePriority: 255 });
  let s = step(p, initialState(p), { type: "startup" }, 0).state;
  s = step(p, s, syncBackup, 10).state;
  assert.equal(s.role, "backup");
  const r = step(p, s, heard(p, 99, HIGHER_IP), 20);
  assert.equal(r.state.ignoredLowerPriority, true);
});

Deno.test("syncRoleRequested: ignored while not running, administratively down or in fault; no-op in the same role", () => {
  const p = params();
  const notRunning = step(p, initialState(p), syncMaster, 0);
  assert.deepEqual(kinds(notRunning), []);
  assert.equal(notRunning.state.role, "initialize");
  assert.match(JSON.stringify(notRunning.actions), /ignored \(not running\)/);

  const down = step(p, backup(p), { type: "adminDownRequested" }, 10).state;
  const r1 = step(p, down, syncMaster, 20);
  assert.deepEqual(kinds(r1), []);
  assert.match(JSON.stringify(r1.actions), /administratively down/);

  const fault = step(p, backup(p), { type: "faultRaised", reason: "link" }, 10).state;
  const r2 = step(p, fault, syncMaster, 20);
  assert.deepEqual(kinds(r2), []);
  assert.equal(r2.state.role, "fault");

  const b = backup(p);
  const r3 = step(p, b, syncBackup, 20);
  assert.deepEqual(kinds(r3), []);
  assert.equal(r3.state.syncHold, false, "a backup already there is not held");
  const { state: m, at } = master(p);
  assert.deepEqual(kinds(step(p, m, syncMaster, at + 5)), []);
});

Deno.test("syncRoleRequested: an unknown role is an anomaly, the state unchanged", () => {
  const p = params();
  const s = backup(p);
  const bad = { type: "syncRoleRequested", to: "fault", reason: "x" } as unknown as FsmEvent;
  const r = step(p, s, bad, 10);
  assert.deepEqual(kinds(r), ["anomaly"]);
  assert.equal(r.state.role, "backup");
});
