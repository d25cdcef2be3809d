import assert from "node:assert/strict";
import fc from "fast-check";
import {
  effectivePriority,
  fileAdjustment,
  interfaceAdjustment,
  resolveWeight,
  scriptAdjustment,
  stepHysteresis,
} from "../../lib/track/priority.ts";

Deno.test("effectivePriority() adds the contributions and names them", () => {
  assert.deepEqual(
    effectivePriority(100, [
      { source: "script chk_nginx", delta: -20 },
      { source: "interface eth1", delta: 0 },
      { source: "file /run/w", delta: 5 },
    ], []),
    { priority: 85, adjustments: ["script chk_nginx -20", "file /run/w +5"], fault: false },
  );
});

Deno.test("effectivePriority() clamps to 1..254 and never adjusts an owner's 255", () => {
  assert.equal(effectivePriority(100, [{ source: "s", delta: -200 }], []).priority, 1);
  assert.equal(effectivePriority(250, [{ source: "s", delta: 50 }], []).priority, 254);
  assert.deepEqual(effectivePriority(255, [{ source: "s", delta: -50 }], []), {
    priority: 255,
    adjustments: [],
    fault: false,
  });
  assert.equal(effectivePriority(255, [], ["interface eth0"]).fault, true);
  fc.assert(fc.property(
    fc.integer({ min: 1, max: 254 }),
    fc.array(fc.integer({ min: -254, max: 254 })),
    (base, deltas) => {
      const p = effectivePriority(base, deltas.map((d) => ({ source: "x", delta: d })), []);
      return p.priority >= 1 && p.priority <= 254;
    },
  ));
});

Deno.test("scriptAdjustment() follows keepalived's weight semantics", () => {
  // weight > 0: added while OK
  assert.deepEqual(scriptAdjustment(10, false, true), { delta: 10, fault: false });
  assert.deepEqual(scriptAdjustment(10, false, false), { delta: 0, fault: false });
  // weight < 0: added while failing
  assert.deepEqual(scriptAdjustment(-20, false, true), { delta: 0, fault: false });
  assert.deepEqual(scriptAdjustment(-20, false, false), { delta: -20, fault: false });
  // weight 0: failing means FAULT
  assert.deepEqual(scriptAdjustment(0, false, false), { delta: 0, fault: true });
  assert.deepEqual(scriptAdjustment(0, false, true), { delta: 0, fault: false });
  // reverse flips the sign, same condition
  assert.deepEqual(scriptAdjustment(10, true, true), { delta: -10, fault: false });
  assert.deepEqual(scriptAdjustment(-20, true, false), { delta: 20, fault: false });
});

Deno.test("interfaceAdjustment() without a weight means FAULT while down", () => {
  assert.deepEqual(interfaceAdjustment(undefined, false, false), { delta: 0, fault: true });
  assert.deepEqual(interfaceAdjustment(undefined, false, true), { delta: 0, fault: false });
  assert.deepEqual(interfaceAdjustment(-5, false, false), { delta: -5, fault: false });
});

Deno.test("fileAdjustment() multiplies the value by the weight", () => {
  assert.deepEqual(fileAdjustment(3, -5, false), { delta: -15, fault: false });
  assert.deepEqual(fileAdjustment(3, -5, true), { delta: 15, fault: false });
  assert.deepEqual(fileAdjustment(0, 0, false), { delta: 0, fault: false });
  assert.deepEqual(fileAdjustment(1, 0, false), { delta: 0, fault: true });
  assert.deepEqual(fileAdjustment(-254, 1, false), { delta: 0, fault: true });
});

Deno.test("resolveWeight() lets the instance's weight override the object's", () => {
  assert.deepEqual(resolveWeight({}, -20, false), { weight: -20, reverse: false });
  assert.deepEqual(resolveWeight({ weight: 5 }, -20, true), { weight: 5, reverse: false });
  assert.deepEqual(resolveWeight({ weight: 5, reverse: true }, -20, false), {
    weight: 5,
    reverse: true,
  });
});

Deno.test("stepHysteresis() flips after rise successes or fall failures in a row", () => {
  let s = { ok: true, streak: 0 };
  s = stepHysteresis(s, false, 2, 3);
  s = stepHysteresis(s, false, 2, 3);
  assert.equal(s.ok, true);
  s = stepHysteresis(s, true, 2, 3); // a success resets the run of failures
  s = stepHysteresis(s, false, 2, 3);
  s = stepHysteresis(s, false, 2, 3);
  assert.equal(s.ok, true);
  s = stepHysteresis(s, false, 2, 3);
  assert.deepEqual(s, { ok: false, streak: 0 });
  s = stepHysteresis(s, true, 2, 3);
  assert.equal(s.ok, false);
  s = stepHysteresis(s, true, 2, 3);
  assert.deepEqual(s, { ok: true, streak: 0 });
});
