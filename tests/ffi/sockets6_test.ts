/** The raw IPv6 socket on a real (namespaced) wire: ff02::12, hop limit, recvmsg ancillary data. */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab } from "../netns/lab.ts";
import { inNetns } from "../../ffi/netns.ts";
import { RawIp6Socket } from "../../ffi/raw_socket6.ts";
import type { ReceivedPacket } from "../../ffi/poller.ts";
import { dumpIpv6Addresses } from "../../ffi/netlink_addr.ts";
import { interfaceIndex } from "../../ffi/netif.ts";
import { Family, parseAddress, readAddress } from "../../lib/vrrp/address.ts";

const NEEDS = { root: true, commands: ["ip", "nft", "sysctl"] };
const GROUP = "ff02::12";

async function eventually(cond: () => boolean, ms = 2000): Promise<boolean> {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

const bytes = (s: string) => parseAddress(s)!.bytes;

testWith(
  "RawIp6Socket: A's message reaches B on ff02::12 from A's link-local address, hop limit 255",
  NEEDS,
  async () => {
    await using lab = await Lab.create({ routers: ["a", "b"], client: false, ipv6: true });
    const llA = await lab.linkLocal("a");
    const llB = await lab.linkLocal("b");
    // rtnetlink reads the same link-local address the kernel shows
    const seen = inNetns(lab.ns("a"), () => {
      const index = interfaceIndex("eth0");
      return dumpIpv6Addresses().filter((x) => x.ifindex === index && x.scope === "link")
        .map((x) => readAddress(x.address, 0, Family.ipv6));
    });
    assert.deepEqual(seen, [llA]);
    const a = inNetns(lab.ns("a"), () => RawIp6Socket.open("eth0"));
    const b = inNetns(lab.ns("b"), () => RawIp6Socket.open("eth0"));
    const atA: ReceivedPacket[] = [];
    const atB: ReceivedPacket[] = [];
    const loops = [a.receiveLoop((p) => atA.push(p)), b.receiveLoop((p) => atB.push(p))];
    try {
      const message = Uint8Array.of(0x31, 52, 100, 0, 0, 10, 0, 0);
      a.send(message, bytes(llA));
      assert.ok(await eventually(() => atB.length > 0), "B received A's message");
      const p = atB[0];
      assert.deepEqual(p.bytes, message, "no header: the kernel keeps it");
      assert.ok(p.ip6);
      assert.equal(readAddress(p.ip6.src, 0, Family.ipv6), llA);
      assert.equal(readAddress(p.ip6.dst, 0, Family.ipv6), GROUP);
      assert.equal(p.ip6.hopLimit, 255);
      assert.equal(p.ip6.ifindex, inNetns(lab.ns("b"), () => interfaceIndex("eth0")));
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(atA.length, 0, "multicast loop is off");
      // unicast to B's link-local address: hop limit 255 too (IPV6_UNICAST_HOPS)
      a.send(message, bytes(llA), bytes(llB));
      assert.ok(await eventually(() => atB.length > 1), "B received the unicast message");
      assert.equal(readAddress(atB[1].ip6!.dst, 0, Family.ipv6), llB);
      assert.equal(atB[1].ip6!.hopLimit, 255);
    } finally {
      await a.close();
      await b.close();
    }
    await Promise.all(loops);
    assert.throws(() => a.send(new Uint8Array(8), bytes(llA)), /closed/);
  },
);
