/**
 * The instance counters `vrrp status --json` and `/metrics` read: transitions, adverts and
 * priority-0 adverts both ways, GARP frames, split-brain episodes and their length.
 */
import assert from "node:assert/strict";
import { authDataFromPassword, encodeIpv4Packet } from "../../lib/vrrp/packet.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
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
  encodeIpv4Packet({
    vrid: 1,
    priority,
    advertIntervalSec: 1,
    authType: 0,
    authData: authDataFromPassword(""),
    addresses: ["10.0.0.1"],
  }, { source });

Deno.test("counters follow a takeover, a split brain, a step-down and a resignation", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host);
  const inst = daemon.instances.get("vi1")!;
  await host.advance(masterDownIntervalMs(1, 100) + 2500);
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

function boot(host: FakeHost) {
  return bootDaemon(host, CONF);
}
