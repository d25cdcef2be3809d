import assert from "node:assert/strict";
import { privilegeProblem } from "../../lib/cli/run.ts";

const status = (capEff: string) => `Name:\tdeno\nCapInh:\t0000000000000000\nCapEff:\t${capEff}\n`;

Deno.test("privilegeProblem() accepts CAP_NET_RAW + CAP_NET_ADMIN, whatever the uid", () => {
  assert.equal(privilegeProblem(0, status("000001ffffffffff")), null);
  // bits 12 and 13 only
  assert.equal(privilegeProblem(1000, status("0000000000003000")), null);
});

Deno.test("privilegeProblem() names the missing capabilities and the uid", () => {
  assert.equal(
    privilegeProblem(1000, status("0000000000000000")),
    "vrrp run needs root (or CAP_NET_RAW and CAP_NET_ADMIN); running as uid 1000",
  );
  assert.equal(
    privilegeProblem(0, status("0000000000001000")),
    "vrrp run needs root (or CAP_NET_RAW); running as uid 0",
  );
});

Deno.test("privilegeProblem() falls back to the uid without /proc", () => {
  assert.equal(privilegeProblem(0, null), null);
  assert.match(privilegeProblem(1000, null)!, /needs root/);
});
