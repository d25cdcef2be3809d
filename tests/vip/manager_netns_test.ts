/** VipManager with the real `ip`, inside a throwaway namespace. */

import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab } from "../netns/lab.ts";
import type { VipConfig } from "../../config/model.ts";
import { netnsRunner } from "../../lib/vip/command.ts";
import { VipManager } from "../../lib/vip/manager.ts";

const NEEDS = { root: true, commands: ["ip", "nft"] };

testWith(
  "VipManager with real ip: add, re-add, remove, re-remove; other addresses untouched",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: true });
    await lab.must("a", ["ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1p"]);
    await lab.must("a", ["ip", "link", "set", "eth1", "up"]);
    // an address we do not manage, on the same interface and in the same subnet as a VIP
    await lab.must("a", ["ip", "addr", "add", "10.101.0.99/22", "dev", "eth0"]);
    const logs: string[] = [];
    const m = new VipManager({
      run: netnsRunner(lab.ns("a")),
      retryDelayMs: 10,
      log: (s) => logs.push(s),
    });
    const vips: VipConfig[] = [
      { address: "10.101.0.10", prefixLen: 32 },
      {
        address: "10.102.0.20",
        prefixLen: 24,
        dev: "eth1",
        label: "eth1:vip",
        brd: "10.102.0.255",
        scope: "global",
      },
    ];
    assert.deepEqual(await m.present(vips, "eth0"), [false, false]);
    assert.deepEqual(await m.add(vips, "eth0"), {
      ok: true,
      changed: ["10.101.0.10/32 dev eth0", "10.102.0.20/24 dev eth1"],
    });
    assert.deepEqual(await m.present(vips, "eth0"), [true, true]);
    assert.deepEqual((await lab.addresses("a", "eth0")).sort(), [
      "10.101.0.10",
      "10.101.0.99",
      "10.101.1.185",
    ]);
    const eth1 = await lab.addressInfo("a", "eth1");
    assert.equal(eth1.length, 1);
    assert.equal(eth1[0].label, "eth1:vip");
    assert.equal(eth1[0].broadcast, "10.102.0.255");
    // the client reaches the VIP through router a
    assert.equal(await lab.arpProbe("c", "10.101.0.10"), await lab.mac("a"));

    assert.deepEqual(await m.add(vips, "eth0"), { ok: true, changed: [] }, "add is idempotent");
    assert.deepEqual((await lab.addresses("a", "eth0")).sort(), [
      "10.101.0.10",
      "10.101.0.99",
      "10.101.1.185",
    ]);

    assert.deepEqual(await m.remove(vips, "eth0"), {
      ok: true,
      changed: ["10.101.0.10/32 dev eth0", "10.102.0.20/24 dev eth1"],
    });
    assert.deepEqual(
      await m.remove(vips, "eth0"),
      { ok: true, changed: [] },
      "remove is idempotent",
    );
    assert.deepEqual((await lab.addresses("a", "eth0")).sort(), ["10.101.0.99", "10.101.1.185"]);
    assert.deepEqual(await lab.addresses("a", "eth1"), []);
    assert.deepEqual(logs, [], "no failure was logged");
  },
);

testWith(
  "VipManager.reconcile() removes VIPs a crashed run left behind, only those",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: false });
    await lab.must("a", ["ip", "addr", "add", "10.101.0.10/32", "dev", "eth0"]);
    await lab.must("a", ["ip", "addr", "add", "10.101.0.11/32", "dev", "eth0"]);
    const m = new VipManager({ run: netnsRunner(lab.ns("a")), log: () => {} });
    const r = await m.reconcile([{ address: "10.101.0.10", prefixLen: 32 }, {
      address: "10.101.0.12",
      prefixLen: 32,
    }], "eth0");
    assert.deepEqual(r, { ok: true, changed: ["10.101.0.10/32 dev eth0"] });
    assert.deepEqual((await lab.addresses("a")).sort(), ["10.101.0.11", "10.101.1.185"]);
  },
);

testWith(
  "VipManager: a nonexistent dev yields ok:false with ip's stderr after 3 tries",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: false });
    const logs: string[] = [];
    const m = new VipManager({
      run: netnsRunner(lab.ns("a")),
      retryDelayMs: 10,
      log: (s) => logs.push(s),
    });
    const r = await m.add(
      [{ address: "10.101.0.10", prefixLen: 32 }, {
        address: "10.101.0.11",
        prefixLen: 32,
        dev: "nope0",
      }],
      "eth0",
    );
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.equal(r.attempts, 3);
    assert.match(r.stderr, /Cannot find device "nope0"/);
    assert.match(r.error, /10\.101\.0\.11\/32 dev nope0/);
    assert.equal(logs.length, 3);
    assert.match(logs[0], /nope0/);
  },
);

testWith("VipManager.add() fixes a VIP present with another label", NEEDS, async () => {
  await using lab = await Lab.create({ routers: ["a"], client: false });
  await lab.must("a", ["ip", "addr", "add", "10.101.0.10/32", "dev", "eth0", "label", "eth0:old"]);
  const m = new VipManager({ run: netnsRunner(lab.ns("a")), log: () => {} });
  const vip: VipConfig = { address: "10.101.0.10", prefixLen: 32, label: "eth0:new" };
  assert.deepEqual(await m.present([vip], "eth0"), [true]);
  assert.deepEqual(await m.add([vip], "eth0"), { ok: true, changed: ["10.101.0.10/32 dev eth0"] });
  const info = (await lab.addressInfo("a")).find((a) => a.local === "10.101.0.10");
  assert.equal(info?.label, "eth0:new");
});
