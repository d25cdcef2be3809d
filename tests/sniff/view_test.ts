import { tutorialAdvert } from "../_support/adverts.ts";
import assert from "node:assert/strict";
import { SniffView } from "../../lib/sniff/view.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { decodeIpPacket as decodeIpv4Packet } from "../../lib/sniff/ip_packet.ts";
import { ipv4Packet as encodeIpv4Packet } from "../_support/adverts.ts";
import type { Advertisement, DecodeResult } from "../../lib/vrrp/types.ts";

const A = "10.101.1.185";
const B = "10.101.1.186";

const advert = tutorialAdvert;

/** An advert as the wire would deliver it, decoded. */
function rx(source: string, over: Partial<Advertisement> = {}, ttl = 255): DecodeResult {
  return decodeIpv4Packet(encodeIpv4Packet(advert(over), { source, ttl }));
}

/** `source` advertises every `everyMs` from `fromMs` up to and including `toMs`. */
function stream(
  v: SniffView,
  source: string,
  fromMs: number,
  toMs: number,
  over: Partial<Advertisement> = {},
  everyMs = 1000,
) {
  for (let t = fromMs; t <= toMs; t += everyMs) v.add(rx(source, over), t);
}

Deno.test("RFC 3768 §6.4.3: SniffView shows the single speaker of a VRID as master", () => {
  const v = new SniffView();
  stream(v, A, 0, 5000);
  const s = v.snapshot(5500);
  assert.equal(s.adverts, 6);
  assert.equal(s.vrids.length, 1);
  const vr = s.vrids[0];
  assert.equal(vr.vrid, 1);
  assert.equal(vr.master, A);
  assert.deepEqual(vr.speakers, [A]);
  assert.deepEqual(vr.warnings, []);
  assert.deepEqual(vr.routers, [{
    source: A,
    priority: 100,
    advertIntervalCs: 100,
    authType: 1,
    authDataHex: "312d696e7465726e",
    auth: 'pass "1-intern"',
    addresses: ["10.101.0.101", "10.101.0.102"],
    adverts: 6,
    firstSeenMs: 0,
    lastSeenMs: 5000,
    ttl: 255,
    destinations: ["224.0.0.18"],
    speaking: true,
  }]);
});

Deno.test("RFC 3768 §6.1: a master silent for 3 intervals is no longer master", () => {
  const v = new SniffView();
  stream(v, A, 0, 2000, { advertIntervalCs: 200 }, 2000);
  assert.equal(v.snapshot(8000).vrids[0].master, A);
  assert.equal(v.snapshot(8001).vrids[0].master, null);
  assert.equal(v.snapshot(8001).vrids[0].routers[0].speaking, false);
});

Deno.test("RFC 3768 §6.4.3: priority 0 (resigning) hands over without a two-masters warning", () => {
  // the fixture's failover: A resigns with priority 0, B takes over at priority 99
  const v = new SniffView();
  stream(v, A, 0, 5000);
  v.add(rx(A, { priority: 0 }), 5800);
  stream(v, B, 6400, 9400, { priority: 99 });
  const vr = v.snapshot(9500).vrids[0];
  assert.equal(vr.master, B);
  assert.deepEqual(vr.warnings, []);
  assert.deepEqual(vr.routers.map((r) => [r.source, r.priority, r.speaking]), [
    [A, 0, false],
    [B, 99, true],
  ]);
});

Deno.test("RFC 3768 §6.4.3: two routers advertising the same VRID raise a two-masters warning", () => {
  const v = new SniffView();
  stream(v, A, 0, 5000);
  stream(v, B, 500, 5500, { priority: 99 });
  const vr = v.snapshot(5600).vrids[0];
  assert.equal(vr.master, null);
  assert.deepEqual(vr.speakers, [A, B]);
  assert.deepEqual(vr.warnings, [`two masters: ${A} and ${B} both advertise VRID 1`]);
  assert.match(v.render(5600), /VRID 1 {2}master SPLIT BRAIN/);
});

Deno.test("RFC 3768 §6.4.3: a preempted master is not counted as a second master", () => {
  // B was master; A (higher priority) starts, B hears it and stops at once
  const v = new SniffView();
  stream(v, B, 0, 3000, { priority: 99 });
  stream(v, A, 3200, 5200);
  const vr = v.snapshot(5300).vrids[0];
  assert.equal(vr.master, A);
  assert.deepEqual(vr.warnings, []);
});

Deno.test("RFC 3768 §7.1: SniffView warns about interval, password and address mismatches", () => {
  const v = new SniffView();
  v.add(rx(A), 0);
  v.add(
    rx(B, {
      version: 2,
      advertIntervalCs: 300,
      authData: authDataFromPassword("wrong"),
      addresses: ["10.101.0.101"],
    }),
    100,
  );
  const w = v.snapshot(200).vrids[0].warnings;
  assert.deepEqual(w.slice(1), [
    `advert interval mismatch: ${A} 1s, ${B} 3s`,
    `auth mismatch: ${A} pass "1-intern", ${B} pass "wrong"`,
    `address list mismatch: ${A} [10.101.0.101,10.101.0.102], ${B} [10.101.0.101]`,
  ]);
  // routers silent for longer than staleAfterMs no longer count
  const later = new SniffView({ staleAfterMs: 10_000 });
  later.add(rx(B, { advertIntervalCs: 300 }), 0);
  stream(later, A, 20_000, 22_000);
  assert.deepEqual(later.snapshot(22_100).vrids[0].warnings, []);
});

Deno.test("RFC 3768 §7.1: SniffView warns about a wrong TTL, given or from the IP header", () => {
  const v = new SniffView();
  // a bare message decoded with the TTL from the socket's ancillary data
  const bare = rx(A);
  assert.ok(bare.ok);
  v.add({ ok: true, advert: bare.advert, ip: { ...bare.ip!, ttl: 255 }, checksum: 0 }, 0, 64);
  assert.deepEqual(v.snapshot(100).vrids[0].warnings, [
    `${A} sends IP TTL 64 (must be 255, RFC 3768 §7.1): routers drop its adverts`,
  ]);
  // a full packet with TTL 64 does not decode: counted and reported by source
  const w = new SniffView();
  w.add(rx(B, {}, 64), 0);
  const s = w.snapshot(100);
  assert.deepEqual(s.vrids, []);
  assert.deepEqual(s.dropped, { badTtl: 1 });
  assert.deepEqual(s.warnings, [
    `${B} sends VRRP with IP TTL 64 (must be 255, RFC 3768 §7.1): dropped`,
  ]);
});

Deno.test("SniffView groups by VRID, sorts routers numerically and renders text", () => {
  const v = new SniffView();
  stream(v, "10.0.0.10", 0, 1000, { vrid: 7, addresses: ["10.0.7.1"], authType: 0 });
  stream(v, A, 0, 1000, { vrid: 2 });
  v.add(rx("10.0.0.9", { vrid: 7, priority: 0, addresses: ["10.0.7.1"], authType: 0 }), 500);
  v.add({ ok: false, reason: "badChecksum", detail: "checksum 0x0000, computed 0x1234" }, 600);
  const s = v.snapshot(1500);
  assert.deepEqual(s.vrids.map((x) => x.vrid), [2, 7]);
  assert.deepEqual(s.vrids[1].routers.map((r) => r.source), ["10.0.0.9", "10.0.0.10"]);
  assert.deepEqual(s.dropped, { badChecksum: 1 });
  assert.equal(
    v.render(1500),
    [
      "VRID 2  master 10.101.1.185",
      '  10.101.1.185    prio 100  int 1s  adverts 2  last 0.5s ago  auth pass "1-intern"  ' +
      "addrs 10.101.0.101,10.101.0.102  MASTER",
      "VRID 7  master 10.0.0.10",
      "  10.0.0.9        prio   0  int 1s  adverts 1  last 1.0s ago  auth none  addrs 10.0.7.1",
      "  10.0.0.10       prio 100  int 1s  adverts 2  last 0.5s ago  auth none  addrs 10.0.7.1  MASTER",
      "dropped: badChecksum 1",
    ].join("\n"),
  );
  assert.equal(new SniffView().render(0), "no VRRP adverts seen yet");
});

/** A unicast advert from `source` to `destination`, decoded as the sniffer does. */
function urx(source: string, destination: string, ttl = 255): DecodeResult {
  return decodeIpv4Packet(encodeIpv4Packet(advert(), { source, destination, ttl }));
}

Deno.test("SniffView shows unicast adverts with their destinations; any TTL is valid for unicast", () => {
  const v = new SniffView();
  const r = urx(A, B, 64);
  assert.equal(r.ok, true, "keepalived accepts a unicast advert at TTL 64 (unicast_ttl)");
  for (let t = 0; t <= 3000; t += 1000) v.add(urx(A, B, 64), t);
  const vr = v.snapshot(3500).vrids[0];
  assert.equal(vr.master, A);
  assert.deepEqual(vr.routers[0].destinations, [B]);
  assert.deepEqual(vr.warnings, []);
  assert.match(v.render(3500), /unicast to 10\.101\.1\.186/);
});

Deno.test("SniffView warns when two routers use different unicast peer sets", () => {
  const v = new SniffView();
  const C = "10.101.1.187";
  // A sends to B and C; B (after a failover) sends to A only
  for (let t = 0; t <= 2000; t += 1000) {
    v.add(urx(A, B), t);
    v.add(urx(A, C), t);
  }
  for (let t = 3000; t <= 5000; t += 1000) v.add(urx(B, A), t);
  const vr = v.snapshot(5500).vrids[0];
  assert.ok(
    vr.warnings.some((w) =>
      w === "unicast peer sets differ: 10.101.1.185 -> [10.101.1.186, 10.101.1.187], " +
          "10.101.1.186 -> [10.101.1.185]"
    ),
    JSON.stringify(vr.warnings),
  );
});

Deno.test("SniffView warns when one router multicasts and another sends to unicast peers", () => {
  const v = new SniffView();
  for (let t = 0; t <= 2000; t += 1000) {
    v.add(rx(A), t);
    v.add(urx(B, A), t);
  }
  const vr = v.snapshot(2500).vrids[0];
  assert.ok(vr.warnings.some((w) => /^multicast and unicast mixed: 10\.101\.1\.185 send/.test(w)));
});

Deno.test("SniffView: the same peer set on both routers gives no warning", () => {
  const v = new SniffView();
  for (let t = 0; t <= 2000; t += 1000) v.add(urx(A, B), t);
  for (let t = 3000; t <= 5000; t += 1000) v.add(urx(B, A), t);
  assert.deepEqual(v.snapshot(5500).vrids[0].warnings, []);
});
