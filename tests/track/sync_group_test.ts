import assert from "node:assert/strict";
import { syncGroupPlan, type SyncMember } from "../../lib/track/sync_group.ts";

const members = (...m: [string, SyncMember["state"], boolean?][]): SyncMember[] =>
  m.map(([name, state, ownFault]) => ({ name, state, ownFault: ownFault ?? false }));

Deno.test("syncGroupPlan() pulls every member into fault when one faults", () => {
  assert.deepEqual(
    syncGroupPlan("g", members(["a", "master"], ["b", "master"], ["c", "fault"]), {
      name: "a",
      to: "fault",
    }),
    [{ name: "b", to: "fault", reason: "syncGroup g: a entered fault" }],
  );
});

Deno.test("syncGroupPlan() makes the others follow to backup and to master", () => {
  assert.deepEqual(
    syncGroupPlan("g", members(["a", "master"], ["b", "master"]), { name: "a", to: "backup" }),
    [{ name: "b", to: "backup", reason: "syncGroup g: a entered backup" }],
  );
  assert.deepEqual(
    syncGroupPlan("g", members(["a", "backup"], ["b", "backup"], ["c", "master"]), {
      name: "a",
      to: "master",
    }),
    [{ name: "b", to: "master", reason: "syncGroup g: a entered master" }],
  );
});

Deno.test("syncGroupPlan() keeps the group in fault while a member's own tracking fails", () => {
  assert.deepEqual(
    syncGroupPlan("g", members(["a", "fault"], ["b", "fault", true]), { name: "a", to: "backup" }),
    [{ name: "a", to: "fault", reason: "syncGroup g: b is in fault" }],
  );
  // once nobody is faulty of its own, recovering members pull the rest out of fault
  assert.deepEqual(
    syncGroupPlan("g", members(["a", "fault"], ["b", "fault"]), { name: "a", to: "backup" }),
    [{ name: "b", to: "backup", reason: "syncGroup g: a entered backup" }],
  );
});
