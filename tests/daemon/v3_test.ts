/** The daemon with VRRPv3 in both families, on fake ports: dispatch, timers, announcements. */
import assert from "node:assert/strict";
import { decodeAdvert } from "../../lib/vrrp/packet.ts";
import { decodeNeighborAdvert } from "../../lib/vrrp/ndisc.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";
import { received } from "../_support/adverts.ts";
import { renderStatus } from "../../lib/cli/status.ts";
import { bootDaemon, FakeHost, flush } from "./fakes.ts";

const LL = "fe80::a:1";
const PEER_LL = "fe80::a:2";

const CONF = `global_defs {
  vrrp_version 3
}
vrrp_instance v4 {
  interface eth0
  virtual_router_id 51
  priority 99
  advert_int 0.1
  virtual_ipaddress {
    10.101.0.151/24
  }
}
vrrp_instance v6 {
  interface eth0
  virtual_router_id 51
  priority 99
  advert_int 0.1
  virtual_ipaddress {
    fd00:101::151/64
  }
}
`;

function host(): FakeHost {
  const h = new FakeHost();
  h.linkLocal.set("eth0", LL);
  return h;
}

function v3(over: Partial<Advertisement>): Advertisement {
  return {
    version: 3,
    vrid: 51,
    priority: 150,
    advertIntervalCs: 10,
    authType: 0,
    authData: new Uint8Array(0),
    addresses: [],
    ...over,
  };
}

Deno.test("RFC 5798 §6.4.1: both families take over at 3 × 100 ms + Skew_Time; v6 adverts go from the link-local address to ff02::12", async () => {
  const h = host();
  const { daemon } = await bootDaemon(h, CONF);
  const v4 = daemon.instances.get("v4")!;
  const v6 = daemon.instances.get("v6")!;
  const mdi = masterDownIntervalMs(3, 10, 99);
  assert.equal(mdi, 361.328125);
  await h.advance(Math.floor(mdi));
  assert.equal(v4.role, "backup");
  assert.equal(v6.role, "backup");
  await h.advance(1);
  assert.equal(v4.role, "master");
  assert.equal(v6.role, "master");
  await h.advance(1000);
  const sent = h.adverts.map((a) => ({ to: a.to, r: decodeAdvert(a.message, a.to) }));
  const six = sent.filter((s) => s.to.family === "ipv6");
  const four = sent.filter((s) => s.to.family === "ipv4");
  assert.deepEqual(six[0].to, { family: "ipv6", src: LL, dst: "ff02::12", hopLimit: 255 });
  assert.deepEqual(four[0].to, {
    family: "ipv4",
    src: "10.101.1.185",
    dst: "224.0.0.18",
    hopLimit: 255,
  });
  for (const s of sent) {
    assert.ok(s.r.ok && s.r.advert.version === 3 && s.r.advert.advertIntervalCs === 10);
  }
  // ten adverts a second, each family
  assert.ok(six.length >= 10 && six.length <= 12, `${six.length} IPv6 adverts`);
  assert.ok(four.length >= 10 && four.length <= 12, `${four.length} IPv4 adverts`);
  // RFC 5798 §6.4.2: unsolicited neighbour advertisements for the IPv6 VIP, ARP for the IPv4 one
  const nas = h.frames.map((f) => decodeNeighborAdvert(f.frame.subarray(14))).filter((n) => n);
  assert.ok(nas.length >= 1);
  assert.equal(nas[0]!.target, "fd00:101::151");
  assert.ok(nas[0]!.unsolicited && nas[0]!.override);
  assert.ok(h.frames.some((f) => f.frame[12] === 0x08 && f.frame[13] === 0x06));
  assert.deepEqual(h.vipsOn(), ["10.101.0.151", "fd00:101::151"]);
  await daemon.shutdown();
});

Deno.test("RFC 5798 §5.2.3: the same VRID in both families is two instances; adverts go to their own", async () => {
  const h = host();
  const { daemon } = await bootDaemon(h, CONF);
  const v4 = daemon.instances.get("v4")!;
  const v6 = daemon.instances.get("v6")!;
  // a higher-priority IPv6 master only: the IPv6 instance follows it, the IPv4 one takes over
  for (let t = 0; t < 10; t++) {
    h.deliver("eth0", received(v3({ addresses: ["fd00:101::151"] }), { source: PEER_LL }));
    await h.advance(50);
  }
  assert.equal(v6.role, "backup");
  assert.equal(v4.role, "master");
  assert.equal(v6.status().drops.versionMismatch ?? 0, 0);
  await daemon.shutdown();
});

Deno.test("RFC 5798 §6.4.2: a backup learns the master's interval: a 1 s master is not declared dead at 361 ms", async () => {
  const h = host();
  const { daemon } = await bootDaemon(h, CONF);
  const v6 = daemon.instances.get("v6")!;
  h.deliver(
    "eth0",
    received(v3({ advertIntervalCs: 100, addresses: ["fd00:101::151"] }), { source: PEER_LL }),
  );
  await flush();
  // status shows what FRR's `show vrrp json` shows: family, version, the intervals in ms
  const st = v6.status();
  assert.equal(st.family, "ipv6");
  assert.equal(st.protocolVersion, 3);
  assert.equal(st.advertIntervalMs, 100);
  assert.equal(st.masterAdvertIntervalMs, 1000);
  assert.equal(st.skewTimeMs, 613.28125);
  assert.equal(st.masterDownIntervalMs, 3613.28125);
  const text = renderStatus({
    ok: true,
    version: 1,
    pid: 1,
    configFile: "x",
    startedAt: "t",
    instances: [st],
  });
  assert.ok(text.includes("vrid 51  VRRPv3 IPv6"), text);
  assert.match(
    text,
    /timers +advert 100 ms, master's 1000 ms, skew 613\.281 ms, master down 3613\.281 ms/,
  );
  await h.advance(2000);
  assert.equal(v6.role, "backup", "Master_Down_Interval is now 3 × 1 s + skew");
  await h.advance(masterDownIntervalMs(3, 100, 99) - 2000 + 5);
  assert.equal(v6.role, "master");
  await daemon.shutdown();
});

Deno.test("a v3 advert with a wrong IPv6 hop limit or pseudo-header is dropped and counted on its instance", async () => {
  const h = host();
  const { daemon } = await bootDaemon(h, CONF);
  const v6 = daemon.instances.get("v6")!;
  const r = received(v3({ addresses: ["fd00:101::151"] }), { source: PEER_LL, ttl: 64 });
  h.deliver("eth0", r);
  // checksummed for another source: the pseudo-header no longer matches
  h.deliver("eth0", {
    ...received(v3({ addresses: ["fd00:101::151"] }), { source: PEER_LL }),
    src: "fe80::99",
  });
  await flush();
  assert.deepEqual(v6.status().drops, { badTtl: 1, badChecksum: 1 });
  await daemon.shutdown();
});

Deno.test("an IPv6 VIP a crashed run left behind is removed at start, like an IPv4 one", async () => {
  const h = host();
  h.addresses.set("eth0", new Set(["fd00:101::151", "10.101.0.151", "fd00::99"]));
  const { daemon } = await bootDaemon(h, CONF);
  assert.deepEqual(h.vipsOn(), ["fd00::99"], "an address we do not manage stays");
  await daemon.shutdown();
});

Deno.test("an IPv6 instance on an interface without a link-local address is refused at start", async () => {
  const h = new FakeHost();
  await assert.rejects(() => bootDaemon(h, CONF), /eth0 has no IPv6 link-local address/);
});

Deno.test("vrrp_mcast_group4/6: adverts go to the configured groups; a reload that changes them is refused", async () => {
  const h = host();
  const conf = CONF.replace(
    "vrrp_version 3",
    "vrrp_version 3\n  vrrp_mcast_group4 224.0.0.19\n  vrrp_mcast_group6 FF02::0:13",
  );
  let text = conf;
  const { daemon } = await bootDaemon(h, conf, () => text);
  await h.advance(400);
  const dsts = new Set(h.adverts.map((a) => `${a.to.family} ${a.to.dst}`));
  assert.deepEqual([...dsts].sort(), ["ipv4 224.0.0.19", "ipv6 ff02::13"]);
  text = conf.replace("FF02::0:13", "ff02::14");
  const r = await daemon.reload();
  assert.ok(!r.ok && /vrrp_mcast_group4\/6 changed; restart vrrp to apply/.test(r.error));
  await daemon.shutdown();
});
