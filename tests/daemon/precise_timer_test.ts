import assert from "node:assert/strict";
import { type DeadlinePort, PreciseTimers } from "../../lib/daemon/precise_timer.ts";
import { armDeadline, disarmDeadline } from "../../ffi/poller.ts";

/** A deadline port over a fake clock: records every arm, fires when the test says so. */
class FakeDeadline implements DeadlinePort {
  nowMs = 0;
  armed: { atMs: number; onDue: () => void } | null = null;
  arms: number[] = [];
  now(): number {
    return this.nowMs;
  }
  arm(delayMs: number, onDue: () => void): void {
    this.armed = { atMs: this.nowMs + delayMs, onDue };
    this.arms.push(this.nowMs + delayMs);
  }
  disarm(): void {
    this.armed = null;
  }
  /** Moves the clock to the armed time and fires it (the real timerfd is never early). */
  fire(): void {
    const a = this.armed;
    assert.ok(a, "a deadline is armed");
    this.armed = null;
    this.nowMs = Math.max(this.nowMs, a.atMs);
    a.onDue();
  }
}

Deno.test("PreciseTimers: one deadline armed for the earliest timer, fired in due order", () => {
  const port = new FakeDeadline();
  const timers = new PreciseTimers(port);
  const fired: string[] = [];
  timers.setTimer(1000.4, () => fired.push(`a@${port.now()}`));
  timers.setTimer(300, () => fired.push(`b@${port.now()}`));
  timers.setTimer(2000, () => fired.push(`c@${port.now()}`));
  assert.deepEqual(port.arms, [1000.4, 300], "re-armed only for an earlier timer");
  port.fire();
  assert.deepEqual(fired, ["b@300"]);
  assert.equal(port.armed?.atMs, 1000.4);
  port.fire();
  assert.deepEqual(fired, ["b@300", "a@1000.4"]);
  port.fire();
  assert.deepEqual(fired, ["b@300", "a@1000.4", "c@2000"]);
  assert.equal(port.armed, null, "nothing left: nothing armed");
});

Deno.test("PreciseTimers: a cleared timer never fires; clearing the last one disarms", () => {
  const port = new FakeDeadline();
  const timers = new PreciseTimers(port);
  const fired: string[] = [];
  const a = timers.setTimer(100, () => fired.push("a"));
  const b = timers.setTimer(200, () => fired.push("b"));
  timers.clearTimer(a);
  port.fire(); // armed for a: finds nothing due, re-arms for b
  assert.deepEqual(fired, []);
  assert.equal(port.armed?.atMs, 200);
  timers.clearTimer(b);
  assert.equal(port.armed, null);
  timers.clearTimer(12345); // unknown: ignored
});

Deno.test("PreciseTimers: timers set from a callback, and due together, fire once each", () => {
  const port = new FakeDeadline();
  const timers = new PreciseTimers(port);
  const fired: string[] = [];
  timers.setTimer(10, () => {
    fired.push("first");
    timers.setTimer(0, () => fired.push("zero"));
    timers.setTimer(5, () => fired.push("later"));
  });
  timers.setTimer(10, () => fired.push("second"));
  port.fire();
  assert.deepEqual(fired, ["first", "second"]);
  port.fire();
  assert.deepEqual(fired, ["first", "second", "zero"]);
  port.fire();
  assert.deepEqual(fired, ["first", "second", "zero", "later"]);
});

Deno.test("armDeadline(): the shared wait's timerfd fires once, never early, without blocking", async () => {
  const t0 = performance.now();
  let ticks = 0;
  const ticker = setInterval(() => ticks++, 1);
  const firedAt = await new Promise<number>((resolve) => {
    armDeadline(50, () => resolve(performance.now()));
  });
  clearInterval(ticker);
  const late = firedAt - t0 - 50;
  assert.ok(late >= 0, `fired ${-late} ms early`);
  assert.ok(late < 25, `fired ${late} ms late`);
  assert.ok(ticks >= 3, `the event loop ran meanwhile (${ticks} ticks)`);
  // re-arming replaces; disarming leaves no poll() pending (the op sanitizer checks)
  let fired = false;
  armDeadline(10, () => fired = true);
  armDeadline(30, () => fired = true);
  disarmDeadline();
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(fired, false);
});
