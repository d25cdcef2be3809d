import assert from "node:assert/strict";
import { parseConfigText } from "../../config/load.ts";
import { Daemon } from "../../lib/daemon/daemon.ts";
import { Logger } from "../../lib/daemon/logger.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";
import { authDataFromPassword, decodeAdvert } from "../../lib/vrrp/packet.ts";
import { received } from "../_support/adverts.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";
import { bootDaemon, FakeHost, flush } from "./fakes.ts";

interface Inst {
  name: string;
  vrid: number;
  priority: number;
  vips: string[];
  iface?: string;
  extra?: string;
}

function confText(instances: Inst[]): string {
  return instances.map((i) =>
    `vrrp_instance ${i.name} {
  interface ${i.iface ?? "eth0"}
  virtual_router_id ${i.vrid}
  priority ${i.priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
${i.vips.map((v) => `    ${v}/24`).join("\n")}
  }
${i.extra ?? ""}
}
`
  ).join("\n");
}

const VI1: Inst = { name: "vi1", vrid: 1, priority: 100, vips: ["10.0.0.1", "10.0.0.2"] };
const VI2: Inst = { name: "vi2", vrid: 2, priority: 99, vips: ["10.0.0.7"] };

function boot(host: FakeHost, instances: Inst[], next?: { text: string }) {
  return bootDaemon(host, confText(instances), next && (() => next.text));
}

function advert(vrid: number, priority: number, addresses: string[]): Advertisement {
  return {
    vrid,
    priority,
    version: 2,
    advertIntervalCs: 100,
    authType: 1,
    authData: authDataFromPassword("secret"),
    addresses,
  };
}

function sentPriorities(host: FakeHost, vrid: number): number[] {
  return host.adverts.map((a) => decodeAdvert(a.message, a.to)).filter((r) => r.ok)
    .map((r) => r.ok ? r.advert : null).filter((a) => a !== null && a.vrid === vrid)
    .map((a) => a!.priority);
}

Deno.test("Daemon.start() removes leftover VIPs first, then a lone backup becomes master after Master_Down_Interval", async () => {
  const host = new FakeHost();
  host.addresses.set("eth0", new Set(["10.0.0.1", "10.9.9.9"]));
  const { daemon, lines } = await boot(host, [VI1]);
  assert.equal(host.ipLog[0], "remove 10.0.0.1 eth0");
  assert.deepEqual(host.vipsOn(), ["10.9.9.9"], "an address we do not manage stays");
  assert.ok(lines.some((l) => /removed leftover VIPs 10\.0\.0\.1\/24/.test(l)));
  const inst = daemon.instances.get("vi1")!;
  assert.equal(inst.role, "backup");
  await host.advance(masterDownIntervalMs(2, 100, 100) - 1);
  assert.equal(inst.role, "backup");
  assert.equal(host.adverts.length, 0);
  await host.advance(1);
  assert.equal(inst.role, "master");
  assert.ok(
    lines.some((l) => l.includes("[vi1 vrid 1 eth0] backup -> master (masterDownIntervalElapsed)")),
  );
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2", "10.9.9.9"]);
  assert.deepEqual(sentPriorities(host, 1), [100]);
  // first burst once the VIPs are configured: garp_master_repeat (5) per VIP
  assert.equal(host.frames.length, 10);
  await host.advance(5000);
  assert.equal(host.frames.length, 20, "second burst after garp_master_delay");
  assert.equal(sentPriorities(host, 1).length, 6, "one advert per second");
  await daemon.shutdown();
});

Deno.test("Daemon.open() joins the groups and changes nothing; run() removes leftovers, then starts the instances", async () => {
  const host = new FakeHost();
  host.addresses.set("eth0", new Set(["10.0.0.1"]));
  const loaded = parseConfigText(confText([VI1]), "test.conf", "keepalived", { configId: "x" });
  const lines: string[] = [];
  const daemon = await Daemon.open(loaded.config, {
    effects: host,
    logger: new Logger({ level: "debug", format: "text", sink: (l) => lines.push(l) }),
    configFile: "test.conf",
    loadConfig: () => Promise.resolve(loaded),
    pid: 1,
  });
  assert.ok(host.receivers.has("eth0"), "the interface is open (its sockets joined)");
  // an advert heard before run() is for nobody yet: neither fed nor counted as a drop
  host.deliver("eth0", received(advert(1, 200, VI1.vips), { source: "10.101.1.186" }));
  await host.advance(10_000);
  assert.equal(daemon.instances.size, 0);
  assert.deepEqual(host.ipLog, [], "nothing changed on the host");
  assert.deepEqual(host.adverts, []);
  assert.deepEqual(daemon.interfaceDrops(), { eth0: {} });
  await daemon.run();
  assert.equal(host.ipLog[0], "remove 10.0.0.1 eth0");
  const inst = daemon.instances.get("vi1")!;
  assert.equal(inst.role, "backup");
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.equal(inst.role, "master");
  await daemon.shutdown();
});

Deno.test("Daemon.open() then shutdown() (a refused start) closes the interfaces and touches nothing", async () => {
  const host = new FakeHost();
  const loaded = parseConfigText(confText([VI1, VI2]), "test.conf", "keepalived", {
    configId: "x",
  });
  const daemon = await Daemon.open(loaded.config, {
    effects: host,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
    configFile: "test.conf",
    loadConfig: () => Promise.resolve(loaded),
    pid: 1,
  });
  await daemon.shutdown();
  assert.deepEqual(host.closed, ["eth0"]);
  assert.deepEqual(host.ipLog, []);
  assert.deepEqual(host.adverts, []);
});

Deno.test("Daemon: a higher-priority peer keeps us backup; other VRIDs are counted per interface", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, [VI1]);
  const inst = daemon.instances.get("vi1")!;
  for (let i = 0; i < 10; i++) {
    host.deliver("eth0", received(advert(1, 200, VI1.vips), { source: "10.101.1.186" }));
    host.deliver("eth0", received(advert(42, 100, ["10.0.5.5"]), { source: "10.101.1.9" }));
    await host.advance(1000);
  }
  assert.equal(inst.role, "backup");
  assert.deepEqual(host.vipsOn(), []);
  const st = inst.status();
  assert.equal(st.advertsReceived, 10);
  assert.equal(st.masterIp, "10.101.1.186");
  assert.deepEqual(daemon.interfaceDrops(), { eth0: { unknownVrid: 10 } });
  await daemon.shutdown();
});

Deno.test("Daemon: an advert already queued when Master_Down_Interval ends is heard first", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, [VI2]);
  const inst = daemon.instances.get("vi2")!;
  const peer = () => received(advert(2, 100, VI2.vips), { source: "10.101.1.186" });
  // the peer's advert reaches the socket 0.5 ms before our deadline, but the loop is slow
  await host.advance(masterDownIntervalMs(2, 100, 99) - 0.5);
  host.queue("eth0", peer());
  await host.advance(0.5);
  assert.equal(inst.role, "backup", "the queued advert reset Master_Down_Timer");
  assert.equal(inst.status().advertsReceived, 1);
  assert.deepEqual(host.adverts, [], "no advert of ours: we never claimed master");
  assert.deepEqual(host.vipsOn(), []);
  // nothing queued at the next deadline: the peer is gone, we take over
  await host.advance(masterDownIntervalMs(2, 100, 99));
  assert.equal(inst.role, "master");
  await daemon.shutdown();
});

Deno.test("Daemon counts codec drops per instance when the VRID matches, and logs them rate-limited", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await boot(host, [VI1]);
  for (let i = 0; i < 5; i++) {
    host.deliver(
      "eth0",
      received(advert(1, 200, VI1.vips), { source: "10.1.1.2", ttl: 254 }),
    );
  }
  host.deliver(
    "eth0",
    received(advert(7, 200, ["10.0.0.9"]), { source: "10.1.1.2", ttl: 1 }),
  );
  await flush();
  assert.deepEqual(daemon.instances.get("vi1")!.status().drops, { badTtl: 5 });
  assert.deepEqual(daemon.interfaceDrops(), { eth0: { badTtl: 1 } });
  assert.equal(
    lines.filter((l) => l.includes("[vi1 vrid 1 eth0] dropped packet: badTtl")).length,
    1,
  );
  await daemon.shutdown();
});

Deno.test("Daemon.shutdown(): a master sends a priority-0 advert and removes its VIPs", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, [VI1, VI2]);
  await host.advance(masterDownIntervalMs(2, 100, 99) + 10);
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2", "10.0.0.7"]);
  await daemon.shutdown();
  assert.deepEqual(sentPriorities(host, 1).at(-1), 0);
  assert.deepEqual(sentPriorities(host, 2).at(-1), 0);
  assert.deepEqual(host.vipsOn(), []);
  assert.deepEqual(host.closed, ["eth0"]);
  // each VIP set removed exactly once
  assert.equal(host.ipLog.filter((l) => l.startsWith("remove 10.0.0.1")).length, 1);
});

Deno.test("Daemon: a failing ip is retried, then reported with its stderr", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await boot(host, [VI1]);
  host.failNext = 3;
  await host.advance(masterDownIntervalMs(2, 100, 100));
  await host.advance(900);
  assert.equal(host.ipLog.filter((l) => l.startsWith("add")).length, 3);
  assert.ok(lines.some((l) => l.includes("retrying: RTNETLINK answers: Operation not permitted")));
  assert.ok(
    lines.some((l) =>
      /ERROR .*ip addr add 10\.0\.0\.1\/24 10\.0\.0\.2\/24 dev eth0 failed: RTNETLINK/.test(l)
    ),
  );
  await daemon.shutdown();
});

Deno.test("Daemon: adverts never wait behind a slow ip, and VIP add/remove keep their order", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, [VI1]);
  const inst = daemon.instances.get("vi1")!;
  let release!: () => void;
  host.gate = new Promise((r) => release = r);
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.equal(inst.role, "master");
  await host.advance(3000);
  assert.deepEqual(sentPriorities(host, 1), [100, 100, 100, 100], "adverts kept going");
  assert.equal(host.frames.length, 0, "no gratuitous ARP before the VIPs are configured");
  // a higher-priority master appears while the add is still stuck
  host.deliver("eth0", received(advert(1, 200, VI1.vips), { source: "10.101.1.186" }));
  await flush();
  assert.equal(inst.role, "backup");
  release();
  host.gate = null;
  await flush();
  await inst.vipsSettled();
  assert.deepEqual(host.ipLog.slice(-2), [
    "add 10.0.0.1,10.0.0.2 eth0",
    "remove 10.0.0.1,10.0.0.2 eth0",
  ]);
  assert.deepEqual(host.vipsOn(), []);
  await daemon.shutdown();
});

Deno.test("Daemon.reload() applies only what changed and keeps the old config on errors", async () => {
  const host = new FakeHost();
  const next = { text: "" };
  const VI3: Inst = { name: "vi3", vrid: 3, priority: 50, vips: ["10.0.0.30"] };
  const { daemon, lines } = await boot(host, [VI1, VI2, VI3], next);
  await host.advance(masterDownIntervalMs(2, 100, 50) + 10);
  const before = daemon.instances.get("vi1");
  // vi1 unchanged, vi2 changed (priority), vi3 removed, vi4 added
  next.text = confText([VI1, { ...VI2, priority: 120 }, { ...VI3, name: "vi4", vrid: 4 }]);
  lines.length = 0;
  const reply = await daemon.reload();
  assert.deepEqual(reply, {
    ok: true,
    message: "reloaded: 1 added, 1 changed, 1 removed, 1 unchanged",
  });
  assert.equal(daemon.instances.get("vi1"), before, "unchanged instance kept running");
  assert.ok(!lines.some((l) => l.includes("[vi1 ")), "vi1 did not flap");
  assert.ok(lines.some((l) => l.includes("[vi2 vrid 2 eth0] master -> initialize (shutdown)")));
  assert.ok(lines.some((l) => l.includes("[vi3 vrid 3 eth0] master -> initialize (shutdown)")));
  assert.deepEqual([...daemon.instances.keys()].sort(), ["vi1", "vi2", "vi4"]);
  assert.equal(daemon.instances.get("vi2")!.params.basePriority, 120);
  assert.equal(daemon.instances.get("vi1")!.role, "master");
  assert.ok(!host.vipsOn().includes("10.0.0.30"));

  next.text = "vrrp_instance broken {\n  interface eth0\n  virtual_router_id 300\n}\n";
  const bad = await daemon.reload();
  assert.equal(bad.ok, false);
  assert.ok(!bad.ok && bad.diagnostics!.some((d) => d.startsWith("test.conf:")));
  assert.deepEqual([...daemon.instances.keys()].sort(), ["vi1", "vi2", "vi4"]);
  await daemon.shutdown();
});

Deno.test("Daemon.start(): a missing interface leaves its instance in FAULT, the others run", async () => {
  const host = new FakeHost();
  host.addresses.set("eth0", new Set(["10.0.0.1"]));
  const { daemon } = await boot(host, [VI1, { ...VI2, iface: "eth9" }]);
  await host.advance(masterDownIntervalMs(2, 100, 100) + 100);
  const st = await daemon.status();
  assert.ok(st.ok && "instances" in st);
  assert.deepEqual(st.instances.map((i) => `${i.name} ${i.state}`), [
    "vi1 master",
    "vi2 fault",
  ]);
  assert.match(st.instances[1].lastTransition?.reason ?? "", /interface eth9 does not exist/);
  await daemon.shutdown();
});

Deno.test("Daemon: status, admin down (hand over at once) and admin up", async () => {
  const host = new FakeHost();
  const saved: string[][] = [];
  const loaded = parseConfigText(confText([VI1]), "t.conf", "keepalived", { configId: "x" });
  const daemon = await Daemon.start(loaded.config, {
    effects: host,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
    configFile: "t.conf",
    loadConfig: () => Promise.resolve(loaded),
    onAdminChange: (down) => Promise.resolve(void saved.push(down)),
    pid: 1,
  });
  await host.advance(masterDownIntervalMs(2, 100, 100));
  const st = await daemon.status();
  assert.ok(st.ok && "instances" in st);
  assert.equal(st.instances[0].state, "master");
  assert.equal(st.instances[0].masterIp, "10.101.1.185");
  assert.ok(st.instances[0].vips.every((v) => v.present));
  assert.deepEqual(await daemon.status("nope"), { ok: false, error: 'no instance named "nope"' });

  assert.deepEqual(await daemon.adminDown("vi1"), {
    ok: true,
    message: "vi1 is now administratively down",
  });
  await daemon.instances.get("vi1")!.vipsSettled();
  assert.deepEqual(sentPriorities(host, 1).at(-1), 0);
  assert.deepEqual(host.vipsOn(), []);
  assert.deepEqual(saved, [["vi1"]]);
  const adverts = host.adverts.length;
  await host.advance(10_000);
  assert.equal(host.adverts.length, adverts, "silent while administratively down");

  await daemon.adminUp("vi1");
  assert.equal(daemon.instances.get("vi1")!.role, "backup");
  await host.advance(skewTimeMs(2, 100, 100) + masterDownIntervalMs(2, 100, 100));
  assert.equal(daemon.instances.get("vi1")!.role, "master");
  assert.deepEqual(saved, [["vi1"], []]);
  await daemon.shutdown();
});

Deno.test("Daemon: dispatch() feeds tracking events and onTransition sees every role change", async () => {
  const host = new FakeHost();
  const seen: string[] = [];
  const loaded = parseConfigText(confText([VI1]), "t.conf", "keepalived", { configId: "x" });
  const daemon = await Daemon.start(loaded.config, {
    effects: host,
    logger: new Logger({ level: "error", format: "text", sink: () => {} }),
    configFile: "t.conf",
    loadConfig: () => Promise.resolve(loaded),
    onTransition: (t) =>
      seen.push(`${t.cfg.name} ${t.from}->${t.to} ${t.reason} ${t.effectivePriority}`),
    pid: 1,
  });
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.equal(daemon.dispatch("vi1", { type: "faultRaised", reason: "link eth0 down" }), true);
  assert.equal(daemon.dispatch("nope", { type: "faultRaised", reason: "x" }), false);
  await daemon.instances.get("vi1")!.vipsSettled();
  assert.deepEqual(host.vipsOn(), []);
  assert.equal((await daemon.status("vi1")).ok, true);
  await daemon.shutdown();
  assert.deepEqual(seen.map((s) => s.split(" ").slice(0, 2).join(" ")), [
    "vi1 initialize->backup",
    "vi1 backup->master",
    "vi1 master->fault",
    "vi1 fault->initialize",
  ]);
});
