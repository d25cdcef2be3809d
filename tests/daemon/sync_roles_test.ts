import assert from "node:assert/strict";
import type { Daemon } from "../../lib/daemon/daemon.ts";
import { syncRolePlan } from "../../lib/daemon/sync_roles.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import type { ReceivedMessage } from "../../lib/daemon/effects.ts";
import { received } from "../_support/adverts.ts";
import type { Role } from "../../lib/vrrp/types.ts";
import { bootDaemon, FakeHost } from "./fakes.ts";

const PEER = "10.101.1.186";

function instance(name: string, vrid: number, priority: number): string {
  return `vrrp_instance ${name} {
  interface eth0
  virtual_router_id ${vrid}
  priority ${priority}
  advert_int 1
  virtual_ipaddress {
    10.0.0.${vrid}/24
  }
}
`;
}

const GROUP = "vrrp_sync_group G {\n  group {\n    vi1\n    vi2\n  }\n}\n";

const boot = bootDaemon;

/** A peer's advert for `vrid` at `priority` (no authentication, one VIP like ours). */
function peerAdvert(vrid: number, priority: number): ReceivedMessage {
  return received({
    vrid,
    priority,
    version: 2,
    advertIntervalCs: 100,
    authType: 0,
    authData: authDataFromPassword(""),
    addresses: [`10.0.0.${vrid}`],
  }, { source: PEER });
}

const roles = (d: Daemon) => Object.fromEntries([...d.instances].map(([n, i]) => [n, i.role]));

Deno.test("syncRolePlan(): own-election changes pull the other members along, nothing else does", () => {
  const groups = [{ name: "G", members: ["a", "b", "c"], notify: {} }];
  const now: Record<string, Role> = { a: "master", b: "backup", c: "fault" };
  assert.deepEqual(
    syncRolePlan(groups, { name: "a", from: "backup", to: "master" }, (n) => now[n]),
    [
      { name: "b", to: "master", reason: "syncGroup G: a entered master" },
    ],
  );
  const now2: Record<string, Role> = { a: "backup", b: "master", c: "master" };
  assert.deepEqual(
    syncRolePlan(groups, { name: "a", from: "master", to: "backup" }, (n) => now2[n]).map((r) =>
      `${r.name}->${r.to}`
    ),
    ["b->backup", "c->backup"],
  );
  for (const [from, to] of [["initialize", "backup"], ["master", "fault"], ["fault", "backup"]]) {
    assert.deepEqual(
      syncRolePlan(groups, { name: "a", from: from as Role, to: to as Role }, () => "backup"),
      [],
    );
  }
  assert.deepEqual(
    syncRolePlan(groups, { name: "x", from: "backup", to: "master" }, () => "backup"),
    [],
    "not a member",
  );
});

Deno.test("sync group: a member taking over makes the other backup member master at once", async () => {
  const host = new FakeHost();
  const { daemon, groups } = await boot(
    host,
    GROUP + instance("vi1", 1, 100) + instance("vi2", 2, 90),
  );
  // vi2's own Master_Down_Interval is longer; vi1 times out first and the group follows
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.deepEqual(roles(daemon), { vi1: "master", vi2: "master" });
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2"]);
  const st = await daemon.status("vi2");
  assert.ok(st.ok);
  assert.equal(st.instances[0].lastTransition?.reason, "syncGroup G: vi1 entered master");
  assert.deepEqual(groups.map((g) => g.to), ["backup", "master"]);
  await daemon.shutdown();
});

Deno.test("sync group: a master stepping down for a higher priority takes the others down, and they hold", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await boot(
    host,
    GROUP + instance("vi1", 1, 100) + instance("vi2", 2, 100),
  );
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.deepEqual(roles(daemon), { vi1: "master", vi2: "master" });
  // the peer wins vi2 (101); vi1 follows it down
  host.deliver("eth0", peerAdvert(2, 101));
  await host.advance(0);
  assert.deepEqual(roles(daemon), { vi1: "backup", vi2: "backup" });
  assert.deepEqual(host.vipsOn(), []);
  assert.ok(lines.some((l) => l.includes("master -> backup (syncGroup G: vi2 entered backup)")));
  // the peer's group-forced vi1 advertises 99 < 100: held, we do not preempt it (no thrashing)
  for (let i = 0; i < 10; i++) {
    host.deliver("eth0", peerAdvert(2, 101));
    host.deliver("eth0", peerAdvert(1, 99));
    await host.advance(1000);
  }
  assert.deepEqual(roles(daemon), { vi1: "backup", vi2: "backup" });
  assert.deepEqual(host.vipsOn(), []);
  // the peer goes silent: the Master_Down_Timer still runs, both take over again
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.deepEqual(roles(daemon), { vi1: "master", vi2: "master" });
  assert.deepEqual(host.vipsOn(), ["10.0.0.1", "10.0.0.2"]);
  await daemon.shutdown();
});

Deno.test("sync group: forced changes do not feed back; instances outside the group are untouched", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await boot(
    host,
    GROUP + instance("vi1", 1, 100) + instance("vi2", 2, 100) + instance("vi3", 3, 100),
  );
  for (let i = 0; i < 5; i++) {
    host.deliver("eth0", peerAdvert(3, 200));
    await host.advance(1000);
  }
  assert.deepEqual(roles(daemon), { vi1: "master", vi2: "master", vi3: "backup" });
  host.deliver("eth0", peerAdvert(1, 150));
  await host.advance(0);
  assert.deepEqual(roles(daemon), { vi1: "backup", vi2: "backup", vi3: "backup" });
  // exactly one forced transition each way
  assert.equal(lines.filter((l) => l.includes("(syncGroup G:")).length, 2);
  await daemon.shutdown();
});

Deno.test("sync group: an administratively down member is not pulled into master", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, GROUP + instance("vi1", 1, 100) + instance("vi2", 2, 100));
  await daemon.adminDown("vi2");
  await host.advance(masterDownIntervalMs(2, 100, 100));
  assert.deepEqual(roles(daemon), { vi1: "master", vi2: "initialize" });
  assert.deepEqual(host.vipsOn(), ["10.0.0.1"]);
  await daemon.shutdown();
});
