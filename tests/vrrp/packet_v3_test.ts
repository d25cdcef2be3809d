/**
 * VRRPv3 (RFC 5798 §5) against keepalived 2.2.7's own adverts: the IPv4 instance (VRID 51,
 * 224.0.0.18) and the IPv6 instance (VRID 52, link-local source to ff02::12), 100 ms adverts,
 * from tests/fixtures/packets/keepalived-2.2.7-vrrpv3.pcap (a copy of ../shared/fixtures) and its
 * tshark decoding.
 */
import assert from "node:assert/strict";
import fc from "fast-check";
import { readPcap } from "../../lib/pcap/reader.ts";
import { networkPayload } from "../../lib/pcap/link.ts";
import { toHex } from "../../lib/pcap/hex.ts";
import { decodeIpPacket } from "../../lib/sniff/ip_packet.ts";
import { Family, readAddress } from "../../lib/vrrp/address.ts";
import { decodeAdvert, encodeAdvert, vrrpChecksum } from "../../lib/vrrp/packet.ts";
import { type Advertisement, type DecodeResult, DropReason } from "../../lib/vrrp/types.ts";
import { ipPacket } from "../_support/adverts.ts";

const FIXTURES = new URL("../fixtures/packets/", import.meta.url);

interface VrrpFrame {
  frame: number;
  /** the IP packet (Ethernet header stripped) */
  ip: Uint8Array;
}

function fixtureFrames(): VrrpFrame[] {
  const pcap = readPcap(Deno.readFileSync(new URL("keepalived-2.2.7-vrrpv3.pcap", FIXTURES)));
  assert.equal(pcap.error, null);
  const out: VrrpFrame[] = [];
  for (const rec of pcap.records) {
    const np = networkPayload(pcap.header!.linkType, rec.data);
    if (np === null) continue;
    const proto = np.etherType === 0x0800 ? np.payload[9] : np.payload[6];
    if ((np.etherType === 0x0800 || np.etherType === 0x86dd) && proto === 112) {
      out.push({ frame: rec.index, ip: np.payload });
    }
  }
  return out;
}

/** What tshark says about each VRRP frame: [frame, family, source, vrid, prio, int, csum, addrs]. */
function tsharkVrrp(): [number, Family, string, number, number, number, number, string[]][] {
  const text = Deno.readTextFileSync(new URL("keepalived-2.2.7-vrrpv3.txt", FIXTURES));
  const out: [number, Family, string, number, number, number, number, string[]][] = [];
  for (const block of text.split(/\n(?=Frame \d+:)/)) {
    if (!block.includes("\nVirtual Router Redundancy Protocol")) continue;
    const get = (re: RegExp) => block.match(re)?.[1] ?? "";
    const v6 = block.includes("Internet Protocol Version 6");
    out.push([
      Number(get(/^Frame (\d+):/)),
      v6 ? Family.ipv6 : Family.ipv4,
      get(/Internet Protocol Version \d, Src: (\S+),/),
      Number(get(/Virtual Rtr ID: (\d+)/)),
      Number(get(/Priority: (\d+)/)),
      Number(get(/Adver Int: (\d+)/)),
      parseInt(get(/\n\s+Checksum: (0x[0-9a-f]+) \[correct\]/), 16),
      [...block.matchAll(/\n\s+IPv?6? ?Address: ([0-9a-f.:]+)\n/g)].map((m) => m[1]),
    ]);
  }
  return out;
}

Deno.test("RFC 5798 §5.2: decodeIpPacket() reads every keepalived 2.2.7 v3 advert as tshark does", () => {
  const frames = fixtureFrames();
  const expected = tsharkVrrp();
  assert.equal(frames.length, expected.length);
  assert.ok(expected.some((e) => e[1] === Family.ipv6) && expected.some((e) => e[1] === "ipv4"));
  frames.forEach((f, i) => {
    const [frame, family, source, vrid, priority, intervalCs, checksum, addresses] = expected[i];
    assert.equal(f.frame, frame);
    const r = decodeIpPacket(f.ip);
    assert.ok(r.ok, `frame ${frame}: ${!r.ok && r.detail}`);
    assert.deepEqual(r.advert, {
      version: 3,
      vrid,
      priority,
      advertIntervalCs: intervalCs,
      authType: 0,
      authData: new Uint8Array(0),
      addresses,
    }, `frame ${frame}`);
    assert.equal(r.checksum, checksum, `frame ${frame}`);
    assert.equal(r.ip?.family, family);
    assert.equal(r.ip?.source, source);
    assert.equal(r.ip?.ttl, 255);
  });
});

Deno.test("RFC 5798 §5.2: encodeAdvert() is byte-identical to keepalived 2.2.7 in both families", () => {
  for (const f of fixtureFrames()) {
    const r = decodeIpPacket(f.ip);
    assert.ok(r.ok && r.ip);
    const wire = { family: r.ip.family, src: r.ip.source, dst: r.ip.destination };
    const message = encodeAdvert(r.advert, wire);
    assert.equal(toHex(message), toHex(f.ip.subarray(r.ip.headerBytes)), `frame ${f.frame}`);
    if (r.ip.family === Family.ipv4) {
      // the IPv4 header too: TOS 0xc0, TTL 255, keepalived's id counting from 1
      const id = (f.ip[4] << 8) | f.ip[5];
      assert.equal(toHex(ipPacket(r.advert, { source: r.ip.source, id })), toHex(f.ip));
    } else {
      // the kernel builds IPv6 headers; keepalived sets traffic class 0xc0 (CS6)
      assert.equal(((f.ip[0] & 0x0f) << 4) | (f.ip[1] >>> 4), 0xc0);
      const flowLabel = ((f.ip[1] & 0x0f) << 16) | (f.ip[2] << 8) | f.ip[3];
      assert.equal(toHex(ipPacket(r.advert, { source: r.ip.source, flowLabel })), toHex(f.ip));
    }
  }
});

Deno.test("RFC 5798 §5.2.8: the v3 checksum covers the IPv4 and IPv6 pseudo-headers", () => {
  for (const f of fixtureFrames()) {
    const r = decodeIpPacket(f.ip);
    assert.ok(r.ok && r.ip);
    const message = f.ip.subarray(r.ip.headerBytes);
    const wire = { family: r.ip.family, src: r.ip.source, dst: r.ip.destination };
    assert.equal(vrrpChecksum(message, wire), 0);
    // another source or destination address: the same message no longer checks
    const otherSrc = r.ip.family === Family.ipv4 ? "10.101.1.186" : "fe80::1";
    const moved = decodeAdvert(message, { ...wire, src: otherSrc, hopLimit: 255 });
    assert.equal(!moved.ok && moved.reason, DropReason.badChecksum);
    const unicast = r.ip.family === Family.ipv4 ? "10.101.1.186" : "fe80::2";
    const bad = decodeAdvert(message, { ...wire, dst: unicast, hopLimit: 255 });
    assert.equal(!bad.ok && bad.reason, DropReason.badChecksum);
  }
});

Deno.test("RFC 5798 §5.1.1.3, §5.1.2.3, §7.1: a hop limit other than 255 is dropped", () => {
  for (const f of fixtureFrames().slice(0, 2)) {
    for (const ttl of [0, 1, 64, 254]) {
      const b = f.ip.slice();
      const v6 = b[0] >>> 4 === 6;
      if (v6) b[7] = ttl;
      else {
        // keep the IPv4 header checksum right: only the TTL is wrong
        const r = decodeIpPacket(b);
        assert.ok(r.ok && r.ip);
        b.set(ipPacket(r.advert, { source: r.ip.source, ttl, id: (b[4] << 8) | b[5] }));
      }
      const r = decodeIpPacket(b);
      assert.equal(!r.ok && r.reason, DropReason.badTtl, `ttl ${ttl}`);
      assert.equal(r.ip?.ttl, ttl);
    }
  }
});

Deno.test("RFC 5798 §5.2.1: a v2 message over IPv6 is badVersion", () => {
  const v2 = encodeAdvert({
    version: 2,
    vrid: 1,
    priority: 100,
    advertIntervalCs: 100,
    authType: 0,
    authData: new Uint8Array(8),
    addresses: ["10.0.0.1"],
  }, { family: Family.ipv4, src: "10.0.0.2", dst: "224.0.0.18" });
  const r = decodeAdvert(v2, { family: Family.ipv6, src: "fe80::1", dst: "ff02::12" });
  assert.equal(!r.ok && r.reason, DropReason.badVersion);
});

Deno.test("RFC 5798 §5.2.6-5.2.7: reserved bits are sent as zero and ignored on receipt", () => {
  const wire = { family: Family.ipv6, src: "fe80::1", dst: "ff02::12" };
  const a = v3Advert({ advertIntervalCs: 4095 });
  const m = encodeAdvert(a, wire);
  assert.equal(m[4], 0x0f);
  assert.equal(m[5], 0xff);
  m[4] |= 0xf0;
  // fix the checksum for the changed reserved bits
  m[6] = m[7] = 0;
  const sum = vrrpChecksum(m, wire);
  m[6] = sum >>> 8;
  m[7] = sum & 0xff;
  const r = decodeAdvert(m, { ...wire, hopLimit: 255 });
  assert.ok(r.ok);
  assert.equal(r.advert.advertIntervalCs, 4095);
  assert.throws(() => encodeAdvert(v3Advert({ advertIntervalCs: 4096 }), wire), RangeError);
});

Deno.test("RFC 5798 §5.2.9: an IPv6 message carries 16-byte addresses; the length must fit", () => {
  const wire = { family: Family.ipv6, src: "fe80::1", dst: "ff02::12" };
  const m = encodeAdvert(v3Advert({ addresses: ["fd00::1", "fd00::2"] }), wire);
  assert.equal(m.length, 8 + 2 * 16);
  const cut = decodeAdvert(m.subarray(0, 8 + 16), { ...wire, hopLimit: 255 });
  assert.equal(!cut.ok && cut.reason, DropReason.badLength);
  assert.throws(() => encodeAdvert(v3Advert({ addresses: ["10.0.0.1"] }), wire), RangeError);
});

function v3Advert(over: Partial<Advertisement> = {}): Advertisement {
  return {
    version: 3,
    vrid: 52,
    priority: 100,
    advertIntervalCs: 10,
    authType: 0,
    authData: new Uint8Array(0),
    addresses: ["fd00:101::151"],
    ...over,
  };
}

const v4Arb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) =>
  readAddress(b, 0, Family.ipv4)
);
const v6Arb = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) =>
  readAddress(b, 0, Family.ipv6)
);

function advertArb(addr: fc.Arbitrary<string>): fc.Arbitrary<Advertisement> {
  return fc.record({
    version: fc.constant(3 as const),
    vrid: fc.integer({ min: 0, max: 255 }),
    priority: fc.integer({ min: 0, max: 255 }),
    advertIntervalCs: fc.integer({ min: 0, max: 4095 }),
    authType: fc.constant(0),
    authData: fc.constant(new Uint8Array(0)),
    addresses: fc.array(addr, { maxLength: 255 }),
  }).map((a) => ({ ...a })); // a plain object, as decoders build
}

const ALL_REASONS = new Set<string>(Object.values(DropReason));
function wellFormed(r: DecodeResult): void {
  if (!r.ok) assert.ok(ALL_REASONS.has(r.reason) && r.detail.length > 0, r.reason);
}

Deno.test("RFC 5798 §5.2: decodeAdvert(encodeAdvert(x)) equals x, IPv4 and IPv6", () => {
  for (const [family, addr] of [[Family.ipv4, v4Arb], [Family.ipv6, v6Arb]] as const) {
    fc.assert(
      fc.property(advertArb(addr), addr, addr, (a, src, dst) => {
        const wire = { family, src, dst };
        const r = decodeAdvert(encodeAdvert(a, wire), { ...wire, hopLimit: 255 });
        assert.ok(r.ok);
        assert.deepEqual(r.advert, a);
      }),
      { numRuns: 300 },
    );
  }
});

Deno.test("RFC 5798 §7.1: decodeIpPacket() never throws on random or mutated v3 packets", () => {
  fc.assert(
    fc.property(
      advertArb(v6Arb),
      v6Arb,
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }),
      fc.nat(),
      (a, src, edits, cut) => {
        let b = ipPacket(a, { source: src });
        for (const [at, v] of edits) b[at % b.length] = v;
        b = b.subarray(0, cut % (b.length + 1));
        wellFormed(decodeIpPacket(b));
        wellFormed(decodeAdvert(b, null));
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("RFC 5798 §5.2.8: a single bit flip anywhere in a v3 advert is never accepted silently", () => {
  for (const f of fixtureFrames().slice(0, 2)) {
    const r0 = decodeIpPacket(f.ip);
    assert.ok(r0.ok && r0.ip);
    // the v6 flow label and traffic class are covered by nothing (nor by keepalived)
    const from = r0.ip.family === Family.ipv6 ? 4 : 0;
    for (let i = from * 8; i < f.ip.length * 8; i++) {
      const b = f.ip.slice();
      b[i >> 3] ^= 1 << (i & 7);
      const r = decodeIpPacket(b);
      assert.ok(!r.ok, `frame ${f.frame} bit ${i}`);
    }
  }
});
