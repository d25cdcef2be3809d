import assert from "node:assert/strict";
import fc from "fast-check";
import { authDataFromPassword, decodeAdvert, encodeAdvert } from "../../lib/vrrp/packet.ts";
import {
  compareAddresses,
  Family,
  formatAddress,
  parseAddress,
  readAddress,
} from "../../lib/vrrp/address.ts";
import { internetChecksum } from "../../lib/vrrp/checksum.ts";
import { decodeIpPacket as decodeIpv4Packet } from "../../lib/sniff/ip_packet.ts";
import { ipv4Packet as encodeIpv4Packet } from "../_support/adverts.ts";
import { type Advertisement, type DecodeResult, DropReason } from "../../lib/vrrp/types.ts";
import { parseHex, toHex } from "../../lib/pcap/hex.ts";

const FIXTURE = new URL("../fixtures/packets/vrrpv2-adverts.hex", import.meta.url);

interface Fixture {
  description: string;
  hex: string;
  bytes: Uint8Array;
}

function loadFixtures(): Fixture[] {
  const lines = Deno.readTextFileSync(FIXTURE).split("\n");
  const out: Fixture[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "" || line.startsWith("#")) continue;
    out.push({ description: lines[i - 1].slice(2), hex: line, bytes: parseHex(line)! });
  }
  return out;
}

const pass = (s: string) => authDataFromPassword(s);
const V4 = { family: Family.ipv4, src: "10.101.1.185", dst: "224.0.0.18" };
const decodeVrrpMessage = (b: Uint8Array) => decodeAdvert(b, null);
const parseIpv4 = (s: string) => {
  const a = parseAddress(s);
  return a && a.family === Family.ipv4 ? new DataView(a.bytes.buffer).getUint32(0) : null;
};
const formatIpv4 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n);
  return readAddress(b, 0, Family.ipv4);
};

/** What each fixture line says, in file order: [source, ip id, vrid, priority, checksum, password, vips]. */
const EXPECTED: [string, number, number, number, number, string, string[]][] = [
  ["10.101.1.185", 1, 1, 100, 0xe2f6, "1-intern", ["10.101.0.101", "10.101.0.102"]],
  ["10.101.1.186", 1, 2, 100, 0xe1e9, "2-intern", ["10.101.0.107", "10.101.0.108"]],
  ["10.101.1.185", 7, 1, 0, 0x46f7, "1-intern", ["10.101.0.101", "10.101.0.102"]],
  ["10.101.1.186", 2, 1, 99, 0xe3f6, "1-intern", ["10.101.0.101", "10.101.0.102"]],
  ["10.101.1.186", 1, 1, 99, 0xe3f6, "1-intern", ["10.101.0.101", "10.101.0.102"]],
];

function advert(over: Partial<Advertisement> = {}): Advertisement {
  return {
    version: 2,
    vrid: 1,
    priority: 100,
    advertIntervalCs: 100,
    authType: 1,
    authData: pass("1-internal-ha"),
    addresses: ["10.101.0.101", "10.101.0.102"],
    ...over,
  };
}

function dropReason(r: DecodeResult): string {
  return r.ok ? "ok" : r.reason;
}

// --- IPv4 helpers -----------------------------------------------------------------------------

Deno.test("parseAddress() reads dotted quads as 4 bytes", () => {
  assert.equal(parseIpv4("0.0.0.0"), 0);
  assert.equal(parseIpv4("255.255.255.255"), 0xffffffff);
  assert.equal(parseIpv4("10.101.1.185"), 0x0a6501b9);
  assert.equal(parseIpv4("224.0.0.18"), 0xe0000012);
});

Deno.test("parseAddress() is strict about IPv4: no leading zeros, signs, spaces, missing or extra octets", () => {
  for (
    const bad of [
      "",
      "1.2.3",
      "1.2.3.4.5",
      "01.2.3.4",
      "1.2.3.256",
      "1.2.3.-1",
      " 1.2.3.4",
      "1.2.3.4 ",
      "1..3.4",
      "0x1.2.3.4",
      "1.2.3.4/24",
      "1e2.1.1.1",
    ]
  ) assert.equal(parseIpv4(bad), null, bad);
});

Deno.test("readAddress() inverts parseAddress() for every IPv4 address", () => {
  fc.assert(fc.property(fc.nat({ max: 0xffffffff }), (n) => {
    assert.equal(parseIpv4(formatIpv4(n)), n);
  }));
});

Deno.test("RFC 3768 §6.4.3: compareAddresses() orders addresses numerically, not as strings", () => {
  assert.ok(compareAddresses("10.0.0.9", "10.0.0.10") < 0);
  assert.ok(compareAddresses("10.101.1.186", "10.101.1.185") > 0);
  assert.ok(compareAddresses("192.168.0.1", "10.0.0.1") > 0);
  assert.equal(compareAddresses("1.2.3.4", "1.2.3.4"), 0);
  assert.ok(compareAddresses("fe80::9", "fe80::10") < 0);
  assert.ok(compareAddresses("fe80::1:0", "fe80::ffff") > 0);
});

Deno.test("parseAddress() reads every RFC 4291 IPv6 text form; formatAddress() is RFC 5952", () => {
  const cases: [string, string][] = [
    ["fe80::1", "fe80::1"],
    ["FE80:0:0:0:0:0:0:1", "fe80::1"],
    ["::", "::"],
    ["::1", "::1"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"],
    ["2001:0db8:0000:0000:0000:0000:0002:0001", "2001:db8::2:1"],
    ["1:2:3:4:5:6:7:8", "1:2:3:4:5:6:7:8"],
    ["ff02::12", "ff02::12"],
    ["::ffff:10.0.0.1", "::ffff:a00:1"],
  ];
  for (const [text, canonical] of cases) {
    const a = parseAddress(text);
    assert.ok(a, text);
    assert.equal(a.family, Family.ipv6);
    assert.equal(formatAddress(a), canonical, text);
  }
  for (
    const bad of [
      "1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:8:9",
      ":1",
      "1:",
      "1::2::3",
      "fe80::1%eth0",
      "12345::",
      "g::1",
      "fe80::1/64",
    ]
  ) {
    assert.equal(parseAddress(bad), null, bad);
  }
});

Deno.test("RFC 1071: internetChecksum() of a block holding its own checksum is 0", () => {
  const f = loadFixtures()[0].bytes;
  assert.equal(internetChecksum(f, 0, 20), 0);
  assert.equal(internetChecksum(f, 20), 0);
  // odd length: the last byte is padded with zero
  assert.equal(internetChecksum(Uint8Array.of(0x01)), 0xfeff);
  assert.equal(internetChecksum(new Uint8Array(0)), 0xffff);
});

// --- keepalived 2.2.7 fixtures ---------------------------------------------------------------

Deno.test("RFC 3768 §5.3: decodeIpv4Packet() decodes every keepalived 2.2.7 fixture exactly", () => {
  const fixtures = loadFixtures();
  assert.equal(fixtures.length, EXPECTED.length);
  fixtures.forEach((f, i) => {
    const [source, , vrid, priority, checksum, password, vips] = EXPECTED[i];
    assert.deepEqual(decodeIpv4Packet(f.bytes), {
      ok: true,
      advert: {
        version: 2,
        vrid,
        priority,
        advertIntervalCs: 100,
        authType: 1,
        authData: new TextEncoder().encode(password),
        addresses: vips,
      },
      ip: { family: "ipv4", source, destination: "224.0.0.18", ttl: 255, headerBytes: 20 },
      checksum,
    }, f.description);
    assert.match(f.description, new RegExp(`VRRP checksum 0x${checksum.toString(16)} ok`));
  });
});

Deno.test("RFC 3768 §5: encodeIpv4Packet() is byte-identical to keepalived 2.2.7", () => {
  loadFixtures().forEach((f, i) => {
    const [source, id, vrid, priority, , , vips] = EXPECTED[i];
    const bytes = encodeIpv4Packet(
      advert({ vrid, priority, addresses: vips, authData: pass(`${vrid}-internal-ha`) }),
      { source, id },
    );
    assert.equal(toHex(bytes), f.hex, f.description);
  });
});

Deno.test("RFC 3768 §5.3.10: authDataFromPassword() cuts to 8 UTF-8 bytes and zero-pads", () => {
  assert.deepEqual(pass("1-internal-ha"), new TextEncoder().encode("1-intern"));
  assert.deepEqual(pass("ab"), Uint8Array.of(0x61, 0x62, 0, 0, 0, 0, 0, 0));
  assert.deepEqual(pass(""), new Uint8Array(8));
  // "é" is two bytes in UTF-8: 4 of them fill the 8 bytes exactly
  assert.deepEqual(pass("ééééé"), new TextEncoder().encode("éééé"));
});

Deno.test("RFC 3768 §5.3: decodeVrrpMessage() decodes the bare message of a fixture", () => {
  const f = loadFixtures()[1];
  const r = decodeVrrpMessage(f.bytes.subarray(20));
  assert.ok(r.ok);
  assert.equal(r.ip, undefined);
  assert.equal(r.advert.vrid, 2);
  assert.equal(r.checksum, 0xe1e9);
});

Deno.test("RFC 3768 §5.3.8: encodeAdvert() fills the checksum over the whole message", () => {
  const msg = encodeAdvert(advert(), V4);
  assert.equal(msg.length, 16 + 2 * 4);
  assert.equal(internetChecksum(msg), 0);
  assert.equal(msg[0], 0x21);
});

Deno.test("encodeAdvert() rejects values that cannot go on the wire", () => {
  assert.throws(() => encodeAdvert(advert({ vrid: 256 }), V4), RangeError);
  assert.throws(() => encodeAdvert(advert({ priority: -1 }), V4), RangeError);
  assert.throws(() => encodeAdvert(advert({ addresses: ["10.0.0.256"] }), V4), RangeError);
  assert.throws(() => encodeAdvert(advert({ addresses: ["fe80::1"] }), V4), RangeError);
  assert.throws(() => encodeAdvert(advert({ advertIntervalCs: 150 }), V4), RangeError);
  assert.throws(
    () => encodeAdvert(advert(), { family: Family.ipv6, src: "fe80::1", dst: "ff02::12" }),
    RangeError,
  );
  assert.throws(() => encodeIpv4Packet(advert(), { source: "nope" }), RangeError);
  assert.throws(() => encodeIpv4Packet(advert(), { source: "10.0.0.1", id: 70000 }), RangeError);
});

// --- §7.1 receiving checks -------------------------------------------------------------------

/** A valid fixture packet with `edit` applied, IP header checksum recomputed unless told. */
function mutated(edit: (b: Uint8Array) => void, fixIpChecksum = true): Uint8Array {
  const b = loadFixtures()[0].bytes.slice();
  edit(b);
  if (fixIpChecksum) {
    b[10] = b[11] = 0;
    const s = internetChecksum(b, 0, 20);
    b[10] = s >>> 8;
    b[11] = s & 0xff;
  }
  return b;
}

Deno.test("RFC 3768 §7.1: decodeIpv4Packet() drops TTL other than 255", () => {
  for (const ttl of [0, 1, 64, 254]) {
    const r = decodeIpv4Packet(mutated((b) => b[8] = ttl));
    assert.ok(!r.ok);
    assert.equal(r.reason, DropReason.badTtl);
    assert.equal(r.ip?.ttl, ttl);
    assert.equal(r.ip?.source, "10.101.1.185");
    assert.match(r.detail, new RegExp(`TTL ${ttl}`));
  }
});

Deno.test("RFC 3768 §7.1: decodeIpv4Packet() drops a wrong VRRP version", () => {
  // version 4 with the VRRP checksum left as is: the version check comes first
  const r = decodeIpv4Packet(mutated((b) => b[20] = 0x41));
  assert.equal(dropReason(r), DropReason.badVersion);
  assert.ok(!r.ok && r.detail.includes("version 4"));
});

Deno.test("RFC 3768 §5.3.2: decodeIpv4Packet() drops a type other than advertisement", () => {
  assert.equal(dropReason(decodeIpv4Packet(mutated((b) => b[20] = 0x22))), DropReason.badType);
});

Deno.test("RFC 3768 §7.1: decodeIpv4Packet() drops a wrong VRRP checksum", () => {
  const r = decodeIpv4Packet(mutated((b) => b[27] ^= 0x01));
  assert.ok(!r.ok);
  assert.equal(r.reason, DropReason.badChecksum);
  assert.equal(r.detail, "checksum 0xe2f7, computed 0xe2f6");
});

Deno.test("RFC 3768 §7.1: decodeIpv4Packet() drops an address count that does not fit the length", () => {
  // count 3 but only two addresses present: the length check comes before the checksum
  const r = decodeIpv4Packet(mutated((b) => b[23] = 3));
  assert.ok(!r.ok);
  assert.equal(r.reason, DropReason.badLength);
  assert.equal(r.detail, "message of 24 bytes, but 3 addresses need exactly 28");
});

Deno.test("RFC 3768 §7.1: trailing bytes inside the IP packet are badLength (as keepalived)", () => {
  const base = loadFixtures()[0].bytes;
  const b = new Uint8Array(base.length + 4);
  b.set(base);
  b[3] += 4; // IP total length covers the extra bytes
  b[10] = b[11] = 0;
  const s = internetChecksum(b, 0, 20);
  b[10] = s >>> 8;
  b[11] = s & 0xff;
  const r = decodeIpv4Packet(b);
  assert.ok(!r.ok);
  assert.equal(r.reason, DropReason.badLength);
  assert.equal(r.detail, "message of 28 bytes, but 2 addresses need exactly 24");
});

Deno.test("decodeIpv4Packet() ignores link-layer padding past the IP total length", () => {
  const base = loadFixtures()[0].bytes;
  const padded = new Uint8Array(46);
  padded.set(base);
  assert.ok(decodeIpv4Packet(padded).ok);
});

Deno.test("RFC 3768 §5.3.6: auth type 2 (IP-AH) has its own drop reason, 3+ are unknown", () => {
  const withAuth = (t: number) => encodeIpv4Packet(advert({ authType: t }), { source: "10.0.0.1" });
  assert.equal(dropReason(decodeIpv4Packet(withAuth(2))), DropReason.authTypeAh);
  assert.equal(dropReason(decodeIpv4Packet(withAuth(3))), DropReason.unknownAuthType);
  assert.equal(dropReason(decodeIpv4Packet(withAuth(255))), DropReason.unknownAuthType);
  assert.equal(dropReason(decodeIpv4Packet(withAuth(0))), "ok");
});

Deno.test("RFC 3768 §5.2.4: decodeIpv4Packet() drops other IP protocols as notVrrp", () => {
  const r = decodeIpv4Packet(mutated((b) => b[9] = 17));
  assert.ok(!r.ok);
  assert.equal(r.reason, DropReason.notVrrp);
  assert.equal(r.ip?.destination, "224.0.0.18");
});

Deno.test("decodeIpv4Packet() checks the IPv4 header itself", () => {
  assert.equal(dropReason(decodeIpv4Packet(mutated((b) => b[0] = 0x55))), DropReason.notIpv4);
  assert.equal(dropReason(decodeIpv4Packet(mutated((b) => b[0] = 0x44))), DropReason.badIpHeader);
  assert.equal(dropReason(decodeIpv4Packet(mutated((b) => b[0] = 0x4f))), DropReason.truncated);
  assert.equal(
    dropReason(decodeIpv4Packet(mutated((b) => b[10] ^= 1, false))),
    DropReason.badIpHeader,
  );
  assert.equal(dropReason(decodeIpv4Packet(mutated((b) => b[6] = 0x20))), DropReason.badIpHeader);
  assert.equal(dropReason(decodeIpv4Packet(mutated((b) => b[3] = 19))), DropReason.badIpHeader);
  assert.equal(dropReason(decodeIpv4Packet(mutated((b) => b[3] = 50))), DropReason.truncated);
  assert.equal(dropReason(decodeIpv4Packet(new Uint8Array(0))), DropReason.truncated);
  assert.equal(dropReason(decodeIpv4Packet(Uint8Array.of(0x45, 0))), DropReason.truncated);
});

Deno.test("decodeIpv4Packet() honours IHL: options are skipped", () => {
  const base = loadFixtures()[0].bytes;
  const b = new Uint8Array(base.length + 4);
  b.set(base.subarray(0, 20));
  b.set(base.subarray(20), 24);
  b[0] = 0x46;
  b[3] = base.length + 4;
  b[20] = 1; // NOP options
  b[21] = b[22] = b[23] = 1;
  b[10] = b[11] = 0;
  const s = internetChecksum(b, 0, 24);
  b[10] = s >>> 8;
  b[11] = s & 0xff;
  const r = decodeIpv4Packet(b);
  assert.ok(r.ok);
  assert.equal(r.ip?.headerBytes, 24);
  assert.deepEqual(r.advert.addresses, ["10.101.0.101", "10.101.0.102"]);
});

Deno.test("decodeVrrpMessage() drops messages shorter than the header as truncated", () => {
  for (let n = 0; n < 8; n++) {
    assert.equal(dropReason(decodeVrrpMessage(new Uint8Array(n).fill(0x21))), "truncated");
  }
});

// --- properties ------------------------------------------------------------------------------

const ipv4Arb = fc.nat({ max: 0xffffffff }).map(formatIpv4);
const advertArb: fc.Arbitrary<Advertisement> = fc.record({
  version: fc.constant(2 as const),
  vrid: fc.integer({ min: 0, max: 255 }),
  priority: fc.integer({ min: 0, max: 255 }),
  advertIntervalCs: fc.integer({ min: 0, max: 255 }).map((s) => s * 100),
  authType: fc.constantFrom(0, 1),
  authData: fc.uint8Array({ minLength: 8, maxLength: 8 }),
  addresses: fc.array(ipv4Arb, { maxLength: 255 }),
}).map((a) => ({ ...a })); // a plain object, as decoders build
const ALL_REASONS = new Set<string>(Object.values(DropReason));

function wellFormed(r: DecodeResult): void {
  if (!r.ok) {
    assert.ok(ALL_REASONS.has(r.reason), r.reason);
    assert.equal(typeof r.detail, "string");
    assert.ok(r.detail.length > 0);
  }
}

Deno.test("RFC 3768 §5.3: decodeVrrpMessage(encodeAdvert(x)) equals x", () => {
  fc.assert(fc.property(advertArb, (a) => {
    const r = decodeVrrpMessage(encodeAdvert(a, V4));
    assert.ok(r.ok);
    assert.deepEqual(r.advert, a);
  }));
});

Deno.test("RFC 3768 §5.2: decodeIpv4Packet(encodeIpv4Packet(x)) equals x with its IP info", () => {
  fc.assert(fc.property(advertArb, ipv4Arb, ipv4Arb, fc.nat({ max: 0xffff }), (a, src, dst, id) => {
    const r = decodeIpv4Packet(encodeIpv4Packet(a, { source: src, destination: dst, id }));
    assert.ok(r.ok);
    assert.deepEqual(r.advert, a);
    assert.deepEqual(r.ip, {
      family: "ipv4",
      source: src,
      destination: dst,
      ttl: 255,
      headerBytes: 20,
    });
  }));
});

Deno.test("decoders never throw on random bytes and give a reason from the closed set", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1200 }), (b) => {
      wellFormed(decodeVrrpMessage(b));
      wellFormed(decodeIpv4Packet(b));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("decoders never throw on bit flips, truncations and extensions of valid packets", () => {
  const validPacket = fc.tuple(advertArb, ipv4Arb).map(([a, s]) =>
    encodeIpv4Packet(a, { source: s })
  );
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("extend" as const), extra: fc.uint8Array({ maxLength: 64 }) }),
    fc.record({ kind: fc.constant("set" as const), at: fc.nat({ max: 40 }), value: fc.nat(255) }),
  );
  fc.assert(
    fc.property(validPacket, fc.array(mutation, { minLength: 1, maxLength: 4 }), (p, ms) => {
      let b = p;
      for (const m of ms) {
        if (m.kind === "flip" && b.length > 0) {
          b = b.slice();
          b[m.at % b.length] ^= 1 << m.bit;
        } else if (m.kind === "cut") b = b.slice(0, m.at % (b.length + 1));
        else if (m.kind === "extend") {
          const n = new Uint8Array(b.length + m.extra.length);
          n.set(b);
          n.set(m.extra, b.length);
          b = n;
        } else if (m.kind === "set" && m.at < b.length) {
          b = b.slice();
          b[m.at] = m.value;
        }
      }
      wellFormed(decodeIpv4Packet(b));
      wellFormed(decodeVrrpMessage(b.subarray(Math.min(20, b.length))));
    }),
    { numRuns: 2000 },
  );
});

Deno.test("a single bit flip in the VRRP message of a valid packet is never accepted silently", () => {
  // the checksum catches every single-bit error in the message (or an earlier check does)
  const p = loadFixtures()[0].bytes;
  for (let i = 20 * 8; i < p.length * 8; i++) {
    const b = p.slice();
    b[i >> 3] ^= 1 << (i & 7);
    const r = decodeIpv4Packet(b);
    assert.ok(!r.ok, `bit ${i}`);
  }
});
