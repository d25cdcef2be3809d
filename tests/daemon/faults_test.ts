/**
 * Faults that would freeze or fool a master, on a fake host and clock: failing sends, an
 * interface re-created with a new index, `ip` failing for longer than the timeout, an
 * interface missing at start. Each leaves the instance honest: FAULT with a reason, counted.
 */
import assert from "node:assert/strict";
import type { InstanceStatus } from "../../lib/control/types.ts";
import type { Daemon } from "../../lib/daemon/daemon.ts";
import {
  SELF_FAULT_RETRY_MIN_MS,
  SEND_FAULT_AFTER_ERRORS,
  SEND_RECOVER_SUCCESSES,
} from "../../lib/daemon/instance.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { bootDaemon, FakeHost, WatchingHost } from "./fakes.ts";

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
const MASTER_DOWN_MS = masterDownIntervalMs(2, 100, 100);

async function vi(d: Daemon, name = "vi1"): Promise<InstanceStatus> {
  const s = await d.status(name);
  if (!s.ok) throw new Error(s.error);
  return s.instances[0];
}

Deno.test("a master whose sends fail 3 times in a row goes FAULT, counted, and rejoins when they work", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await bootDaemon(host, CONF);
  await host.advance(MASTER_DOWN_MS + 10);
  assert.equal((await vi(daemon)).state, "master");
  host.sendFails.set("eth0", "sendto: Operation not permitted");
  // one advert per second: the third failure in a row steps back
  await host.advance((SEND_FAULT_AFTER_ERRORS - 1) * 1000 + 10);
  assert.equal((await vi(daemon)).state, "master");
  await host.advance(1000);
  let st = await vi(daemon);
  assert.equal(st.state, "fault");
  // the three adverts, and the resigning priority-0 advert on the way to FAULT
  assert.equal(st.sendErrors, SEND_FAULT_AFTER_ERRORS + 1);
  assert.match(st.lastSendError ?? "", /advert: sendto: Operation not permitted/);
  assert.match(st.lastTransition?.reason ?? "", /sendFailed \(3 sends in a row failed/);
  assert.deepEqual(host.vipsOn(), [], "a FAULT instance does not keep the VIPs");
  // one error line per run of failures, not one per send
  assert.equal(lines.filter((l) => /sending advert failed/.test(l) && /ERROR/.test(l)).length, 1);
  // sends work again: after the retry it rejoins as backup, then wins the election
  host.sendFails.delete("eth0");
  await host.advance(SELF_FAULT_RETRY_MIN_MS + MASTER_DOWN_MS + 100);
  st = await vi(daemon);
  assert.equal(st.state, "master");
  assert.deepEqual(host.vipsOn(), ["10.0.0.1"]);
  await daemon.shutdown();
});

Deno.test("after a send fault, one failure before the instance proved itself faults again", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(host, CONF);
  await host.advance(MASTER_DOWN_MS + 10);
  host.sendFails.set("eth0", "sendto: Network is down");
  await host.advance(SEND_FAULT_AFTER_ERRORS * 1000 + 10);
  assert.equal((await vi(daemon)).state, "fault");
  // the retry clears it, but sending still fails: the first failed advert as master is enough
  await host.advance(SELF_FAULT_RETRY_MIN_MS + MASTER_DOWN_MS + 100);
  const st = await vi(daemon);
  assert.equal(st.state, "fault");
  // 3 + the resigning advert, then one more advert and its resigning advert
  assert.equal(st.sendErrors, SEND_FAULT_AFTER_ERRORS + 3);
  // it works again: the next retry is later (doubled), then SEND_RECOVER_SUCCESSES end probation
  host.sendFails.delete("eth0");
  await host.advance(2 * SELF_FAULT_RETRY_MIN_MS + MASTER_DOWN_MS + SEND_RECOVER_SUCCESSES * 1000);
  assert.equal((await vi(daemon)).state, "master");
  await daemon.shutdown();
});

Deno.test("an interface re-created with a new index: sockets re-opened, adverts flow again at once", async () => {
  const host = new WatchingHost();
  const { daemon, lines } = await bootDaemon(host, CONF);
  await host.advance(MASTER_DOWN_MS + 10);
  // deleted and re-created: the old sockets name an index that is gone
  host.ifindex.set("eth0", 7);
  await host.advance(1010);
  assert.equal((await vi(daemon)).sendErrors, 1);
  host.announce("eth0", true); // RTM_NEWLINK
  const before = host.adverts.length;
  await host.advance(2000);
  assert.ok(host.adverts.length >= before + 2, "adverts are sent again");
  assert.ok(lines.some((l) => /eth0 was re-created \(new index\): sockets re-opened/.test(l)));
  assert.equal((await vi(daemon)).state, "master");
  await daemon.shutdown();
});

Deno.test("without link events, the periodic check re-opens a re-created interface", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(host, CONF);
  await host.advance(MASTER_DOWN_MS + 10);
  host.ifindex.set("eth0", 9);
  await host.advance(6000);
  const st = await vi(daemon);
  // at most the send-fault retry or the 5 s check; either way it is master and sending again
  const sent = host.adverts.filter((a) => a.at > host.nowMs - 1500).length;
  assert.ok(sent >= 1 || st.state === "fault", `state ${st.state}, ${sent} recent adverts`);
  await host.advance(10_000);
  assert.equal((await vi(daemon)).state, "master");
  await daemon.shutdown();
});

Deno.test("a master whose VIPs cannot be configured gives way after the timeout, and rejoins once ip works", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await bootDaemon(host, CONF, undefined, { vipFailTimeoutMs: 3000 });
  host.failNext = 1_000_000;
  host.vipToolWorks = false;
  await host.advance(MASTER_DOWN_MS + 10);
  assert.equal((await vi(daemon)).state, "master");
  await host.advance(2900);
  assert.equal((await vi(daemon)).state, "master", "not before the timeout");
  await host.advance(200);
  let st = await vi(daemon);
  assert.equal(st.state, "fault");
  assert.equal(st.vipGiveWays, 1);
  assert.match(st.lastTransition?.reason ?? "", /vipsNotConfigured \(for 3000 ms: ip addr add/);
  assert.ok(lines.some((l) => /ERROR.*stepping back to FAULT: vipsNotConfigured/.test(l)));
  // ip keeps failing: it stays out (no flapping back to master while it cannot serve)
  await host.advance(30_000);
  assert.equal((await vi(daemon)).state, "fault");
  host.failNext = 0;
  host.vipToolWorks = true;
  await host.advance(64_000 + MASTER_DOWN_MS);
  st = await vi(daemon);
  assert.equal(st.state, "master");
  assert.deepEqual(host.vipsOn(), ["10.0.0.1"]);
  assert.equal(st.vipGiveWays, 1);
  await daemon.shutdown();
});

Deno.test("an interface missing at start: its instance waits in FAULT and starts when it appears", async () => {
  const host = new WatchingHost();
  const conf = CONF + CONF.replace("vi1", "vi2").replace("eth0", "eth7").replace(
    "virtual_router_id 1",
    "virtual_router_id 2",
  ).replace("10.0.0.1", "10.0.7.1");
  const { daemon, lines, transitions } = await bootDaemon(host, conf);
  assert.ok(lines.some((l) => /interface eth7 does not exist: vi2 stay in FAULT/.test(l)));
  await host.advance(MASTER_DOWN_MS + 10);
  assert.equal((await vi(daemon, "vi1")).state, "master");
  assert.equal((await vi(daemon, "vi2")).state, "fault");
  host.interfaces.set("eth7", "10.0.7.9");
  host.announce("eth7", true);
  await host.advance(MASTER_DOWN_MS + 100);
  const st = await vi(daemon, "vi2");
  assert.equal(st.state, "master");
  assert.equal(st.masterIp, "10.0.7.9", "the advert source comes from the interface that appeared");
  // hooks (notify) saw FAULT, then the new start: no STOP for the instance that never ran
  assert.deepEqual(transitions.filter((t) => t.startsWith("vi2")), [
    "vi2 initialize -> fault",
    "vi2 initialize -> backup",
    "vi2 backup -> master",
  ]);
  await daemon.shutdown();
});

const UNICAST_CONF = CONF.replace(
  "  advert_int 1\n",
  "  advert_int 1\n  unicast_peer {\n    10.101.1.2\n    10.101.1.3\n  }\n",
);

Deno.test("unicast: one unreachable peer is counted, not a fault; no peer reachable is a send failure", async () => {
  const host = new FakeHost();
  const { daemon } = await bootDaemon(host, UNICAST_CONF);
  await host.advance(MASTER_DOWN_MS + 10);
  assert.equal((await vi(daemon)).state, "master");
  host.sendFailsTo.set("10.101.1.2", "sendto: No route to host");
  await host.advance((SEND_FAULT_AFTER_ERRORS + 2) * 1000);
  let st = await vi(daemon);
  assert.equal(st.state, "master", "the other peer still hears us");
  assert.ok((st.sendErrors ?? 0) >= SEND_FAULT_AFTER_ERRORS + 2, `${st.sendErrors} send errors`);
  assert.match(st.lastSendError ?? "", /advert: to 10\.101\.1\.2: sendto: No route to host/);
  const toOther = host.adverts.filter((a) => a.to.dst === "10.101.1.3" && a.at > MASTER_DOWN_MS);
  assert.ok(toOther.length >= SEND_FAULT_AFTER_ERRORS + 2);
  // neither peer: a round with no destination sent to is one failed send; 3 in a row fault
  host.sendFailsTo.set("10.101.1.3", "sendto: No route to host");
  await host.advance(SEND_FAULT_AFTER_ERRORS * 1000 + 10);
  st = await vi(daemon);
  assert.equal(st.state, "fault");
  assert.match(
    st.lastTransition?.reason ?? "",
    /sendFailed \(3 sends in a row failed, last: to 10\.101\.1\.2/,
  );
  await daemon.shutdown();
});

const V6_CONF = `vrrp_instance v6 {
  interface eth7
  virtual_router_id 1
  priority 100
  advert_int 1
  mcast_dst_ip ff02::14
  virtual_ipaddress {
    fd00::1/64
  }
}
`;

Deno.test("an IPv6 interface missing at start: when it appears, IPv6 is opened and mcast_dst_ip joined", async () => {
  const host = new WatchingHost();
  const { daemon } = await bootDaemon(host, CONF + V6_CONF);
  await host.advance(MASTER_DOWN_MS + 10);
  assert.equal((await vi(daemon, "v6")).state, "fault");
  assert.deepEqual(host.families.filter((f) => f.startsWith("eth7")), []);
  host.interfaces.set("eth7", "10.0.7.9");
  host.linkLocal.set("eth7", "fe80::7:1");
  host.announce("eth7", true);
  await host.advance(2 * MASTER_DOWN_MS + 100);
  const st = await vi(daemon, "v6");
  assert.equal(st.state, "master");
  assert.equal(st.masterIp, "fe80::7:1");
  assert.ok(host.families.includes("eth7 ipv6"), host.families.join(", "));
  assert.ok(host.joined.includes("eth7 ipv6 ff02::14"), host.joined.join(", "));
  const last = host.adverts.filter((a) => a.iface === "eth7").at(-1);
  assert.deepEqual(last && { src: last.to.src, dst: last.to.dst, family: last.to.family }, {
    src: "fe80::7:1",
    dst: "ff02::14",
    family: "ipv6",
  });
  await daemon.shutdown();
});

Deno.test("an interface re-created with another IPv6 link-local address: the instance restarts from it", async () => {
  const host = new WatchingHost();
  host.interfaces.set("eth7", "10.0.7.9");
  host.linkLocal.set("eth7", "fe80::7:1");
  const { daemon, lines, transitions } = await bootDaemon(host, V6_CONF);
  await host.advance(2 * MASTER_DOWN_MS + 10);
  assert.equal((await vi(daemon, "v6")).state, "master");
  // re-created with a new MAC: a new index and a new link-local address
  host.ifindex.set("eth7", 8);
  host.linkLocal.set("eth7", "fe80::7:2");
  host.announce("eth7", true);
  await host.advance(2 * MASTER_DOWN_MS + 100);
  const st = await vi(daemon, "v6");
  assert.equal(st.state, "master");
  assert.equal(st.masterIp, "fe80::7:2");
  assert.equal(host.adverts.at(-1)?.to.src, "fe80::7:2");
  assert.ok(lines.some((l) => /eth7 has a new source address: restarting v6/.test(l)));
  // the rebound port joined mcast_dst_ip again
  assert.equal(host.joined.filter((j) => j === "eth7 ipv6 ff02::14").length >= 2, true);
  // hooks saw no STOP for the quiet restart
  assert.ok(!transitions.some((t) => /-> (stop|initialize)$/.test(t)), transitions.join("; "));
  await daemon.shutdown();
});
