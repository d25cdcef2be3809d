import assert from "node:assert/strict";
import { advertIntervalMs, masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";

Deno.test("RFC 3768 §6.1: Skew_Time is (256 - Priority) / 256 seconds, exact in ms", () => {
  assert.equal(skewTimeMs(99), 613.28125);
  assert.equal(skewTimeMs(100), 609.375);
  assert.equal(skewTimeMs(255), 3.90625);
  assert.equal(skewTimeMs(1), 996.09375);
  assert.equal(skewTimeMs(0), 1000);
});

Deno.test("RFC 3768 §6.1: Master_Down_Interval is 3 × Advertisement_Interval + Skew_Time", () => {
  assert.equal(masterDownIntervalMs(1, 99), 3613.28125);
  // the benchmark quotes 3613 ms for priority 99: the exact value, truncated to whole ms
  assert.equal(Math.floor(masterDownIntervalMs(1, 99)), 3613);
  // keepalived keeps microseconds: 3613281 µs
  assert.equal(Math.floor(masterDownIntervalMs(1, 99) * 1000), 3613281);
  assert.equal(masterDownIntervalMs(3, 200), 9000 + 218.75);
});

Deno.test("advertIntervalMs() converts the wire's whole seconds", () => {
  assert.equal(advertIntervalMs(1), 1000);
  assert.equal(advertIntervalMs(255), 255000);
});

Deno.test("skewTimeMs(): higher priority, shorter skew (higher priority wins a race)", () => {
  for (let p = 1; p < 255; p++) assert.ok(skewTimeMs(p + 1) < skewTimeMs(p));
});
