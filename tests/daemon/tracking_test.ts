import assert from "node:assert/strict";
import { parseConfigText } from "../../config/load.ts";
import { Daemon } from "../../lib/daemon/daemon.ts";
import { groupStateOf } from "../../lib/daemon/group_state.ts";
import { Logger } from "../../lib/daemon/logger.ts";
import { LINK_POLL_MS, LINK_SAFETY_POLL_MS } from "../../lib/daemon/tracking.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { decodeAdvert } from "../../lib/vrrp/packet.ts";
import { bootDaemon, FakeHost, WatchingHost } from "./fakes.ts";

function instance(name: string, vrid: number, priority: number, extra = ""): string {
  return `vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    10.0.0.${vrid}/24
  }
${extra}
}
`;
}

const boot = bootDaemon;

function sentPriorities(host: FakeHost, vrid: number): number[] {
  return host.adverts.map((a) => decodeAdvert(a.message, a.to)).flatMap((r) =>
    r.ok && r.advert.vrid === vrid ? [r.advert.priority] : []
  );
}

const statusOf = async (d: Daemon, name: string) => {
  const s = await d.status(name);
  if (!s.ok) throw new Error(s.error);
  return s.instances[0];
};

Deno.test("tracking: the instance's own link going down means FAULT, unless dont_track_primary", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(
    host,
    instance("vi1", 1, 100) + instance("vi2", 2, 100, "  dont_track_primary"),
  );
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.equal(daemon.instances.get("vi1")!.role, "master");
  host.links.set("eth0", false);
  await host.advance(LINK_POLL_MS);
  assert.equal(daemon.instances.get("vi1")!.role, "fault");
  assert.equal(daemon.instances.get("vi2")!.role, "master", "dont_track_primary");
  assert.deepEqual(host.vipsOn(), ["10.0.0.2"], "the faulted master removed its VIPs");
  assert.deepEqual((await statusOf(daemon, "vi1")).priorityAdjustments, [
    "interface eth0 fault (down)",
  ]);
  host.links.set("eth0", true);
  await host.advance(LINK_POLL_MS);
  assert.equal(daemon.instances.get("vi1")!.role, "backup");
  assert.deepEqual((await statusOf(daemon, "vi1")).priorityAdjustments, []);
  await daemon.shutdown();
});

Deno.test("tracking: track_interface with a weight moves the priority, without one it faults", async () => {
  const host = new FakeHost();
  host.interfaces.set("eth1", "192.168.1.1");
  host.interfaces.set("eth2", "192.168.2.1");
  const { daemon } = await boot(
    host,
    instance("vi1", 1, 100, "  track_interface {\n    eth1 weight -30\n    eth2\n  }"),
  );
  await host.advance(masterDownIntervalMs(2, 100, 100));
  const inst = daemon.instances.get("vi1")!;
  assert.equal(inst.role, "master");
  host.links.set("eth1", false);
  await host.advance(LINK_POLL_MS);
  assert.equal(inst.role, "master");
  const st = await statusOf(daemon, "vi1");
  assert.equal(st.effectivePriority, 70);
  assert.deepEqual(st.priorityAdjustments, ["interface eth1 -30 (down)"]);
  assert.equal(sentPriorities(host, 1).at(-1), 70, "a master advertises the new priority at once");
  host.links.set("eth2", false);
  await host.advance(LINK_POLL_MS);
  assert.equal(inst.role, "fault");
  host.links.set("eth1", true);
  host.links.set("eth2", true);
  await host.advance(LINK_POLL_MS);
  assert.equal(inst.role, "backup");
  assert.equal((await statusOf(daemon, "vi1")).effectivePriority, 100);
  await daemon.shutdown();
});

Deno.test("tracking: a failing vrrp_script lowers the priority and shows in status; the owner keeps 255", async () => {
  const host = new FakeHost();
  const dir = await Deno.makeTempDir();
  try {
    const flag = `${dir}/flag`;
    await Deno.writeTextFile(flag, "");
    const text = `vrrp_script chk {
  script "/bin/sh -c 'test -f ${flag}'"
  interval 1
  weight -20
  fall 1
  rise 1
}
` + instance("vi1", 1, 100, "  track_script {\n    chk\n  }") +
      instance("vi2", 2, 255, "  track_script {\n    chk\n  }");
    const { daemon } = await boot(host, text);
    const until = async (cond: () => Promise<boolean>) => {
      for (let i = 0; i < 60 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(await cond());
    };
    await Deno.remove(flag);
    await until(async () => (await statusOf(daemon, "vi1")).effectivePriority === 80);
    assert.deepEqual((await statusOf(daemon, "vi1")).priorityAdjustments, [
      "script chk -20 (failing)",
    ]);
    assert.equal((await statusOf(daemon, "vi2")).effectivePriority, 255, "owner never adjusted");
    assert.deepEqual((await statusOf(daemon, "vi2")).priorityAdjustments, []);
    await Deno.writeTextFile(flag, "");
    await until(async () => (await statusOf(daemon, "vi1")).effectivePriority === 100);
    assert.deepEqual((await statusOf(daemon, "vi1")).priorityAdjustments, []);
    await daemon.shutdown();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("tracking: a weighted track_file of a sync group member is ignored (as keepalived); members fault together and notify as a group", async () => {
  const host = new FakeHost();
  host.interfaces.set("eth1", "192.168.1.1");
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/w`;
    await Deno.writeTextFile(file, "2\n");
    const text = `vrrp_track_file tf {
  file ${file}
  weight 5
}
vrrp_sync_group G {
  group {
    vi1
    vi2
  }
}
` + instance("vi1", 1, 100, "  track_interface {\n    eth1\n  }\n  track_file {\n    tf\n  }") +
      instance("vi2", 2, 100);
    const { daemon, groups } = await boot(host, text);
    // keepalived 2.2.7 drops a tracked file with weight 5 from a sync group member
    assert.equal((await statusOf(daemon, "vi1")).effectivePriority, 100);
    assert.deepEqual((await statusOf(daemon, "vi1")).priorityAdjustments, []);
    await host.advance(masterDownIntervalMs(2, 100, 100));
    assert.deepEqual(groups.map((g) => `${g.group.name} ${g.to}`), ["G backup", "G master"]);
    host.links.set("eth1", false);
    await host.advance(LINK_POLL_MS);
    assert.equal(daemon.instances.get("vi1")!.role, "fault");
    assert.equal(daemon.instances.get("vi2")!.role, "fault", "pulled into fault by its group");
    assert.deepEqual((await statusOf(daemon, "vi2")).priorityAdjustments, [
      "syncGroup G: vi1 in fault: fault",
    ]);
    assert.deepEqual(host.vipsOn(), []);
    host.links.set("eth1", true);
    await host.advance(LINK_POLL_MS);
    assert.equal(daemon.instances.get("vi1")!.role, "backup");
    assert.equal(daemon.instances.get("vi2")!.role, "backup");
    await host.advance(masterDownIntervalMs(2, 100, 100));
    assert.deepEqual(groups.map((g) => `${g.group.name} ${g.to}`), [
      "G backup",
      "G master",
      "G fault",
      "G backup",
      "G master",
    ]);
    await daemon.shutdown();
    assert.equal(groups.at(-1)?.to, "stop");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("groupStateOf(): fault wins, master needs every member, shutdown waits for all", () => {
  assert.equal(groupStateOf(["master", "fault"], false), "fault");
  assert.equal(groupStateOf(["master", "master"], false), "master");
  assert.equal(groupStateOf(["master", "backup"], false), "backup");
  assert.equal(groupStateOf(["initialize", "initialize"], false), null);
  assert.equal(groupStateOf(["initialize", "master"], true), null);
  assert.equal(groupStateOf(["initialize", undefined], true), "stop");
  assert.equal(groupStateOf([undefined], false), null);
});

Deno.test("tracking: a reload keeps a failing check's state (no flap); a removed check stops counting", async () => {
  const host = new FakeHost();
  const script = `vrrp_script chk {
  script "/bin/false"
  interval 1
  weight -20
  fall 1
}
`;
  const tracked = instance("vi1", 1, 100, "  track_script {\n    chk\n  }");
  let text = script + tracked;
  const lines: string[] = [];
  const logger = new Logger({ level: "debug", format: "text", sink: (l) => lines.push(l) });
  const load = () => parseConfigText(text, "test.conf", "keepalived", { configId: "x" });
  const daemon = await Daemon.start(load().config, {
    effects: host,
    logger,
    configFile: "test.conf",
    loadConfig: () => Promise.resolve(load()),
    pid: 1,
  });
  for (let i = 0; i < 60 && (await statusOf(daemon, "vi1")).effectivePriority !== 80; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal((await statusOf(daemon, "vi1")).effectivePriority, 80);
  const reloaded = await daemon.reload();
  assert.equal(reloaded.ok, true);
  assert.equal((await statusOf(daemon, "vi1")).effectivePriority, 80);
  assert.ok(!lines.some((l) => /effective priority 80 -> 100/.test(l)), "no flap on reload");
  // the same instance without the check: a changed instance restarts at its base priority
  text = script + instance("vi1", 1, 100);
  assert.equal((await daemon.reload()).ok, true);
  assert.equal((await statusOf(daemon, "vi1")).effectivePriority, 100);
  assert.deepEqual((await statusOf(daemon, "vi1")).priorityAdjustments, []);
  await daemon.shutdown();
});

Deno.test("tracking: with a link watch, a link change is acted on at once and idle polling is slow", async () => {
  const host = new WatchingHost();
  host.interfaces.set("eth1", "192.168.1.1");
  const { daemon } = await boot(host, instance("vi1", 1, 100));
  assert.equal(host.watchesStarted, 1);
  await host.advance(masterDownIntervalMs(2, 100, 100));
  const inst = daemon.instances.get("vi1")!;
  assert.equal(inst.role, "master");
  // a change on an untracked link does not matter; the tracked one does, without waiting
  host.announce("eth1", false);
  await host.advance(0);
  assert.equal(inst.role, "master");
  host.announce("eth0", false);
  await host.advance(0);
  assert.equal(inst.role, "fault");
  // lost messages: everything is re-read
  host.announce("eth0", true, true);
  await host.advance(0);
  assert.equal(inst.role, "backup");
  // a change the watch missed is found by the safety poll, not by the fast one
  host.links.set("eth0", false);
  await host.advance(LINK_POLL_MS * 2);
  assert.equal(inst.role, "backup", "no fast poll while the watch runs");
  await host.advance(LINK_SAFETY_POLL_MS);
  assert.equal(inst.role, "fault");
  await daemon.shutdown();
  assert.equal(host.watchesStopped, 1);
});

Deno.test("tracking: a link watch that breaks down falls back to the fast poll", async () => {
  const host = new WatchingHost();
  const { daemon } = await boot(host, instance("vi1", 1, 100));
  await host.advance(masterDownIntervalMs(2, 100, 100));
  const inst = daemon.instances.get("vi1")!;
  host.breakWatch();
  await host.advance(LINK_SAFETY_POLL_MS); // the slow poll armed before is replaced
  host.links.set("eth0", false);
  await host.advance(LINK_POLL_MS);
  assert.equal(inst.role, "fault");
  await daemon.shutdown();
});

Deno.test("virtual_ipaddress_excluded: added and removed with the VIPs, not in adverts, in status", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(
    host,
    instance("vi1", 1, 100, "  virtual_ipaddress_excluded {\n    10.0.5.5/24\n  }"),
  );
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.equal(daemon.instances.get("vi1")!.role, "master");
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.5.5"]);
  const adverts = host.adverts.map((a) => decodeAdvert(a.message, a.to))
    .flatMap((r) => r.ok ? [r.advert.addresses] : []);
  assert.ok(adverts.length > 0);
  assert.ok(adverts.every((a) => JSON.stringify(a) === JSON.stringify(["10.0.0.1"])));
  const st = await statusOf(daemon, "vi1");
  assert.deepEqual(
    st.vips.map((v) => `${v.address}/${v.prefixLen}${v.excluded ? " excluded" : ""}`),
    ["10.0.0.1/24", "10.0.5.5/24 excluded"],
  );
  await daemon.shutdown();
  assert.deepEqual(host.vipsOn(), []);
});
