/**
 * The rtnetlink address dump and watch: the pure parsers, a real namespace read against `ip -j`,
 * and real announcements of added and removed addresses.
 */

import assert from "node:assert/strict";
import fc from "fast-check";
import { testWith } from "../_support/env.ts";
import { Lab } from "../netns/lab.ts";
import { inNetns } from "../../ffi/netns.ts";
import {
  addrDumpRequest,
  AddressMonitor,
  IFA_F_TENTATIVE,
  parseAddr6Events,
  parseAddr6Messages,
  parseAddrEvents,
  parseAddrMessages,
  RTM_DELADDR,
} from "../../ffi/netlink_addr.ts";
import { netlinkHostAddresses } from "../../lib/vip/netlink_read.ts";
import { parseAddrShow } from "../../lib/vip/ip_batch.ts";

/** nlmsghdr + ifaddrmsg + attributes, as the kernel sends an RTM_NEWADDR. */
function addrMessage(
  o: { family?: number; prefix: number; scope: number; index: number; type?: number },
  attrs: [number, Uint8Array][],
): Uint8Array {
  const body = attrs.map(([t, d]) => {
    const a = new Uint8Array((4 + d.length + 3) & ~3);
    new DataView(a.buffer).setUint16(0, 4 + d.length, true);
    new DataView(a.buffer).setUint16(2, t, true);
    a.set(d, 4);
    return a;
  });
  const len = 16 + 8 + body.reduce((n, a) => n + a.length, 0);
  const b = new Uint8Array(len);
  const v = new DataView(b.buffer);
  v.setUint32(0, len, true);
  v.setUint16(4, o.type ?? 20, true); // RTM_NEWADDR unless told
  b[16] = o.family ?? 2;
  b[17] = o.prefix;
  b[19] = o.scope;
  v.setUint32(20, o.index, true);
  let off = 24;
  for (const a of body) {
    b.set(a, off);
    off += a.length;
  }
  return b;
}

const ip4 = (s: string) => new Uint8Array(s.split(".").map(Number));
const str = (s: string) => new TextEncoder().encode(s + "\0");

Deno.test("parseAddrMessages(): IPv4 entries with label, broadcast and scope; DONE and errors", () => {
  const done = new Uint8Array(20);
  new DataView(done.buffer).setUint32(0, 20, true);
  new DataView(done.buffer).setUint16(4, 3, true); // NLMSG_DONE
  const msgs = [
    addrMessage({ prefix: 22, scope: 0, index: 3 }, [
      [1, ip4("10.101.0.101")],
      [2, ip4("10.101.0.101")],
      [4, ip4("10.101.3.255")],
      [3, str("eth0:vip")],
    ]),
    addrMessage({ prefix: 8, scope: 254, index: 1 }, [[2, ip4("127.0.0.1")], [3, str("lo")]]),
    addrMessage({ family: 10, prefix: 64, scope: 0, index: 3 }, [[1, new Uint8Array(16)]]),
    done,
  ];
  const all = new Uint8Array(msgs.reduce((n, m) => n + m.length, 0));
  let off = 0;
  for (const m of msgs) {
    all.set(m, off);
    off += m.length;
  }
  assert.deepEqual(parseAddrMessages(all), {
    addrs: [
      {
        ifindex: 3,
        local: "10.101.0.101",
        prefixlen: 22,
        scope: "global",
        broadcast: "10.101.3.255",
        label: "eth0:vip",
      },
      { ifindex: 1, local: "127.0.0.1", prefixlen: 8, scope: "host", label: "lo" },
    ],
    done: true,
    errno: null,
  });
  const err = new Uint8Array(36);
  new DataView(err.buffer).setUint32(0, 36, true);
  new DataView(err.buffer).setUint16(4, 2, true); // NLMSG_ERROR
  new DataView(err.buffer).setInt32(16, -1, true); // -EPERM
  assert.deepEqual(parseAddrMessages(err), { addrs: [], done: true, errno: 1 });
  const req = addrDumpRequest(7);
  assert.equal(new DataView(req.buffer).getUint16(4, true), 22, "RTM_GETADDR");
  assert.equal(new DataView(req.buffer).getUint16(6, true), 0x301, "REQUEST | DUMP");
  assert.equal(req[16], 2, "AF_INET");
});

Deno.test("parseAddrMessages() never throws on arbitrary or truncated input", () => {
  const sample = addrMessage({ prefix: 24, scope: 0, index: 2 }, [[2, ip4("10.0.0.1")]]);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(sample.length), (junk, cut) => {
      parseAddrMessages(junk);
      parseAddrMessages(sample.subarray(0, cut));
    }),
    { numRuns: 500 },
  );
});

Deno.test("parseAddr6Messages(): IPv6 entries as bytes with scope and IFA_FLAGS; IPv4 skipped", () => {
  const ll = Uint8Array.of(0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1);
  const flags = new Uint8Array(4);
  new DataView(flags.buffer).setUint32(0, IFA_F_TENTATIVE, true);
  const msgs = [
    addrMessage({ prefix: 22, scope: 0, index: 3 }, [[2, ip4("10.101.0.101")]]),
    addrMessage({ family: 10, prefix: 64, scope: 253, index: 3 }, [[1, ll], [8, flags]]),
  ];
  const all = new Uint8Array(msgs[0].length + msgs[1].length);
  all.set(msgs[0]);
  all.set(msgs[1], msgs[0].length);
  const part = parseAddr6Messages(all);
  assert.deepEqual(part.addrs, [
    { ifindex: 3, address: ll, prefixlen: 64, scope: "link", flags: IFA_F_TENTATIVE },
  ]);
  const sample = msgs[1];
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(sample.length), (junk, cut) => {
      parseAddr6Messages(junk);
      parseAddr6Messages(sample.subarray(0, cut));
    }),
    { numRuns: 500 },
  );
});

testWith(
  "netlinkHostAddresses() reads exactly what `ip -j addr show` reports, per device, both families",
  { root: true, commands: ["ip"] },
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: false });
    for (
      const args of [
        ["10.101.0.101/22", "dev", "eth0", "label", "eth0:vip"],
        ["10.101.0.102/32", "dev", "eth0", "scope", "link"],
        ["10.101.7.7/24", "brd", "10.101.7.255", "dev", "eth0"],
        ["10.101.1.200/22", "dev", "eth0"], // a secondary in the router's own subnet
        ["fd00:101::151/64", "dev", "eth0", "nodad"], // an IPv6 VIP
      ]
    ) await lab.must("a", ["ip", "addr", "add", ...args]);
    const got = inNetns(lab.ns("a"), () => netlinkHostAddresses(["eth0", "lo", "nope0"]));
    for (const dev of ["eth0", "lo"]) {
      const want = parseAddrShow(
        await lab.must("a", ["ip", "-j", "addr", "show", "dev", dev]),
      );
      assert.deepEqual(got.get(dev), { addrs: want }, dev);
    }
    // 5 IPv4, the IPv6 VIP and the link-local address
    assert.equal(got.get("eth0")!.addrs.length, 7);
    assert.deepEqual(got.get("nope0"), { addrs: [], stderr: 'Device "nope0" does not exist.' });
  },
);

Deno.test("parseAddrEvents(): RTM_NEWADDR and RTM_DELADDR for IPv4, others skipped", () => {
  const added = addrMessage({ prefix: 22, scope: 0, index: 2 }, [
    [2, ip4("10.101.0.101")],
    [3, str("eth0:vip")],
  ]);
  const removed = addrMessage({ prefix: 22, scope: 0, index: 2, type: RTM_DELADDR }, [
    [2, ip4("10.101.0.102")],
    [3, str("eth0")],
  ]);
  const v6 = addrMessage({ family: 10, prefix: 64, scope: 0, index: 2 }, []);
  const events = parseAddrEvents(new Uint8Array([...added, ...v6, ...removed]));
  assert.deepEqual(events.map((e) => [e.deleted, e.local, e.prefixlen, e.label]), [
    [false, "10.101.0.101", 22, "eth0:vip"],
    [true, "10.101.0.102", 22, "eth0"],
  ]);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    assert.ok(Array.isArray(parseAddrEvents(bytes)));
  }));
});

Deno.test("parseAddr6Events(): RTM_NEWADDR and RTM_DELADDR for IPv6 with flags, others skipped", () => {
  const a = new Uint8Array(16);
  a.set([0x20, 0x01, 0x0d, 0xb8], 0);
  a[15] = 0x10;
  const flags = new Uint8Array(4);
  new DataView(flags.buffer).setUint32(0, IFA_F_TENTATIVE, true);
  const added = addrMessage({ family: 10, prefix: 64, scope: 0, index: 4 }, [[1, a], [8, flags]]);
  const removed = addrMessage(
    { family: 10, prefix: 64, scope: 0, index: 4, type: RTM_DELADDR },
    [[1, a]],
  );
  const v4 = addrMessage({ prefix: 22, scope: 0, index: 2 }, [[2, ip4("10.101.0.101")]]);
  const events = parseAddr6Events(new Uint8Array([...added, ...v4, ...removed]));
  assert.deepEqual(events, [
    {
      ifindex: 4,
      address: a,
      prefixlen: 64,
      scope: "global",
      flags: IFA_F_TENTATIVE,
      deleted: false,
    },
    { ifindex: 4, address: a, prefixlen: 64, scope: "global", flags: 0, deleted: true },
  ]);
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
    assert.ok(Array.isArray(parseAddr6Events(bytes)));
  }));
});

testWith(
  "AddressMonitor announces an address added and removed inside a namespace",
  { root: true, commands: ["ip"] },
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: false });
    const monitor = inNetns(lab.ns("a"), () => AddressMonitor.open());
    const seen: string[] = [];
    const hex = (b: Uint8Array) => [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    const loop = monitor.run((events) => {
      for (const e of events?.v4 ?? []) {
        seen.push(`${e.deleted ? "del" : "new"} ${e.local} ${e.label}`);
      }
      for (const e of events?.v6 ?? []) {
        seen.push(`${e.deleted ? "del" : "new"} ${hex(e.address)}/${e.prefixlen} @${e.ifindex}`);
      }
    });
    try {
      const waitFor = async (line: string) => {
        const end = performance.now() + 3000;
        while (performance.now() < end && !seen.includes(line)) {
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.ok(seen.includes(line), `${line} not in ${JSON.stringify(seen)}`);
      };
      await lab.must("a", ["ip", "addr", "add", "10.101.0.101/22", "dev", "eth0"]);
      await waitFor("new 10.101.0.101 eth0");
      await lab.must("a", ["ip", "addr", "del", "10.101.0.101/22", "dev", "eth0"]);
      await waitFor("del 10.101.0.101 eth0");
      // IPv6 too (the VIPs of IPv6 instances): announced by index, the address as bytes
      const index = Number(
        (await lab.must("a", ["cat", "/sys/class/net/eth0/ifindex"])).trim(),
      );
      const v6 = "20010db8000000000000000000000010/64 @" + index;
      await lab.must("a", ["ip", "-6", "addr", "add", "2001:db8::10/64", "dev", "eth0", "nodad"]);
      await waitFor(`new ${v6}`);
      await lab.must("a", ["ip", "-6", "addr", "del", "2001:db8::10/64", "dev", "eth0"]);
      await waitFor(`del ${v6}`);
    } finally {
      await monitor.close();
      await loop;
    }
  },
);
