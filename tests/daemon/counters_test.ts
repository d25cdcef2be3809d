/**
 * The instance counters `vrrp status --json` and `/metrics` read: transitions, adverts and
 * priority-0 adverts both ways, GARP frames, split-brain episodes and their length.
 */
import assert from "node:assert/strict";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { VrrpVersion } from "../../lib/vrrp/constants.ts";
import { received } from "../_support/adverts.ts";
import { bootDaemon, FakeHost } from "./fakes.ts";

const CONF = `vrrp_instance vi1 {
  interface eth0
  virtual_router_id 1
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.1/24
  }
}
`;

const advert = (priority: number, source: string) =>
  received({
    version: 2,
    vrid: 1,
    priority,
    advertIntervalCs: 100,
    authType: 0,
    authData: authDataFromPassword(""),
    addresses: ["10.0.0.1"],
  }, { source });

Deno.test("counters follow a takeover, a split brain, a step-down and a resignation", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host);
  const inst = daemon.instances.get("vi1")!;
  await host.advance(masterDownIntervalMs(VrrpVersion.v2, 100, 100) + 2500);
  let c = inst.counters();
  assert.equal(inst.role, "master");
  assert.equal(c.becameMaster, 1);
  assert.equal(c.releasedMaster, 0);
  assert.equal(c.advertsSent, 3); // at takeover, +1 s, +2 s
  assert.ok(c.gratuitousArpsSent > 0);

  // a lower-priority master (split brain) for 2 s: one episode, counted while it lasts
  host.deliver("eth0", advert(50, "10.101.1.190"));
  await host.advance(2000);
  c = inst.counters();
  assert.equal(c.dualMasterEpisodes, 1);
  assert.ok(c.dualMasterSeconds >= 1.9 && c.dualMasterSeconds <= 2.1, String(c.dualMasterSeconds));
  assert.equal(c.advertsReceived, 1);

  // a higher priority takes over: we step down (the split brain ends with it)
  host.deliver("eth0", advert(200, "10.101.1.186"));
  await host.advance(10);
  c = inst.counters();
  assert.equal(inst.role, "backup");
  assert.equal(c.releasedMaster, 1);
  const seconds = c.dualMasterSeconds;
  await host.advance(1000);
  assert.equal(inst.counters().dualMasterSeconds, seconds, "no longer growing");

  // the master resigns (priority 0): counted, and we take over
  host.deliver("eth0", advert(0, "10.101.1.186"));
  await host.advance(1000);
  c = inst.counters();
  assert.equal(c.priorityZeroReceived, 1);
  assert.equal(c.becameMaster, 2);

  // shutdown: one priority-0 advert sent
  await daemon.shutdown();
  assert.equal(inst.counters().priorityZeroSent, 1);
  const st = inst.status();
  assert.deepEqual(st.counters, inst.counters());
  assert.equal(st.advertsSent, st.counters!.advertsSent);
});

Deno.test("unicast: an advert counts once whatever the peers (keepalived's advert_sent); each peer's sends apart; a refused destination is a send error", async () => {
  const host = new FakeHost();
  host.sendFailsTo.set("10.101.1.187", "sendto: No route to host");
  const { daemon } = await bootDaemon(
    host,
    CONF.replace(
      "advert_int 1",
      "advert_int 1\n  unicast_peer {\n 10.101.1.186\n 10.101.1.187\n }",
    ),
  );
  const inst = daemon.instances.get("vi1")!;
  await host.advance(masterDownIntervalMs(VrrpVersion.v2, 100, 100) + 2500);
  assert.equal(inst.role, "master");
  const c = inst.counters();
  assert.equal(c.advertsSent, 3, "at takeover, +1 s, +2 s: one each, not one per peer");
  assert.equal(c.advertSendErrors, 3, "the unreachable peer, once per advert");
  assert.equal(host.adverts.length, 3);
  const st = inst.status();
  assert.ok(st.adverts?.mode === "unicast");
  assert.deepEqual(st.adverts.peers.map((p) => [p.address, p.advertsSent]), [
    ["10.101.1.186", 3],
    ["10.101.1.187", 0],
  ]);
  await daemon.shutdown();
});

Deno.test("IPv6 VIPs are announced by neighbour advertisements, counted apart from gratuitous ARPs", async () => {
  const host = new FakeHost();
  host.linkLocal.set("eth0", "fe80::a:1");
  const { daemon } = await bootDaemon(
    host,
    `global_defs {\n  vrrp_version 3\n}\n` +
      CONF.replace("10.0.0.1/24", "fd00:101::151/64\n    fd00:101::152/64"),
  );
  const inst = daemon.instances.get("vi1")!;
  await host.advance(masterDownIntervalMs(VrrpVersion.v3, 100, 100) + 10);
  assert.equal(inst.role, "master");
  const c = inst.counters();
  assert.equal(c.gratuitousArpsSent, 0);
  assert.equal(c.neighbourAdvertsSent, host.frames.length);
  assert.ok(c.neighbourAdvertsSent >= 2, String(c.neighbourAdvertsSent));
  await daemon.shutdown();
});

function boot(host: FakeHost) {
  return bootDaemon(host, CONF);
}
