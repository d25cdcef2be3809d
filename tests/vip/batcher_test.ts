/** VipBatcher: changes of many instances coalesced into shared `ip -batch` runs (no root). */

import assert from "node:assert/strict";
import type { VipConfig } from "../../config/model.ts";
import type { CommandOutput, CommandRunner } from "../../lib/vip/command.ts";
import { VipBatcher } from "../../lib/vip/batcher.ts";

/** A fake `ip`: `-batch` edits an address table, `-j addr show` prints it; optional gate. */
function fakeIp(devs = ["eth0"]) {
  const table = new Map<string, { local: string; prefixlen: number }[]>();
  for (const d of devs) table.set(d, []);
  const batches: string[][] = [];
  let shows = 0;
  let gate: Promise<void> | null = null;
  const run: CommandRunner = async (argv, stdin): Promise<CommandOutput> => {
    if (gate) await gate;
    if (argv[1] === "-j") {
      shows++;
      const dev = argv[argv.length - 1];
      const addrs = table.get(dev);
      if (!addrs) return { code: 1, stdout: "", stderr: `Device "${dev}" does not exist.\n` };
      const json = JSON.stringify([{
        ifname: dev,
        addr_info: addrs.map((a) => ({ family: "inet", ...a })),
      }]);
      return { code: 0, stdout: json, stderr: "" };
    }
    const lines = (stdin ?? "").trim().split("\n");
    batches.push(lines);
    let stderr = "";
    lines.forEach((line, i) => {
      const w = line.split(" ");
      const [address, prefix] = w[2].split("/");
      const addrs = table.get(w[w.indexOf("dev") + 1]);
      if (!addrs) {
        stderr += `Cannot find device "${w[w.indexOf("dev") + 1]}"\nCommand failed -:${i + 1}\n`;
        return;
      }
      const at = addrs.findIndex((a) => a.local === address && a.prefixlen === Number(prefix));
      if (w[1] === "replace") {
        if (at < 0) addrs.push({ local: address, prefixlen: Number(prefix) });
      } else if (at >= 0) addrs.splice(at, 1);
      else stderr += `Error: ipv4: Address not found.\nCommand failed -:${i + 1}\n`;
    });
    return { code: stderr ? 1 : 0, stdout: "", stderr };
  };
  return {
    run,
    table,
    batches,
    shows: () => shows,
    setGate: (g: Promise<void> | null) => (gate = g),
  };
}

const vip = (address: string, dev?: string): VipConfig => ({ address, prefixLen: 32, dev });
const quiet = { log: () => {} };

Deno.test("VipBatcher: requests made together share one ip -batch and two read-backs", async () => {
  const ip = fakeIp();
  const b = new VipBatcher({ run: ip.run, ...quiet });
  const results = await Promise.all([
    b.add([vip("10.0.0.1"), vip("10.0.0.2")], "eth0"),
    b.add([vip("10.0.0.3")], "eth0"),
    b.add([vip("10.0.0.4")], "eth0"),
  ]);
  assert.deepEqual(results, [
    { ok: true, changed: ["10.0.0.1/32 dev eth0", "10.0.0.2/32 dev eth0"] },
    { ok: true, changed: ["10.0.0.3/32 dev eth0"] },
    { ok: true, changed: ["10.0.0.4/32 dev eth0"] },
  ]);
  assert.equal(ip.batches.length, 1);
  assert.equal(ip.shows(), 2, "one read before, one after");
  assert.equal(b.batches, 1);
  assert.deepEqual(ip.table.get("eth0")!.map((a) => a.local), [
    "10.0.0.1",
    "10.0.0.2",
    "10.0.0.3",
    "10.0.0.4",
  ]);
});

Deno.test("VipBatcher: a given reader replaces the `ip -j addr show` processes", async () => {
  const ip = fakeIp();
  const reads: string[][] = [];
  const b = new VipBatcher({
    run: ip.run,
    ...quiet,
    read: (devs) => {
      reads.push([...devs]);
      const table = ip.table;
      return Promise.resolve(
        new Map([...devs].map((d) => [d, { addrs: (table.get(d) ?? []).map((a) => ({ ...a })) }])),
      );
    },
  });
  assert.deepEqual(await b.add([vip("10.0.0.1")], "eth0"), {
    ok: true,
    changed: ["10.0.0.1/32 dev eth0"],
  });
  assert.deepEqual(reads, [["eth0"], ["eth0"]], "read before and after");
  assert.equal(ip.shows(), 0, "no ip process for reading");
  assert.equal(ip.batches.length, 1, "the change itself still goes through ip -batch");
  // the read-back still catches an add that did not stick
  ip.table.set("eth0", []);
  const lost = new VipBatcher({
    run: () => Promise.resolve({ code: 0, stdout: "", stderr: "" }),
    ...quiet,
    read: (devs) => Promise.resolve(new Map([...devs].map((d) => [d, { addrs: [] }]))),
  });
  const r = await lost.add([vip("10.0.0.9")], "eth0");
  assert.equal(r.ok, false);
  assert.match(r.ok ? "" : r.error, /10\.0\.0\.9\/32 dev eth0 missing after add/);
});

Deno.test("VipBatcher: requests arriving while a batch runs are merged into the next one", async () => {
  const ip = fakeIp();
  const b = new VipBatcher({ run: ip.run, ...quiet });
  let open!: () => void;
  ip.setGate(new Promise<void>((r) => (open = r)));
  const first = b.add([vip("10.0.0.1")], "eth0");
  await new Promise((r) => setTimeout(r, 5)); // the first batch has started and waits
  const later = [2, 3, 4, 5].map((n) => b.add([vip(`10.0.0.${n}`)], "eth0"));
  ip.setGate(null);
  open();
  const all = await Promise.all([first, ...later]);
  assert.ok(all.every((r) => r.ok));
  assert.deepEqual(ip.batches, [
    ["addr replace 10.0.0.1/32 dev eth0"],
    [2, 3, 4, 5].map((n) => `addr replace 10.0.0.${n}/32 dev eth0`),
  ]);
});

Deno.test("VipBatcher: an add and a later remove of the same VIP keep their order", async () => {
  const ip = fakeIp();
  const b = new VipBatcher({ run: ip.run, ...quiet });
  const [add, del] = await Promise.all([
    b.add([vip("10.0.0.1")], "eth0"),
    b.remove([vip("10.0.0.1")], "eth0"),
  ]);
  assert.equal(add.ok, false, "the add is undone by the remove in the same batch");
  assert.equal(del.ok, true);
  assert.deepEqual(ip.batches, [[
    "addr replace 10.0.0.1/32 dev eth0",
    "addr del 10.0.0.1/32 dev eth0",
  ]]);
  assert.deepEqual(ip.table.get("eth0"), []);
});

Deno.test("VipBatcher: a failing line fails only its own request, with only its error", async () => {
  const ip = fakeIp(["eth0"]);
  const logged: string[] = [];
  const b = new VipBatcher({ run: ip.run, log: (m) => logged.push(m) });
  const [good, bad, gone] = await Promise.all([
    b.add([vip("10.0.0.1")], "eth0"),
    b.add([vip("10.0.0.2", "eth9")], "eth0"),
    b.remove([vip("10.0.0.3")], "eth0"), // already absent: success
  ]);
  assert.deepEqual(good, { ok: true, changed: ["10.0.0.1/32 dev eth0"] });
  assert.deepEqual(gone, { ok: true, changed: [] });
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.error.includes("addr replace 10.0.0.2/32 dev eth9"), String(bad));
  assert.ok(!bad.ok && bad.stderr === 'Cannot find device "eth9"', JSON.stringify(bad));
  assert.equal(logged.length, 1);
  assert.equal(ip.batches.length, 1);
});

Deno.test("VipBatcher: nothing to do runs nothing", async () => {
  const ip = fakeIp();
  const b = new VipBatcher({ run: ip.run, ...quiet });
  assert.deepEqual(await b.add([], "eth0"), { ok: true, changed: [] });
  assert.equal(ip.batches.length + ip.shows(), 0);
});
