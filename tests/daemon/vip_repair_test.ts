/**
 * VIPs repaired when something else removes them: the daemon follows the host's addresses
 * (rtnetlink in the real daemon, an announcing fake here), puts a master's removed VIP back,
 * reports a VIP that appears on a backup, and answers status from that live view.
 */
import assert from "node:assert/strict";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { VrrpVersion } from "../../lib/vrrp/constants.ts";
import { received } from "../_support/adverts.ts";
import { AddressWatchingHost, bootDaemon } from "./fakes.ts";

const CONF = `vrrp_instance vi1 {
  interface eth0
  virtual_router_id 1
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.1/24
    10.0.0.2/24
  }
}
`;

async function masterDaemon() {
  const host = new AddressWatchingHost();
  const boot = await bootDaemon(host, CONF);
  await host.advance(masterDownIntervalMs(VrrpVersion.v2, 100, 100));
  const inst = boot.daemon.instances.get("vi1")!;
  assert.equal(inst.role, "master");
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2"]);
  return { host, ...boot, inst };
}

Deno.test("a VIP removed from a master by something else is added back, logged, counted, announced", async () => {
  const { host, daemon, lines, inst } = await masterDaemon();
  const ipRuns = host.ipLog.length;
  const frames = host.frames.length;
  host.remove("eth0", "10.0.0.2");
  await host.advance(0);
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2"]);
  assert.deepEqual(host.ipLog.slice(ipRuns), ["add 10.0.0.1,10.0.0.2 eth0"]);
  assert.equal(inst.counters().vipRepairs, 1);
  assert.ok(lines.some((l) => /VIP 10\.0\.0\.2 was removed from eth0 by something else/.test(l)));
  assert.ok(host.frames.length > frames, "gratuitous ARP after the repair");
  await daemon.shutdown();
});

Deno.test("an IPv6 VIP removed from a VRRPv3 master is added back, counted, announced by NA; status reads it live", async () => {
  const host = new AddressWatchingHost();
  host.linkLocal.set("eth0", "fe80::a:1");
  const { daemon, lines } = await bootDaemon(
    host,
    "global_defs {\n  vrrp_version 3\n}\n" +
      CONF.replace("10.0.0.1/24\n    10.0.0.2/24", "fd00:101::151/64\n    fd00:101::152/64"),
  );
  await host.advance(masterDownIntervalMs(VrrpVersion.v3, 100, 100) + 1);
  const inst = daemon.instances.get("vi1")!;
  assert.equal(inst.role, "master");
  assert.deepEqual(host.vipsOn(), ["fd00:101::151", "fd00:101::152"]);
  const nas = inst.counters().neighbourAdvertsSent;
  const ipRuns = host.ipLog.length;
  host.remove("eth0", "fd00:101::152");
  // the view is live: status shows it missing before the repair ran, with no listing
  const listings = host.listings;
  host.presentCalls = 0;
  const st = daemon.snapshot("vi1");
  assert.ok(st.ok);
  assert.deepEqual(st.instances[0].vips.map((v) => [v.address, v.present]), [
    ["fd00:101::151", true],
    ["fd00:101::152", false],
  ]);
  await host.advance(0);
  assert.deepEqual(host.vipsOn(), ["fd00:101::151", "fd00:101::152"]);
  assert.deepEqual(host.ipLog.slice(ipRuns), ["add fd00:101::151,fd00:101::152 eth0"]);
  assert.equal(inst.counters().vipRepairs, 1);
  assert.ok(lines.some((l) => /VIP fd00:101::152 was removed from eth0 by something else/.test(l)));
  assert.ok(inst.counters().neighbourAdvertsSent > nas, "neighbour advertisements after it");
  const after = await daemon.status("vi1");
  assert.ok(after.ok);
  assert.ok(after.instances[0].vips.every((v) => v.present));
  assert.equal(host.listings, listings);
  assert.equal(host.presentCalls, 0);
  await daemon.shutdown();
});

Deno.test("a flush of every VIP is one repair run; each VIP is counted", async () => {
  const { host, daemon, inst } = await masterDaemon();
  const ipRuns = host.ipLog.length;
  host.remove("eth0", "10.0.0.1");
  host.remove("eth0", "10.0.0.2");
  await host.advance(0);
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2"]);
  assert.equal(host.ipLog.length - ipRuns, 1);
  assert.equal(inst.counters().vipRepairs, 2);
  await daemon.shutdown();
});

Deno.test("changes the kernel lost are found by a fresh dump and repaired", async () => {
  const { host, daemon, inst } = await masterDaemon();
  host.remove("eth0", "10.0.0.1", true);
  await host.advance(0);
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2"]);
  assert.equal(inst.counters().vipRepairs, 1);
  await daemon.shutdown();
});

Deno.test("stepping down removes the VIPs without repairing them; a VIP that appears on a backup is reported", async () => {
  const { host, daemon, lines, inst } = await masterDaemon();
  // a higher-priority master: we step down and remove our VIPs
  host.deliver(
    "eth0",
    received({
      version: 2,
      vrid: 1,
      priority: 200,
      advertIntervalCs: 100,
      authType: 0,
      authData: authDataFromPassword(""),
      addresses: ["10.0.0.1", "10.0.0.2"],
    }, { source: "10.101.1.186" }),
  );
  await host.advance(10);
  assert.equal(inst.role, "backup");
  assert.deepEqual(host.vipsOn(), []);
  assert.equal(inst.counters().vipRepairs, 0);
  host.add("eth0", "10.0.0.1");
  await host.advance(0);
  assert.equal(inst.counters().vipsFoundOnBackup, 1);
  assert.ok(lines.some((l) => /VIP 10\.0\.0\.1 appeared on eth0 while backup/.test(l)));
  assert.deepEqual(host.vipsOn(), ["10.0.0.1"], "reported, left alone");
  await daemon.shutdown();
});

Deno.test("status reads VIP presence from the live view: no listing per request", async () => {
  const { host, daemon } = await masterDaemon();
  const listings = host.listings;
  host.presentCalls = 0;
  host.addresses.get("eth0")!.delete("10.0.0.2"); // unannounced: the view does not know
  const st = await daemon.status("vi1");
  assert.ok(st.ok);
  assert.deepEqual(st.instances[0].vips.map((v) => v.present), [true, true]);
  host.remove("eth0", "10.0.0.1"); // announced: seen (and repaired)
  const snap = daemon.snapshot("vi1");
  assert.ok(snap.ok);
  assert.deepEqual(snap.instances[0].vips.map((v) => v.present), [false, true]);
  assert.equal(host.presentCalls, 0);
  assert.equal(host.listings, listings);
  await daemon.shutdown();
});
