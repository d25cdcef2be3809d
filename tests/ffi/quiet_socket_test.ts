/**
 * The routine/other split on a real (namespaced) wire: with ffi/bpf_vrrp.ts's filters on B's
 * polled raw socket and its quiet one, each advert A sends lands on exactly one of them; the
 * quiet one keeps the kernel arrival time of what it queued. IPv4 (the filter reads the IP
 * header) and IPv6 (the source through SKF_NET_OFF).
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab } from "../netns/lab.ts";
import { inNetns } from "../../ffi/netns.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { RawIp6Socket } from "../../ffi/raw_socket6.ts";
import { QuietSocket } from "../../ffi/quiet_socket.ts";
import { type RoutineAdvert, routineFilters } from "../../ffi/bpf_vrrp.ts";
import type { ReceivedPacket } from "../../ffi/poller.ts";
import { parseAddress } from "../../lib/vrrp/address.ts";

const NEEDS = { root: true, commands: ["ip", "nft", "sysctl"] };
const bytes = (s: string) => parseAddress(s)!.bytes;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await sleep(10);
  }
  return cond();
}

/** A v2 advert (no checksum: nothing here decodes it) or a v3 one, `tag` as its last byte. */
function advert(version: 2 | 3, vrid: number, priority: number, interval: number, tag: number) {
  return version === 2
    ? Uint8Array.of(0x21, vrid, priority, 1, 0, interval, 0, 0, 10, 0, 0, tag)
    : Uint8Array.of(0x31, vrid, priority, 1, interval >> 8, interval & 0xff, 0, 0, 10, 0, 0, tag);
}

/** Last byte of each message (its tag); IPv4 packets carry the IP header first. */
const tags = (ps: ReceivedPacket[]) => ps.map((p) => p.bytes[p.bytes.length - 1]);

testWith("quiet IPv4 socket: routine adverts only, with their arrival time", NEEDS, async () => {
  await using lab = await Lab.create({ routers: ["a", "b"], client: false });
  const srcA = bytes(lab.ip("a"));
  const other = bytes("10.0.0.99");
  const a = inNetns(lab.ns("a"), () => RawIpSocket.open("eth0"));
  const polled = inNetns(lab.ns("b"), () => RawIpSocket.open("eth0"));
  const quiet = inNetns(lab.ns("b"), () => QuietSocket.open("eth0", "ipv4", bytes("224.0.0.18")));
  const heard: ReceivedPacket[] = [];
  const loop = polled.receiveLoop((p) => heard.push(p));
  try {
    const routine: RoutineAdvert[] = [
      { vrid: 51, version: 2, source: srcA, priority: 150, interval: 1 },
      { vrid: 52, version: 3, source: srcA, priority: 100, interval: 100 },
    ];
    const f = routineFilters("ipv4", routine);
    quiet.attachFilter(f.quiet);
    polled.attachFilter(f.polled);
    const send = (m: Uint8Array, src = srcA) =>
      a.sendMessage(m, { src, dst: bytes("224.0.0.18"), ttl: 255 });
    const sentAt = performance.now();
    send(advert(2, 51, 150, 1, 1)); // routine
    send(advert(3, 52, 100, 100, 2)); // routine
    send(advert(2, 51, 0, 1, 3)); // priority 0
    send(advert(2, 51, 151, 1, 4)); // another priority
    send(advert(2, 51, 150, 1, 5), other); // another master
    send(advert(2, 53, 150, 1, 6)); // a VRID nobody follows
    send(advert(3, 51, 150, 100, 7)); // v3 under a v2 VRID
    send(advert(3, 52, 100, 200, 8)); // another interval
    send(advert(2, 51, 150, 2, 9)); // another interval
    send(Uint8Array.of(0x21, 51)); // too short to judge
    assert.ok(await eventually(() => heard.length >= 8), `polled got ${tags(heard)}`);
    await sleep(300);
    const drained: ReceivedPacket[] = [];
    const drainedAt = performance.now();
    quiet.drain((p) => drained.push(p));
    assert.deepEqual(tags(drained), [1, 2], "the quiet socket got the routine adverts");
    assert.deepEqual(tags(heard), [3, 4, 5, 6, 7, 8, 9, 51], "the polled one the rest");
    for (const p of drained) {
      assert.ok(p.bytes[0] === 0x45, "with the IP header");
      assert.ok(
        p.atMs >= sentAt - 1 && p.atMs <= sentAt + 50,
        `arrival time ${p.atMs - sentAt} ms after sending, read ${drainedAt - sentAt} ms after`,
      );
    }
    assert.equal(quiet.drain(() => {}), 0, "drained: empty");
    // no routine adverts left: the polled socket takes everything again, the quiet one nothing
    const none = routineFilters("ipv4", []);
    quiet.attachFilter(none.quiet);
    polled.attachFilter(none.polled);
    send(advert(2, 51, 150, 1, 10));
    assert.ok(await eventually(() => heard.length === 9));
    assert.equal(quiet.drain(() => {}), 0);
  } finally {
    await a.close();
    await polled.close();
    quiet.close();
  }
  await loop;
});

testWith("quiet IPv6 socket: the source is judged through SKF_NET_OFF", NEEDS, async () => {
  await using lab = await Lab.create({ routers: ["a", "b"], client: false, ipv6: true });
  const llA = bytes(await lab.linkLocal("a"));
  await lab.must("a", ["ip", "addr", "add", "fe80::99/64", "dev", "eth0"]);
  const group = bytes("ff02::12");
  const a = inNetns(lab.ns("a"), () => RawIp6Socket.open("eth0"));
  const polled = inNetns(lab.ns("b"), () => RawIp6Socket.open("eth0"));
  const quiet = inNetns(lab.ns("b"), () => QuietSocket.open("eth0", "ipv6", group));
  const heard: ReceivedPacket[] = [];
  const loop = polled.receiveLoop((p) => heard.push(p));
  try {
    const f = routineFilters("ipv6", [
      { vrid: 52, version: 3, source: llA, priority: 100, interval: 100 },
    ]);
    quiet.attachFilter(f.quiet);
    polled.attachFilter(f.polled);
    const sentAt = performance.now();
    a.send(advert(3, 52, 100, 100, 1), llA); // routine
    a.send(advert(3, 52, 100, 100, 2), bytes("fe80::99")); // another master
    a.send(advert(3, 52, 0, 100, 3), llA); // priority 0
    a.send(advert(3, 52, 101, 100, 4), llA); // another priority
    a.send(advert(3, 53, 100, 100, 5), llA); // another VRID
    a.send(Uint8Array.of(0x31, 52, 100), llA); // too short to judge
    assert.ok(await eventually(() => heard.length >= 5), `polled got ${tags(heard)}`);
    await sleep(200);
    const drained: ReceivedPacket[] = [];
    quiet.drain((p) => drained.push(p));
    assert.deepEqual(tags(drained), [1], "the quiet socket got the routine advert");
    assert.deepEqual(tags(heard), [2, 3, 4, 5, 100], "the polled one the rest");
    const p = drained[0];
    assert.deepEqual(p.ip6?.src, llA);
    assert.equal(p.ip6?.hopLimit, 255);
    assert.ok(p.atMs >= sentAt - 1 && p.atMs <= sentAt + 50, `arrived ${p.atMs - sentAt} ms`);
  } finally {
    await a.close();
    await polled.close();
    quiet.close();
  }
  await loop;
});
