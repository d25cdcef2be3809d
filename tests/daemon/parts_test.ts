import assert from "node:assert/strict";
import { DropLog } from "../../lib/daemon/drop_log.ts";
import { Logger } from "../../lib/daemon/logger.ts";
import { canonical, planReload } from "../../lib/daemon/reload_diff.ts";
import { Scheduler } from "../../lib/daemon/scheduler.ts";
import { instanceParams, truncatePassword } from "../../lib/daemon/params.ts";
import { defaultInstance } from "../../config/defaults.ts";
import { FakeHost } from "./fakes.ts";

Deno.test("Scheduler keeps one timer for the earliest deadline and fires keys in order", async () => {
  const host = new FakeHost();
  const fired: string[] = [];
  const s = new Scheduler<string>(host, (k) => fired.push(`${k}@${host.now()}`));
  s.set("a", 300);
  s.set("b", 100);
  s.set("c", 200);
  s.set("c", null);
  await host.advance(99);
  assert.deepEqual(fired, []);
  await host.advance(1);
  assert.deepEqual(fired, ["b@100"]);
  await host.advance(500);
  assert.deepEqual(fired, ["b@100", "a@300"]);
});

Deno.test("Scheduler re-arms when a callback sets a new deadline", async () => {
  const host = new FakeHost();
  let n = 0;
  const s = new Scheduler<string>(host, (k) => {
    n++;
    s.set(k, host.now() + 1000);
  });
  s.set("x", 1000);
  await host.advance(5500);
  assert.equal(n, 5);
  s.stop();
  await host.advance(5000);
  assert.equal(n, 5);
});

Deno.test("Scheduler arms the timer once per firing, however many keys were due", async () => {
  const host = new FakeHost();
  let arms = 0;
  const counting = {
    now: () => host.now(),
    setTimer: (ms: number, fn: () => void) => (arms++, host.setTimer(ms, fn)),
    clearTimer: (id: number) => host.clearTimer(id),
  };
  const fired: string[] = [];
  const s = new Scheduler<string>(counting, (k) => {
    fired.push(k);
    s.set(k, host.now() + 1000 + fired.length); // like 255 instances re-arming their adverts
  });
  for (let i = 0; i < 50; i++) s.set(`k${i}`, 100);
  arms = 0;
  await host.advance(100);
  assert.equal(fired.length, 50);
  assert.equal(arms, 1, "one timer for the next earliest deadline");
  assert.equal(s.get("k0"), 1101);
});

Deno.test("Scheduler runs beforeFire() first, and a deadline it moves is not fired", async () => {
  const host = new FakeHost();
  const fired: string[] = [];
  const order: string[] = [];
  let s: Scheduler<string> | null = null;
  s = new Scheduler<string>(host, (k) => {
    order.push(`due ${k}`);
    fired.push(k);
  }, () => {
    order.push("before");
    // like a queued advert: "b" gets a later deadline just before it would have fired
    if (s!.get("b") === 100) s!.set("b", 400);
  });
  s.set("a", 100);
  s.set("b", 100);
  await host.advance(100);
  assert.deepEqual(order, ["before", "due a"]);
  await host.advance(300);
  assert.deepEqual(fired, ["a", "b"]);
  assert.deepEqual(order, ["before", "due a", "before", "due b"]);
});

Deno.test("planReload() tells added, removed, changed and unchanged instances apart", () => {
  const a = { ...defaultInstance("a"), interface: "eth0", vrid: 1 };
  const b = { ...defaultInstance("b"), interface: "eth0", vrid: 2 };
  const c = { ...defaultInstance("c"), interface: "eth0", vrid: 3 };
  const b2 = { ...b, priority: 50 };
  // same content, keys in another order: not a change
  const aReordered = Object.fromEntries(Object.entries(a).reverse()) as typeof a;
  const plan = planReload([a, b], [aReordered, b2, c]);
  assert.deepEqual(plan.unchanged, ["a"]);
  assert.deepEqual(plan.changed.map((x) => x.name), ["b"]);
  assert.deepEqual(plan.added.map((x) => x.name), ["c"]);
  assert.deepEqual(plan.removed, []);
  assert.deepEqual(planReload([a, b], [b]).removed, ["a"]);
  assert.equal(canonical({ x: 1, y: [2, { b: 1, a: 2 }] }), '{"x":1,"y":[2,{"a":2,"b":1}]}');
});

Deno.test("DropLog counts every drop but reports at most once per window per reason", () => {
  const d = new DropLog(10_000);
  assert.equal(d.record("badTtl", 0), 1);
  assert.equal(d.record("badTtl", 100), 0);
  assert.equal(d.record("badTtl", 200), 0);
  assert.equal(d.record("authFailure", 300), 1);
  assert.equal(d.record("badTtl", 10_000), 3);
  assert.deepEqual(d.counts, { badTtl: 4, authFailure: 1 });
});

Deno.test("Logger prefixes the instance in text and writes one JSON object per line", () => {
  const lines: string[] = [];
  const clock = () => new Date("2026-01-02T03:04:05.000Z");
  const text = new Logger({
    level: "info",
    format: "text",
    sink: (l) => lines.push(l),
    wallClock: clock,
  });
  text.forInstance("ha-internal-1", 1, "eth0").info("backup -> master (masterDownIntervalElapsed)");
  text.debug("hidden");
  assert.deepEqual(lines, [
    "2026-01-02T03:04:05.000Z INFO  [ha-internal-1 vrid 1 eth0] backup -> master (masterDownIntervalElapsed)",
  ]);
  lines.length = 0;
  const json = new Logger({
    level: "debug",
    format: "json",
    sink: (l) => lines.push(l),
    wallClock: clock,
  });
  json.forInstance("x", 7, "eth1").warn("dropped", { reason: "badTtl" });
  assert.deepEqual(JSON.parse(lines[0]), {
    ts: "2026-01-02T03:04:05.000Z",
    level: "warn",
    instance: "x vrid 7 eth1",
    msg: "dropped",
    fields: { reason: "badTtl" },
  });
});

Deno.test("instanceParams() maps the config and truncates the password to 8 bytes", () => {
  const cfg = {
    ...defaultInstance("ha"),
    interface: "eth0",
    vrid: 1,
    priority: 99,
    auth: { type: "pass" as const, password: "1-internal-ha" },
    vips: [{ address: "10.101.0.101", prefixLen: 22 }],
    preemptDelaySec: 2,
  };
  const p = instanceParams(cfg, "10.101.1.186");
  assert.equal(p.authType, 1);
  assert.equal(p.authPass, "1-intern");
  assert.equal(p.primaryIp, "10.101.1.186");
  assert.deepEqual(p.vips, ["10.101.0.101"]);
  assert.equal(p.preemptDelayMs, 2000);
  assert.equal(p.garpMasterDelayMs, 5000);
  assert.equal(p.basePriority, 99);
  assert.equal(truncatePassword("short"), "short");
});
