import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab, namespacesWithPrefix } from "./lab.ts";

const NEEDS = { root: true, commands: ["ip", "nft", "arping"] };

testWith(
  "Lab: routers and client get the tutorial addresses and see each other",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a", "b"] });
    assert.match(lab.prefix, /^vt[0-9a-f]{6}-$/);
    assert.deepEqual(
      (await namespacesWithPrefix(lab.prefix)).sort(),
      ["a", "b", "c", "sw"].map((n) => lab.ns(n)).sort(),
    );
    assert.deepEqual(await lab.addresses("a"), ["10.101.1.185"]);
    assert.deepEqual(await lab.addresses("b"), ["10.101.1.186"]);
    assert.deepEqual(await lab.addresses("c"), ["10.101.1.200"]);
    assert.equal((await lab.addressInfo("a"))[0].prefixlen, 22);
    assert.ok(await lab.ping("c", "10.101.1.185"));
    assert.equal(await lab.arpProbe("c", "10.101.1.186"), await lab.mac("b"));
    assert.equal(await lab.arpProbe("c", "10.101.1.250"), null, "nobody answers");
    const r = await lab.exec("a", ["ip", "-br", "link", "show", "lo"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /UNKNOWN|UP/);
    const argv = lab.denoCmd();
    assert.equal(argv[0], Deno.execPath());
    assert.match(argv[argv.length - 1], /\/main\.ts$/);
  },
);

testWith("Lab: destroy() removes every namespace even when the body throws", NEEDS, async () => {
  let prefix = "";
  await assert.rejects(async () => {
    await using lab = await Lab.create({ routers: ["a"], client: false });
    prefix = lab.prefix;
    assert.equal((await namespacesWithPrefix(prefix)).length, 2);
    throw new Error("test body failed");
  }, /test body failed/);
  assert.deepEqual(await namespacesWithPrefix(prefix), []);
});

testWith("Lab: destroy() kills spawned processes and is idempotent", NEEDS, async () => {
  const lab = await Lab.create({ routers: ["a"], client: false });
  try {
    const p = lab.spawn("a", ["sh", "-c", "echo ready; trap '' TERM; sleep 60"]);
    await p.waitFor(/ready/);
    assert.equal(p.stdout(), "ready\n");
    // the process really runs inside the namespace: ip netns identify knows it
    const id = await lab.exec("a", ["ip", "netns", "identify", String(p.pid)]);
    assert.equal(id.stdout.trim(), lab.ns("a"));
    const t0 = performance.now();
    await lab.destroy(200);
    const st = await p.status;
    assert.equal(st.signal, "SIGKILL", "TERM is ignored, so it was killed after the grace period");
    assert.ok(performance.now() - t0 < 5000);
    await lab.destroy();
    assert.deepEqual(await namespacesWithPrefix(lab.prefix), []);
  } finally {
    await lab.destroy();
  }
});

testWith("Lab: linkDown/linkUp take the router's carrier away and back", NEEDS, async () => {
  await using lab = await Lab.create({ routers: ["a"] });
  const flags = async () =>
    JSON.parse(await lab.must("a", ["ip", "-j", "link", "show", "eth0"]))[0].flags as string[];
  await lab.linkDown("a");
  assert.ok((await flags()).includes("NO-CARRIER"));
  assert.ok((await flags()).includes("UP"), "eth0 itself stays administratively up");
  assert.equal(await lab.ping("c", lab.ip("a")), false);
  await lab.linkUp("a");
  assert.ok(!(await flags()).includes("NO-CARRIER"));
  await lab.linkDown("a", "router");
  assert.ok(!(await flags()).includes("UP"));
  await lab.linkUp("a", "router");
  // carrier may take a moment to come back
  let ok = false;
  for (let i = 0; i < 20 && !ok; i++) ok = await lab.ping("c", lab.ip("a"));
  assert.ok(ok);
});

testWith(
  "Lab: cut() isolates a router while every link stays up; heal() restores it",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a", "b"] });
    await lab.cut("a");
    assert.equal(await lab.ping("c", lab.ip("a")), false);
    assert.equal(await lab.ping("b", lab.ip("a")), false);
    assert.ok(await lab.ping("c", lab.ip("b")), "others still talk");
    const link = JSON.parse(await lab.must("a", ["ip", "-j", "link", "show", "eth0"]))[0];
    assert.equal(link.operstate, "UP");
    await lab.heal("a");
    await lab.heal("a"); // idempotent
    // the client's neighbour entry for a went FAILED during the cut: allow a few re-resolutions
    let ok = false;
    for (let i = 0; i < 5 && !ok; i++) ok = await lab.ping("c", lab.ip("a"));
    assert.ok(ok, "a answers again after heal()");
  },
);

Deno.test("Lab.create() rejects bad router names before touching the host", async () => {
  await assert.rejects(() => Lab.create({ routers: ["A"] }), /bad router name/);
  await assert.rejects(() => Lab.create({ routers: ["sw"] }), /bad router name/);
  await assert.rejects(() => Lab.create({ routers: ["a", "a"] }), /duplicate/);
});
