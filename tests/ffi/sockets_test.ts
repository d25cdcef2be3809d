/** Real sockets inside a throwaway lab of network namespaces. */

import assert from "node:assert/strict";
import { missingPrerequisite, testWith } from "../_support/env.ts";
import { Lab } from "../netns/lab.ts";
import { interfaceInfo } from "../../ffi/netif.ts";
import { inNetns } from "../../ffi/netns.ts";
import { RawIpSocket, type ReceivedPacket } from "../../ffi/raw_socket.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { ETH_P_ALL, ETH_P_ARP } from "../../ffi/libc.ts";
import { ipv4String, macString } from "../../ffi/structs.ts";

/** 4 address bytes of a dotted quad (test input; the project's parser lives in lib/). */
const ipv4Bytes = (s: string) => Uint8Array.from(s.split(".").map(Number));

const NEEDS = { root: true, commands: ["ip", "nft"] };

/** A VRRP-shaped IPv4 packet: TOS 0xc0, TTL 255, protocol 112, to 224.0.0.18 (checksums left to the kernel / unchecked). */
function vrrpPacket(source: string, vrid: number): Uint8Array {
  const p = new Uint8Array(20 + 20);
  const v = new DataView(p.buffer);
  p[0] = 0x45;
  p[1] = 0xc0;
  v.setUint16(2, p.length);
  p[8] = 255;
  p[9] = 112;
  p.set(ipv4Bytes(source), 12);
  p.set(ipv4Bytes("224.0.0.18"), 16);
  p.set([0x21, vrid, 100, 1, 0, 1], 20);
  p.set(ipv4Bytes("10.101.0.10"), 28);
  return p;
}

/** Resolves when `pred` holds, polling every 20 ms; false after `timeoutMs`. */
async function eventually(pred: () => boolean, timeoutMs = 2000): Promise<boolean> {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    if (pred()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return pred();
}

testWith("interfaceInfo() inside a namespace: index, MAC, primary IP, flags", NEEDS, async () => {
  await using lab = await Lab.create({ routers: ["a"], client: false });
  const info = inNetns(lab.ns("a"), () => interfaceInfo("eth0"));
  const link = JSON.parse(await lab.must("a", ["ip", "-j", "link", "show", "dev", "eth0"]))[0];
  assert.equal(info.name, "eth0");
  assert.equal(info.index, link.ifindex);
  assert.equal(macString(info.mac), link.address);
  assert.equal(info.primaryIp, "10.101.1.185");
  assert.equal(info.up, true);
  assert.equal(info.running, true);
  await lab.linkDown("a");
  const down = inNetns(lab.ns("a"), () => interfaceInfo("eth0"));
  assert.equal(down.up, true, "the router's eth0 stays administratively up");
  assert.equal(down.running, false, "no carrier once the switch port is down");
  const lo = inNetns(lab.ns("a"), () => interfaceInfo("lo"));
  assert.equal(lo.primaryIp, "127.0.0.1");
  await lab.must("a", ["ip", "link", "add", "vx0", "type", "veth", "peer", "name", "vx1"]);
  assert.equal(inNetns(lab.ns("a"), () => interfaceInfo("vx0")).primaryIp, null);
});

testWith(
  "RawIpSocket: A's advert reaches B with TTL 255, protocol 112; A does not hear itself",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a", "b"], client: false });
    const a = inNetns(lab.ns("a"), () => RawIpSocket.open("eth0"));
    const b = inNetns(lab.ns("b"), () => RawIpSocket.open("eth0"));
    const atA: ReceivedPacket[] = [];
    const atB: ReceivedPacket[] = [];
    const loops = [a.receiveLoop((p) => atA.push(p)), b.receiveLoop((p) => atB.push(p))];
    try {
      const before = performance.now();
      a.send(vrrpPacket(lab.ip("a"), 51));
      assert.ok(await eventually(() => atB.length > 0), "B received the advert");
      const p = atB[0].bytes;
      assert.equal(p[0] >> 4, 4);
      assert.equal(p[1], 0xc0, "TOS as sent");
      assert.equal(p[8], 255, "TTL 255");
      assert.equal(p[9], 112, "protocol 112");
      assert.equal(ipv4String(p, 12), lab.ip("a"));
      assert.equal(ipv4String(p, 16), "224.0.0.18");
      assert.equal(p[21], 51, "the VRRP payload follows the header");
      assert.ok(atB[0].atMs >= before && atB[0].atMs <= performance.now());
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(atA.length, 0, "multicast loop is off");
      assert.equal(atB.length, 1);
      // and the other way round
      b.send(vrrpPacket(lab.ip("b"), 52));
      assert.ok(await eventually(() => atA.length > 0), "A received B's advert");
      assert.equal(ipv4String(atA[0].bytes, 12), lab.ip("b"));
    } finally {
      await a.close();
      await b.close();
    }
    await Promise.all(loops);
  },
);

testWith(
  "RawIpSocket.drainNow(): a queued packet is delivered synchronously, exactly once",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a", "b"], client: false });
    const a = inNetns(lab.ns("a"), () => RawIpSocket.open("eth0"));
    const b = inNetns(lab.ns("b"), () => RawIpSocket.open("eth0"));
    const atB: ReceivedPacket[] = [];
    assert.equal(b.drainNow(), 0, "no receive loop yet: nothing to deliver to");
    const loop = b.receiveLoop((p) => atB.push(p));
    try {
      // no await from send to delivery: the loop's own wake-up cannot run in between
      a.send(vrrpPacket(lab.ip("a"), 53));
      let drained = 0;
      const end = performance.now() + 500;
      while (drained === 0 && performance.now() < end) drained = b.drainNow();
      assert.equal(drained, 1);
      assert.equal(atB.length, 1);
      assert.equal(atB[0].bytes[21], 53);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(atB.length, 1, "the loop did not deliver it a second time");
      assert.equal(b.drainNow(), 0);
    } finally {
      await a.close();
      await b.close();
    }
    await loop;
    assert.equal(b.drainNow(), 0, "closed: nothing");
  },
);

testWith("cut()/heal() blocks and restores VRRP multicast while links stay up", NEEDS, async () => {
  await using lab = await Lab.create({ routers: ["a", "b"], client: false });
  const a = inNetns(lab.ns("a"), () => RawIpSocket.open("eth0"));
  const b = inNetns(lab.ns("b"), () => RawIpSocket.open("eth0"));
  const atB: ReceivedPacket[] = [];
  const loop = b.receiveLoop((p) => atB.push(p));
  try {
    await lab.cut("a");
    a.send(vrrpPacket(lab.ip("a"), 1));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(atB.length, 0, "nothing crosses a cut port");
    assert.equal(inNetns(lab.ns("a"), () => interfaceInfo("eth0")).running, true);
    assert.equal(inNetns(lab.ns("b"), () => interfaceInfo("eth0")).running, true);
    await lab.heal("a");
    a.send(vrrpPacket(lab.ip("a"), 2));
    assert.ok(await eventually(() => atB.length > 0), "delivered again after heal");
    assert.equal(atB[0].bytes[21], 2);
  } finally {
    await a.close();
    await b.close();
  }
  await loop;
});

const gate = missingPrerequisite(NEEDS);
Deno.test({
  name: "RawIpSocket.close() wakes a pending receive promptly and leaves no pending op",
  ignore: gate !== null,
  async fn() {
    const lab = await Lab.create({ routers: ["a"], client: false });
    try {
      const a = inNetns(lab.ns("a"), () => RawIpSocket.open("eth0"));
      let ended = false;
      const loop = a.receiveLoop(() => {}).then(() => (ended = true));
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(ended, false);
      const t0 = performance.now();
      await a.close();
      await loop;
      assert.ok(performance.now() - t0 < 1000, `close took ${performance.now() - t0} ms`);
      assert.equal(ended, true);
      await a.close(); // idempotent
      assert.throws(() => a.send(new Uint8Array(20)), /closed/);
      await a.receiveLoop(() => {}); // resolves at once on a closed socket
    } finally {
      await lab.destroy();
    }
  },
});

testWith(
  "PacketSocket: a gratuitous ARP frame reaches the client with the sender's MAC",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: true });
    const info = inNetns(lab.ns("a"), () => interfaceInfo("eth0"));
    const tx = inNetns(lab.ns("a"), () => PacketSocket.open("eth0"));
    const rx = inNetns(
      lab.ns("c"),
      () => PacketSocket.open("eth0", { protocol: ETH_P_ARP, receive: true }),
    );
    const frames: ReceivedPacket[] = [];
    const loop = rx.receiveLoop((p) => frames.push(p));
    try {
      const vip = ipv4Bytes("10.101.0.10");
      const f = new Uint8Array(42);
      f.fill(0xff, 0, 6);
      f.set(info.mac, 6);
      f.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1], 12);
      f.set(info.mac, 22);
      f.set(vip, 28);
      f.fill(0xff, 32, 38);
      f.set(vip, 38);
      tx.send(f);
      assert.ok(await eventually(() => frames.some((p) => !p.outgoing)), "client saw the frame");
      const got = frames.find((p) => !p.outgoing)!.bytes;
      assert.equal(macString(got.subarray(6, 12)), await lab.mac("a"));
      assert.equal(macString(got.subarray(22, 28)), macString(info.mac), "ARP sender MAC");
      assert.equal(ipv4String(got, 28), "10.101.0.10");
      assert.deepEqual(Array.from(got.subarray(12, 14)), [0x08, 0x06]);
    } finally {
      await tx.close();
      await rx.close();
    }
    await loop;
  },
);

testWith(
  "PacketSocket: ETH_P_ARP hears the client's request; ETH_P_ALL also its own reply",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: true });
    const arp = inNetns(lab.ns("a"), () => PacketSocket.open("eth0", { receive: true }));
    const all = inNetns(
      lab.ns("a"),
      () => PacketSocket.open("eth0", { protocol: ETH_P_ALL, receive: true }),
    );
    const arpFrames: ReceivedPacket[] = [];
    const allFrames: ReceivedPacket[] = [];
    const loops = [
      arp.receiveLoop((p) => arpFrames.push(p)),
      all.receiveLoop((p) => allFrames.push(p)),
    ];
    try {
      assert.equal(await lab.arpProbe("c", lab.ip("a")), await lab.mac("a"));
      const isArp = (p: ReceivedPacket, op: number) =>
        p.bytes[12] === 0x08 && p.bytes[13] === 0x06 && p.bytes[21] === op;
      assert.ok(await eventually(() => arpFrames.some((p) => isArp(p, 1))), "request seen");
      const request = arpFrames.find((p) => isArp(p, 1))!;
      assert.equal(request.outgoing, false);
      assert.equal(macString(request.bytes.subarray(6, 12)), await lab.mac("c"));
      assert.ok(
        await eventually(() => allFrames.some((p) => p.outgoing && isArp(p, 2))),
        "own reply seen",
      );
      const reply = allFrames.find((p) => p.outgoing && isArp(p, 2))!;
      assert.equal(macString(reply.bytes.subarray(6, 12)), await lab.mac("a"));
    } finally {
      await arp.close();
      await all.close();
    }
    await Promise.all(loops);
  },
);
