/** The VRRPv3 state machine (RFC 5798 §6): timers in centiseconds and the learned interval. */
import assert from "node:assert/strict";
import {
  advertFor,
  currentMasterDownIntervalMs,
  initialState,
  type InstanceState,
  nextDeadlineMs,
  step,
} from "../../lib/vrrp/fsm.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";
import type { Advertisement, FsmEvent, InstanceParams } from "../../lib/vrrp/types.ts";

const ME = "fe80::2";

function params(o: Partial<InstanceParams> = {}): InstanceParams {
  return {
    name: "v6",
    vrid: 52,
    basePriority: 99,
    version: 3,
    family: "ipv6",
    advertIntervalCs: 10,
    primaryIp: ME,
    vips: ["fd00:101::151"],
    authType: 0,
    authPass: "",
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

function heard(p: InstanceParams, priority: number, over: Partial<Advertisement> = {}) {
  const event: FsmEvent = {
    type: "advertReceived",
    advert: { ...advertFor(p, priority), ...over },
    source: "fe80::9",
  };
  return event;
}

function backup(p: InstanceParams): InstanceState {
  const r = step(p, initialState(p), { type: "startup" }, 0);
  assert.equal(r.state.role, "backup");
  return r.state;
}

Deno.test("RFC 5798 §6.4.1: a backup starts with Master_Adver_Interval = Advertisement_Interval", () => {
  const p = params();
  const s = backup(p);
  assert.equal(s.masterAdverIntervalCs, 10);
  // 3 × 100 ms + (256 − 99) × 100 / 256 ms
  assert.equal(nextDeadlineMs(s), 361.328125);
  const still = step(p, s, { type: "deadlineReached" }, 361.328);
  assert.equal(still.state.role, "backup");
  const m = step(p, s, { type: "deadlineReached" }, 361.328125);
  assert.equal(m.state.role, "master");
  assert.deepEqual(
    m.actions.filter((a) => a.type !== "log").map((a) => a.type),
    ["stateChanged", "sendAdvert", "addVips", "sendGratuitousArp"],
  );
  // the master then advertises every 100 ms
  assert.equal(nextDeadlineMs(m.state), 361.328125 + 100);
});

Deno.test("RFC 5798 §6.4.2: a backup learns Master_Adver_Interval and recomputes Master_Down_Interval", () => {
  const p = params();
  const r = step(p, backup(p), heard(p, 150, { advertIntervalCs: 100 }), 50);
  assert.equal(r.state.masterAdverIntervalCs, 100);
  assert.deepEqual(r.actions.filter((a) => a.type === "packetDropped"), []);
  assert.equal(nextDeadlineMs(r.state), 50 + masterDownIntervalMs(3, 100, 99));
  assert.equal(currentMasterDownIntervalMs(p, r.state), 3000 + 613.28125);
  // a faster master later: learned again
  const r2 = step(p, r.state, heard(p, 150, { advertIntervalCs: 2 }), 100);
  assert.equal(r2.state.masterAdverIntervalCs, 2);
  assert.equal(nextDeadlineMs(r2.state), 100 + masterDownIntervalMs(3, 2, 99));
});

Deno.test("RFC 5798 §6.4.2: a lower-priority advert a preempting backup discards teaches nothing", () => {
  const p = params();
  const r = step(p, backup(p), heard(p, 50, { advertIntervalCs: 300 }), 10);
  assert.equal(r.state.masterAdverIntervalCs, 10);
  assert.equal(nextDeadlineMs(r.state), 361.328125);
});

Deno.test("RFC 5798 §6.4.2: after a priority-0 advert, Master_Down_Timer = Skew_Time of the learned interval", () => {
  const p = params();
  const learned = step(p, backup(p), heard(p, 150, { advertIntervalCs: 20 }), 10).state;
  const r = step(p, learned, heard(p, 0, { advertIntervalCs: 20 }), 30);
  assert.equal(nextDeadlineMs(r.state), 30 + skewTimeMs(3, 99, 20));
  assert.equal(skewTimeMs(3, 99, 20), 122.65625);
});

Deno.test("RFC 5798 §6.4.3: a master stepping down takes the new master's interval", () => {
  const p = params();
  const m = step(p, backup(p), { type: "deadlineReached" }, 400).state;
  assert.equal(m.role, "master");
  const r = step(p, m, heard(p, 200, { advertIntervalCs: 50 }), 410);
  assert.equal(r.state.role, "backup");
  assert.equal(r.state.masterAdverIntervalCs, 50);
  assert.equal(nextDeadlineMs(r.state), 410 + masterDownIntervalMs(3, 50, 99));
});

Deno.test("RFC 5798 §7.1: v3 takes adverts of another interval; v2 drops them (RFC 3768 §7.1)", () => {
  const v3 = params();
  const r3 = step(v3, backup(v3), heard(v3, 150, { advertIntervalCs: 37 }), 1);
  assert.deepEqual(r3.actions.filter((a) => a.type === "packetDropped"), []);
  const v2 = params({
    version: 2,
    family: "ipv4",
    advertIntervalCs: 100,
    primaryIp: "10.0.0.2",
    vips: ["10.0.0.100"],
  });
  const r2 = step(v2, backup(v2), heard(v2, 150, { advertIntervalCs: 200 }), 1);
  assert.deepEqual(
    r2.actions.flatMap((a) => a.type === "packetDropped" ? [a.reason] : []),
    ["intervalMismatch"],
  );
  assert.equal(r2.state.masterAdverIntervalCs, 100);
});

Deno.test("RFC 5798 §7.1: a v2 advert on a v3 instance is versionMismatch; a zero interval is dropped", () => {
  const p = params();
  const v2 = step(p, backup(p), heard(p, 150, { version: 2 }), 1);
  assert.deepEqual(
    v2.actions.flatMap((a) => a.type === "packetDropped" ? [a.reason] : []),
    ["versionMismatch"],
  );
  const zero = step(p, backup(p), heard(p, 150, { advertIntervalCs: 0 }), 1);
  assert.deepEqual(
    zero.actions.flatMap((a) => a.type === "packetDropped" ? [a.reason] : []),
    ["intervalMismatch"],
  );
});

Deno.test("RFC 5798 §6.4.3: the equal-priority tie goes to the higher IPv6 link-local address", () => {
  const p = params();
  const m = step(p, backup(p), { type: "deadlineReached" }, 400).state;
  const higher: FsmEvent = { ...heard(p, 99), source: "fe80::10" } as FsmEvent;
  assert.equal(step(p, m, higher, 401).state.role, "backup");
  const lower: FsmEvent = { ...heard(p, 99), source: "fe80::1" } as FsmEvent;
  assert.equal(step(p, m, lower, 401).state.role, "master");
});
