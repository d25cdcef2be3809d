import assert from "node:assert/strict";
import { advertIntervalMs, masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";

Deno.test("RFC 3768 §6.1: Skew_Time is (256 - Priority) / 256 seconds, exact in ms", () => {
  assert.equal(skewTimeMs(2, 99, 100), 613.28125);
  assert.equal(skewTimeMs(2, 100, 100), 609.375);
  assert.equal(skewTimeMs(2, 255, 100), 3.90625);
  assert.equal(skewTimeMs(2, 1, 100), 996.09375);
  assert.equal(skewTimeMs(2, 0, 100), 1000);
  // v2's skew does not scale with the interval
  assert.equal(skewTimeMs(2, 99, 300), 613.28125);
});

Deno.test("RFC 3768 §6.1: Master_Down_Interval is 3 × Advertisement_Interval + Skew_Time", () => {
  assert.equal(masterDownIntervalMs(2, 100, 99), 3613.28125);
  // the benchmark quotes 3613 ms for priority 99: the exact value, truncated to whole ms
  assert.equal(Math.floor(masterDownIntervalMs(2, 100, 99)), 3613);
  // keepalived keeps microseconds: 3613281 µs
  assert.equal(Math.floor(masterDownIntervalMs(2, 100, 99) * 1000), 3613281);
  assert.equal(masterDownIntervalMs(2, 300, 200), 9000 + 218.75);
});

Deno.test("RFC 5798 §6.1: Skew_Time is ((256 - Priority) × Master_Adver_Interval) / 256", () => {
  // 100 ms adverts (10 cs), priority 99: 157 × 100 / 256 ms
  assert.equal(skewTimeMs(3, 99, 10), 61.328125);
  // keepalived keeps microseconds: 61328 µs
  assert.equal(Math.floor(skewTimeMs(3, 99, 10) * 1000), 61328);
  assert.equal(skewTimeMs(3, 99, 2), 12.265625);
  assert.equal(skewTimeMs(3, 0, 100), 1000);
});

Deno.test("RFC 5798 §6.1: Master_Down_Interval in centiseconds: ≈361 ms at 100 ms and priority 99", () => {
  assert.equal(masterDownIntervalMs(3, 10, 99), 361.328125);
  assert.equal(masterDownIntervalMs(3, 2, 99), 72.265625);
  // at 1 s the v3 formula gives v2's numbers
  assert.equal(masterDownIntervalMs(3, 100, 99), masterDownIntervalMs(2, 100, 99));
});

Deno.test("advertIntervalMs() converts centiseconds", () => {
  assert.equal(advertIntervalMs(100), 1000);
  assert.equal(advertIntervalMs(25500), 255000);
  assert.equal(advertIntervalMs(2), 20);
  assert.equal(advertIntervalMs(4095), 40950);
});

Deno.test("skewTimeMs(): higher priority, shorter skew (higher priority wins a race)", () => {
  for (let p = 1; p < 255; p++) {
    assert.ok(skewTimeMs(2, p + 1, 100) < skewTimeMs(2, p, 100));
    assert.ok(skewTimeMs(3, p + 1, 10) < skewTimeMs(3, p, 10));
  }
});
