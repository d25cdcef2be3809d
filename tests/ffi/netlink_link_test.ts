/** The rtnetlink link watch: the pure parser, and real announcements inside a namespace. */

import assert from "node:assert/strict";
import fc from "fast-check";
import { testWith } from "../_support/env.ts";
import { Lab } from "../netns/lab.ts";
import { inNetns } from "../../ffi/netns.ts";
import {
  type LinkEvent,
  LinkMonitor,
  parseLinkMessages,
  RTM_DELLINK,
  RTM_NEWLINK,
} from "../../ffi/netlink_link.ts";
import { sockaddrNl } from "../../ffi/netlink.ts";

/** One netlink message: nlmsghdr + ifinfomsg + an IFLA_IFNAME attribute (when `name`). */
function linkMessage(type: number, index: number, flags: number, name?: string): Uint8Array {
  const nameBytes = name === undefined ? null : new TextEncoder().encode(name + "\0");
  const attrLen = nameBytes ? 4 + nameBytes.length : 0;
  const len = 16 + 16 + ((attrLen + 3) & ~3);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, type, true);
  v.setInt32(16 + 4, index, true);
  v.setUint32(16 + 8, flags, true);
  if (nameBytes) {
    v.setUint16(32, attrLen, true);
    v.setUint16(34, 3, true); // IFLA_IFNAME
    b.set(nameBytes, 36);
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

Deno.test("parseLinkMessages() reads flags and IFLA_IFNAME of RTM_NEWLINK / RTM_DELLINK", () => {
  const buf = concat(
    linkMessage(RTM_NEWLINK, 2, 0x1 | 0x40 | 0x1000, "eth0"),
    linkMessage(20, 9, 0, "skipme"), // RTM_NEWADDR: not a link message
    linkMessage(RTM_NEWLINK, 3, 0x1, "eth1"),
    linkMessage(RTM_DELLINK, 4, 0, "vx0"),
    linkMessage(RTM_NEWLINK, 5, 0x41),
  );
  assert.deepEqual(
    parseLinkMessages(buf),
    [
      { deleted: false, ifindex: 2, name: "eth0", up: true, running: true },
      { deleted: false, ifindex: 3, name: "eth1", up: true, running: false },
      { deleted: true, ifindex: 4, name: "vx0", up: false, running: false },
      { deleted: false, ifindex: 5, name: null, up: true, running: true },
    ] satisfies LinkEvent[],
  );
});

Deno.test("parseLinkMessages() stops at a truncated message and never throws on garbage", () => {
  const whole = linkMessage(RTM_NEWLINK, 2, 0x41, "eth0");
  assert.deepEqual(parseLinkMessages(whole.subarray(0, whole.length - 4)), []);
  assert.equal(parseLinkMessages(concat(whole, whole.subarray(0, 20))).length, 1);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    assert.ok(Array.isArray(parseLinkMessages(bytes)));
  }));
});

Deno.test("sockaddrNl() is AF_NETLINK with the groups in nl_groups", () => {
  const a = new DataView(sockaddrNl(1).buffer);
  assert.equal(a.byteLength, 12);
  assert.equal(a.getUint16(0, true), 16);
  assert.equal(a.getUint32(4, true), 0);
  assert.equal(a.getUint32(8, true), 1);
});

testWith(
  "LinkMonitor announces carrier loss and return inside a namespace",
  { root: true, commands: ["ip", "nft"] },
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: false });
    const monitor = inNetns(lab.ns("a"), () => LinkMonitor.open());
    const seen: (LinkEvent[] | null)[] = [];
    const loop = monitor.run((e) => seen.push(e));
    try {
      const eth0 = () => seen.flatMap((e) => e ?? []).filter((e) => e.name === "eth0");
      const waitFor = async (pred: (e: LinkEvent) => boolean) => {
        const end = performance.now() + 3000;
        while (performance.now() < end && !eth0().some(pred)) {
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.ok(eth0().some(pred), `no matching event in ${JSON.stringify(seen)}`);
      };
      await lab.linkDown("a");
      await waitFor((e) => !e.running && e.up);
      seen.length = 0;
      await lab.linkUp("a");
      await waitFor((e) => e.running);
    } finally {
      await monitor.close();
      await loop;
      await monitor.close(); // idempotent
    }
  },
);
