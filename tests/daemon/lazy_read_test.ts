/**
 * Lazy reading, as the daemon drives it (lib/daemon/routine.ts, lazy_read.ts): which adverts it
 * tells the port are routine, and that an advert read late counts from its arrival.
 */
import assert from "node:assert/strict";
import { masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";
import { received } from "../_support/adverts.ts";
import { bootDaemon, FakeHost } from "./fakes.ts";

const PEER = "10.101.1.186";

function conf(priority: number, extra = ""): string {
  return `vrrp_instance vi2 {
  interface eth0
  virtual_router_id 2
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.0.0.7/24
  }
${extra}
}
`;
}

function advert(priority: number): Advertisement {
  return {
    vrid: 2,
    priority,
    version: 2,
    advertIntervalCs: 100,
    authType: 1,
    authData: authDataFromPassword("secret"),
    addresses: ["10.0.0.7"],
  };
}

const peer = (priority: number) => received(advert(priority), { source: PEER });

Deno.test("lazy reading: the routine advert follows the master a backup hears", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, conf(99));
  const routine = () => host.routine.get("eth0 ipv4");
  assert.deepEqual(routine() ?? [], [], "nobody heard yet: nothing is routine");
  host.deliver("eth0", peer(100));
  assert.deepEqual(routine(), [{ vrid: 2, version: 2, source: PEER, priority: 100, interval: 1 }]);
  host.deliver("eth0", peer(120));
  assert.deepEqual(routine()?.map((r) => r.priority), [120], "a new priority is the routine one");
  // priority 0: Master_Down set to Skew_Time; nothing is routine until a master is heard again
  host.deliver("eth0", peer(0));
  assert.deepEqual(routine(), []);
  await host.advance(skewTimeMs(2, 99, 100) + 1);
  assert.equal(daemon.instances.get("vi2")!.role, "master");
  assert.deepEqual(routine(), [], "a master has no routine adverts");
  await daemon.shutdown();
});

Deno.test("lazy reading: a backup that will preempt treats a lower master's adverts as news", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, conf(150));
  host.deliver("eth0", peer(100));
  assert.deepEqual(host.routine.get("eth0 ipv4") ?? [], []);
  // with preemption off it just follows the master
  const host2 = new FakeHost();
  const { daemon: d2 } = await boot(host2, conf(150, "  nopreempt\n  state BACKUP"));
  host2.deliver("eth0", peer(100));
  assert.deepEqual(host2.routine.get("eth0 ipv4")?.map((r) => r.priority), [100]);
  await daemon.shutdown();
  await d2.shutdown();
});

Deno.test("lazy reading: adverts read at the deadline re-arm Master_Down from their arrival", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, conf(99));
  const inst = daemon.instances.get("vi2")!;
  const mdi = masterDownIntervalMs(2, 100, 99);
  host.deliver("eth0", peer(100));
  // three routine adverts wait in the quiet queue, one a second; nothing reads them
  for (let i = 0; i < 3; i++) {
    await host.advance(1000);
    host.queue("eth0", peer(100));
  }
  // the Master_Down deadline (from the first advert) finds them: re-armed from the last
  await host.advance(mdi - 3000 + 1);
  assert.equal(inst.role, "backup");
  assert.equal(inst.status().advertsReceived, 4);
  // then silence: master exactly Master_Down_Interval after the last arrival, not its reading
  await host.advance(3000 - 1 - 1);
  assert.equal(inst.role, "backup");
  await host.advance(1);
  assert.equal(inst.role, "master");
  await daemon.shutdown();
});

Deno.test("lazy reading: a snapshot (status, metrics) hands over what is queued first", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host, conf(99));
  host.deliver("eth0", peer(100));
  host.queue("eth0", peer(100));
  host.queue("eth0", peer(100));
  const snap = daemon.snapshot();
  assert.ok(snap.ok);
  assert.equal(snap.instances[0].counters?.advertsReceived, 3);
  await daemon.shutdown();
});

function boot(host: FakeHost, text: string) {
  return bootDaemon(host, text);
}
