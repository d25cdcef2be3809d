import assert from "node:assert/strict";
import { PRECISE_LEAD_MS, PreciseTimers } from "../../lib/daemon/precise_timer.ts";
import { sleepMicros } from "../../ffi/sleep.ts";
import { FakeHost, flush } from "./fakes.ts";

/** Precise timers over the fake clock; a sleep advances the clock by what was asked (+ `overshootUs`). */
function fakeParts(host: FakeHost, overshootUs = 0) {
  const sleeps: number[] = [];
  const timers = new PreciseTimers({
    now: () => host.now(),
    setTimeout: (fn, ms) => host.setTimer(ms, fn),
    clearTimeout: (h) => host.clearTimer(h as number),
    sleepMicros: (us) => {
      sleeps.push(us);
      host.nowMs += (us + overshootUs) / 1000;
      return Promise.resolve();
    },
  });
  return { timers, sleeps };
}

Deno.test("PreciseTimers: the coarse timer wakes early, the last stretch is slept, never early", async () => {
  const host = new FakeHost();
  const { timers, sleeps } = fakeParts(host);
  const fired: number[] = [];
  timers.setTimer(1000.4, () => fired.push(host.now()));
  await host.advance(1000 - PRECISE_LEAD_MS - 1);
  assert.deepEqual(fired, []);
  await host.advance(1); // the coarse timer: armed at floor(1000.4 - lead)
  await flush();
  assert.equal(sleeps.length, 1);
  assert.ok(Math.abs(sleeps[0] - 2400) < 1e-6, `slept ${sleeps[0]} µs`);
  assert.equal(fired.length, 1);
  assert.ok(fired[0] >= 1000.4 && fired[0] < 1000.41, `fired at ${fired[0]}`);
});

Deno.test("PreciseTimers: a sleep that ends short is continued; a cleared timer never fires", async () => {
  const host = new FakeHost();
  const { timers, sleeps } = fakeParts(host, -500); // every sleep ends 0.5 ms short
  const fired: string[] = [];
  timers.setTimer(100, () => fired.push(`a@${host.now()}`));
  const b = timers.setTimer(100, () => fired.push("b"));
  const c = timers.setTimer(50, () => fired.push("c"));
  timers.clearTimer(c);
  await host.advance(98);
  timers.clearTimer(b); // its sleep is under way
  await flush();
  await host.advance(5);
  assert.equal(fired.length, 1);
  assert.ok(fired[0].startsWith("a@") && Number(fired[0].slice(2)) >= 100, fired[0]);
  assert.ok(sleeps.length >= 2, "slept again after the short sleep");
  timers.clearTimer(999); // unknown: ignored
});

Deno.test("PreciseTimers: short delays are slept at once; zero fires on the next turn", async () => {
  const host = new FakeHost();
  const { timers, sleeps } = fakeParts(host);
  const fired: string[] = [];
  timers.setTimer(1.5, () => fired.push("short"));
  timers.setTimer(0, () => fired.push("zero"));
  await host.advance(0);
  await flush();
  assert.deepEqual(fired.sort(), ["short", "zero"]);
  assert.equal(sleeps.length, 1);
});

Deno.test("sleepMicros() waits on a worker thread without blocking the event loop", async () => {
  const t0 = performance.now();
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  await sleepMicros(20_000);
  clearInterval(ticker);
  const took = performance.now() - t0;
  assert.ok(took >= 19.9, `took ${took} ms`);
  assert.ok(ticks >= 3, `the event loop ran meanwhile (${ticks} ticks)`);
  await sleepMicros(0);
});
