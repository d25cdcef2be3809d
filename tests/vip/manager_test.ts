/** VipManager logic against a scripted command runner (no root needed). */

import assert from "node:assert/strict";
import type { VipConfig } from "../../config/model.ts";
import type { CommandOutput, CommandRunner } from "../../lib/vip/command.ts";
import { VipManager } from "../../lib/vip/manager.ts";

/** A fake host: `ip -batch` edits an address table; `ip -j addr show` prints it. */
function fakeIp(opts: { failBatches?: number; devs?: string[] } = {}) {
  const table = new Map<string, { local: string; prefixlen: number; label: string }[]>();
  for (const d of opts.devs ?? ["eth0"]) table.set(d, []);
  let failBatches = opts.failBatches ?? 0;
  const calls: string[][] = [];
  const run: CommandRunner = (argv, stdin): Promise<CommandOutput> => {
    calls.push(argv);
    if (argv[1] === "-j") {
      const dev = argv[argv.length - 1];
      const addrs = table.get(dev);
      if (!addrs) {
        return Promise.resolve({
          code: 1,
          stdout: "",
          stderr: `Device "${dev}" does not exist.\n`,
        });
      }
      const json = JSON.stringify([{
        ifname: dev,
        addr_info: addrs.map((a) => ({ family: "inet", ...a })),
      }]);
      return Promise.resolve({ code: 0, stdout: json, stderr: "" });
    }
    if (failBatches > 0) {
      failBatches--;
      return Promise.resolve({
        code: 1,
        stdout: "",
        stderr: "RTNETLINK answers: Resource busy\nCommand failed -:1\n",
      });
    }
    let stderr = "";
    (stdin ?? "").trim().split("\n").forEach((line, i) => {
      const w = line.split(" ");
      const [address, prefix] = w[2].split("/");
      const dev = w[w.indexOf("dev") + 1];
      const addrs = table.get(dev);
      if (!addrs) {
        stderr += `Cannot find device "${dev}"\nCommand failed -:${i + 1}\n`;
        return;
      }
      const at = addrs.findIndex((a) => a.local === address && a.prefixlen === Number(prefix));
      if (w[1] === "replace") {
        const label = w.includes("label") ? w[w.indexOf("label") + 1] : dev;
        if (at >= 0) addrs[at].label = label;
        else addrs.push({ local: address, prefixlen: Number(prefix), label });
      } else if (at >= 0) addrs.splice(at, 1);
      else stderr += `Error: ipv4: Address not found.\nCommand failed -:${i + 1}\n`;
    });
    return Promise.resolve({ code: stderr ? 1 : 0, stdout: "", stderr });
  };
  return { run, table, calls };
}

const VIPS: VipConfig[] = [
  { address: "10.101.0.10", prefixLen: 32 },
  { address: "10.101.0.11", prefixLen: 24, dev: "eth1", label: "eth1:v" },
];

Deno.test("VipManager.add() then add again: one batch each, second changes nothing", async () => {
  const ip = fakeIp({ devs: ["eth0", "eth1"] });
  const m = new VipManager({ run: ip.run, log: () => {} });
  assert.deepEqual(await m.add(VIPS, "eth0"), {
    ok: true,
    changed: ["10.101.0.10/32 dev eth0", "10.101.0.11/24 dev eth1"],
  });
  assert.equal(ip.calls.filter((c) => c[1] === "-batch").length, 1);
  assert.deepEqual(await m.present(VIPS, "eth0"), [true, true]);
  assert.deepEqual(await m.add(VIPS, "eth0"), { ok: true, changed: [] });
  assert.deepEqual(await m.remove(VIPS, "eth0"), {
    ok: true,
    changed: ["10.101.0.10/32 dev eth0", "10.101.0.11/24 dev eth1"],
  });
  assert.deepEqual(
    await m.remove(VIPS, "eth0"),
    { ok: true, changed: [] },
    "already absent is success",
  );
  assert.deepEqual(await m.present(VIPS, "eth0"), [false, false]);
});

Deno.test("VipManager retries a failing batch and succeeds within the bound", async () => {
  const ip = fakeIp({ failBatches: 2 });
  const logs: string[] = [];
  const m = new VipManager({ run: ip.run, retries: 3, retryDelayMs: 1, log: (s) => logs.push(s) });
  assert.deepEqual(await m.add([VIPS[0]], "eth0"), {
    ok: true,
    changed: ["10.101.0.10/32 dev eth0"],
  });
  assert.equal(logs.length, 2);
  assert.match(logs[0], /try 1\/3.*Resource busy/);
});

Deno.test("VipManager gives up after `retries` tries with ip's stderr", async () => {
  const ip = fakeIp();
  const logs: string[] = [];
  const m = new VipManager({ run: ip.run, retries: 3, retryDelayMs: 1, log: (s) => logs.push(s) });
  const r = await m.add([{ address: "10.9.9.9", prefixLen: 32, dev: "nope0" }], "eth0");
  assert.equal(r.ok, false);
  if (r.ok) return;
  assert.equal(r.attempts, 3);
  assert.match(r.stderr, /Cannot find device "nope0"/);
  assert.match(r.error, /10\.9\.9\.9\/32 dev nope0/);
  assert.equal(logs.length, 3);
});

Deno.test("VipManager reports a VIP missing after a 'successful' add", async () => {
  const run: CommandRunner = (argv) =>
    Promise.resolve(
      argv[1] === "-j"
        ? { code: 0, stdout: '[{"ifname":"eth0","addr_info":[]}]', stderr: "" }
        : { code: 0, stdout: "", stderr: "" },
    );
  const m = new VipManager({ run, retries: 2, retryDelayMs: 1, log: () => {} });
  const r = await m.add([VIPS[0]], "eth0");
  assert.deepEqual(r, {
    ok: false,
    error: "10.101.0.10/32 dev eth0 missing after add",
    stderr: "",
    attempts: 2,
  });
});

Deno.test("VipManager with no VIPs runs nothing", async () => {
  const ip = fakeIp();
  const m = new VipManager({ run: ip.run });
  assert.deepEqual(await m.add([], "eth0"), { ok: true, changed: [] });
  assert.equal(ip.calls.length, 0);
});
