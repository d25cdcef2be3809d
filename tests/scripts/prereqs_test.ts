import assert from "node:assert/strict";
import { DEMO_TOOLS, hasCommand, missingPackages } from "../../scripts/prereqs.ts";

Deno.test("missingPackages() names each package once, for the commands that are missing", () => {
  const has = (c: string) => c === "ip";
  assert.deepEqual(missingPackages(DEMO_TOOLS, has), ["arping", "iputils-ping", "nftables"]);
  assert.deepEqual(missingPackages({ a: "p", b: "p", c: "q" }, () => false), ["p", "q"]);
  assert.deepEqual(missingPackages(DEMO_TOOLS, () => true), []);
});

Deno.test("hasCommand() finds sh and not a made-up name", () => {
  assert.equal(hasCommand("sh"), true);
  assert.equal(hasCommand("vrrp-no-such-command-x"), false);
});
