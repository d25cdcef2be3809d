/**
 * Unicast peers in the daemon, on fake ports: where adverts go, keepalived's receive checks
 * (destination, check_unicast_src, per-peer TTL ranges), unicast_fault_no_peer, the peers in
 * status, reloads that change only the peers, and the split-brain repair in unicast mode.
 */
import assert from "node:assert/strict";
import { InterfaceError } from "../../lib/daemon/effects.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { authDataFromPassword, decodeAdvert } from "../../lib/vrrp/packet.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";
import { received } from "../_support/adverts.ts";
import { bootDaemon, FakeHost } from "./fakes.ts";

const ME = "10.101.1.185";
const PEER = "10.101.1.186";
const OTHER = "10.101.1.187";

/** One instance (VRID 1, priority 100, one VIP) with `extra` lines. */
function conf(extra: string, priority = 100): string {
  return `vrrp_instance vi1 {
  interface eth0
  virtual_router_id 1
  priority ${priority}
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.0.0.1/24
  }
${extra}
}
`;
}

function advert(priority: number): Advertisement {
  return {
    version: 2,
    vrid: 1,
    priority,
    advertIntervalCs: 100,
    authType: 1,
    authData: authDataFromPassword("secret"),
    addresses: ["10.0.0.1"],
  };
}

/** Where each decodable advert went: `dst ttl priority`. */
function sent(host: FakeHost): string[] {
  return host.adverts.flatMap((a) => {
    const d = decodeAdvert(a.message, { family: a.to.family, src: a.to.src, dst: a.to.dst });
    return d.ok ? [`${a.to.dst} ttl ${a.to.hopLimit} prio ${d.advert.priority}`] : [];
  });
}

const MDI_100 = masterDownIntervalMs(2, 100, 100);

Deno.test("unicast: a master sends one advert to each peer, from unicast_src_ip, TTL 255; a duplicate and our own address are skipped", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(
    host,
    conf(`unicast_src_ip ${ME}/22\nunicast_peer {\n ${PEER}\n ${OTHER}\n ${PEER}\n ${ME}\n}`),
  );
  await host.advance(MDI_100);
  assert.equal(daemon.instances.get("vi1")!.role, "master");
  const first = sent(host).slice(0, 2);
  assert.deepEqual(first, [`${PEER} ttl 255 prio 100`, `${OTHER} ttl 255 prio 100`]);
  assert.ok(host.adverts.every((a) => a.to.src === ME));
  assert.ok(!sent(host).some((s) => s.startsWith("224.")), "nothing goes to the group");
  await daemon.shutdown();
});

Deno.test("unicast: unicast_ttl sets the TTL of unicast adverts", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(host, conf(`unicast_ttl 64\nunicast_peer {\n ${PEER}\n}`));
  await host.advance(MDI_100);
  assert.deepEqual(sent(host)[0], `${PEER} ttl 64 prio 100`);
  await daemon.shutdown();
});

Deno.test("unicast: a backup follows its peer's adverts at any TTL; a multicast advert is dropped as wrongDestination", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(host, conf(`unicast_peer {\n ${PEER}\n}`, 99));
  const inst = daemon.instances.get("vi1")!;
  for (let i = 0; i < 10; i++) {
    // keepalived skips the TTL 255 rule in unicast mode: a routed peer arrives with less
    host.deliver("eth0", received(advert(100), { source: PEER, destination: ME, ttl: 62 }));
    await host.advance(1000);
  }
  assert.equal(inst.role, "backup");
  host.deliver("eth0", received(advert(100), { source: OTHER }));
  assert.deepEqual(inst.status().drops, { wrongDestination: 1 });
  await daemon.shutdown();
});

Deno.test("check_unicast_src: an advert from a non-peer changes nothing and is counted as notPeer", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(
    host,
    conf(`check_unicast_src\nunicast_peer {\n ${PEER}\n}`),
  );
  const inst = daemon.instances.get("vi1")!;
  await host.advance(MDI_100);
  assert.equal(inst.role, "master");
  host.deliver("eth0", received(advert(200), { source: OTHER, destination: ME }));
  assert.equal(inst.role, "master");
  assert.deepEqual(inst.status().drops, { notPeer: 1 });
  // the same advert from the peer is obeyed
  host.deliver("eth0", received(advert(200), { source: PEER, destination: ME }));
  assert.equal(inst.role, "backup");
  await daemon.shutdown();
});

Deno.test("vrrp_check_unicast_src (global) checks every unicast instance", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(
    host,
    `global_defs {\n vrrp_check_unicast_src\n}\n` + conf(`unicast_peer {\n ${PEER}\n}`, 99),
  );
  const inst = daemon.instances.get("vi1")!;
  host.deliver("eth0", received(advert(100), { source: OTHER, destination: ME }));
  assert.deepEqual(inst.status().drops, { notPeer: 1 });
  await daemon.shutdown();
});

Deno.test("unicast_peer min_ttl/max_ttl: adverts outside the range are dropped as badTtl (and the source is checked)", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(
    host,
    conf(`unicast_peer {\n ${PEER} min_ttl 250 max_ttl 255\n}`, 99),
  );
  const inst = daemon.instances.get("vi1")!;
  host.deliver("eth0", received(advert(100), { source: PEER, destination: ME, ttl: 64 }));
  host.deliver("eth0", received(advert(100), { source: OTHER, destination: ME }));
  host.deliver("eth0", received(advert(100), { source: PEER, destination: ME, ttl: 254 }));
  assert.deepEqual(inst.status().drops, { badTtl: 1, notPeer: 1 });
  assert.equal(inst.status().masterIp, PEER);
  await daemon.shutdown();
});

Deno.test("a multicast instance drops a unicast advert (wrongDestination) and keeps the TTL 255 rule", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(host, conf("", 99));
  const inst = daemon.instances.get("vi1")!;
  host.deliver("eth0", received(advert(100), { source: PEER, destination: ME }));
  host.deliver("eth0", received(advert(100), { source: PEER, ttl: 64 }));
  assert.deepEqual(inst.status().drops, { wrongDestination: 1, badTtl: 1 });
  await daemon.shutdown();
});

Deno.test("unicast_fault_no_peer: no peer means FAULT, never multicast; a reload adding a peer clears it without a restart", async () => {
  const host = new FakeHost();
  let text = conf("unicast_fault_no_peer");
  const { daemon } = await bootDaemon(host, text, () => text);
  const inst = daemon.instances.get("vi1")!;
  await host.advance(MDI_100 * 2);
  assert.equal(inst.role, "fault");
  assert.equal(host.adverts.length, 0);
  text = conf(`unicast_fault_no_peer\nunicast_peer {\n ${PEER}\n}`);
  const r = await daemon.reload();
  assert.ok(
    r.ok && "message" in r && /1 with new unicast peers/.test(r.message),
    JSON.stringify(r),
  );
  assert.equal(daemon.instances.get("vi1"), inst, "the same instance runs on");
  await host.advance(MDI_100 + 1);
  assert.equal(inst.role, "master");
  assert.deepEqual(sent(host)[0], `${PEER} ttl 255 prio 100`);
  await daemon.shutdown();
});

Deno.test("reload: adding and removing a peer neither restarts the instance nor moves the VIPs", async () => {
  const host = new FakeHost();
  let text = conf(`unicast_peer {\n ${PEER}\n}`);
  const { daemon } = await bootDaemon(host, text, () => text);
  const inst = daemon.instances.get("vi1")!;
  await host.advance(MDI_100);
  assert.equal(inst.role, "master");
  const ipRuns = host.ipLog.length;
  text = conf(`unicast_peer {\n ${OTHER}\n}`);
  assert.equal((await daemon.reload()).ok, true);
  assert.equal(daemon.instances.get("vi1"), inst);
  host.adverts = [];
  await host.advance(1000);
  assert.equal(inst.role, "master");
  assert.deepEqual(sent(host), [`${OTHER} ttl 255 prio 100`]);
  assert.equal(host.ipLog.length, ipRuns, "no ip run: the VIPs stayed");
  assert.deepEqual(host.vipsOn(), ["10.0.0.1"]);
  await daemon.shutdown();
});

Deno.test("status: the peers, when each was last heard and at what priority", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(
    host,
    conf(`unicast_src_ip ${ME}\nunicast_peer {\n ${PEER}\n ${OTHER}\n}`, 99),
  );
  await host.advance(500);
  host.deliver("eth0", received(advert(100), { source: PEER, destination: ME }));
  const st = await daemon.status("vi1");
  assert.ok(st.ok);
  const adverts = st.instances[0].adverts;
  assert.ok(adverts?.mode === "unicast");
  assert.equal(adverts.source, ME);
  assert.equal(adverts.peers.length, 2);
  assert.equal(adverts.peers[0].address, PEER);
  assert.equal(adverts.peers[0].priority, 100);
  assert.equal(adverts.peers[0].advertsReceived, 1);
  assert.ok(adverts.peers[0].lastHeardAt !== null);
  assert.deepEqual(adverts.peers[1], {
    address: OTHER,
    lastHeardAt: null,
    priority: null,
    advertsReceived: 0,
    advertsSent: 0,
  });
  await daemon.shutdown();
});

Deno.test("split brain in unicast mode: a master hearing a lower-priority master re-announces to its peers", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await bootDaemon(host, conf(`unicast_peer {\n ${PEER}\n}`));
  const inst = daemon.instances.get("vi1")!;
  await host.advance(MDI_100 + 50);
  assert.equal(inst.role, "master");
  host.adverts = [];
  host.deliver("eth0", received(advert(99), { source: PEER, destination: ME }));
  assert.equal(inst.role, "master");
  assert.deepEqual(sent(host), [`${PEER} ttl 255 prio 100`], "re-announced at once to the peer");
  assert.ok(lines.some((l) => /split brain/.test(l)));
  assert.ok(host.frames.length > 0, "gratuitous ARP re-sent");
  await daemon.shutdown();
});

Deno.test("unicast_src_ip that is not an address of the interface stops the start before anything changes", async () => {
  const host = new FakeHost();
  host.addresses.set("eth0", new Set(["10.0.0.1"]));
  await assert.rejects(
    bootDaemon(host, conf(`unicast_src_ip 10.9.9.9\nunicast_peer {\n ${PEER}\n}`)),
    (e: unknown) =>
      e instanceof InterfaceError &&
      /unicast_src_ip 10\.9\.9\.9 is not an address of interface eth0/.test(e.message),
  );
  assert.deepEqual(host.ipLog, [], "the leftover VIP was not touched");
});

Deno.test("mcast_dst_ip: the group is joined and adverts go to it", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(host, conf("mcast_dst_ip 224.0.0.200"));
  // (the global groups are joined by the sockets themselves, see openInterface's groups)
  assert.deepEqual(host.joined, ["eth0 ipv4 224.0.0.200"]);
  await host.advance(MDI_100);
  assert.deepEqual(sent(host)[0], "224.0.0.200 ttl 255 prio 100");
  await daemon.shutdown();
});

Deno.test("vrrp_mcast_group4: every multicast instance sends to the global group", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(
    host,
    `global_defs {\n vrrp_mcast_group4 224.0.0.19\n}\n` + conf(""),
  );
  assert.deepEqual(host.joined, [], "the global group is joined when the interface opens");
  await host.advance(MDI_100);
  assert.deepEqual(sent(host)[0], "224.0.0.19 ttl 255 prio 100");
  await daemon.shutdown();
});

Deno.test("unicast: a master stepping down for a higher one repeats its last advert once, an interval later (the first may be lost behind ARP after a heal)", async () => {
  for (const unicast of [true, false]) {
    const host = new FakeHost();
    const { daemon } = await bootDaemon(
      host,
      conf(unicast ? `unicast_peer {\n ${PEER}\n}` : "", 99),
    );
    const inst = daemon.instances.get("vi1")!;
    await host.advance(masterDownIntervalMs(2, 100, 99) + 10);
    assert.equal(inst.role, "master");
    host.adverts = [];
    const to = unicast ? ME : undefined;
    host.deliver("eth0", received(advert(100), { source: PEER, destination: to }));
    assert.equal(inst.role, "backup");
    const dst = unicast ? PEER : "224.0.0.18";
    assert.deepEqual(sent(host), [`${dst} ttl 255 prio 99`], "the last advert at once");
    await host.advance(1000);
    assert.equal(inst.role, "backup");
    assert.deepEqual(
      sent(host),
      unicast ? [`${dst} ttl 255 prio 99`, `${dst} ttl 255 prio 99`] : [`${dst} ttl 255 prio 99`],
      unicast ? "once more in unicast mode" : "multicast: once",
    );
    await host.advance(2000); // still within Master_Down_Interval of the last advert heard
    assert.equal(sent(host).length, unicast ? 2 : 1, "and never again");
    await daemon.shutdown();
  }
});
