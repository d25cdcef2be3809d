import assert from "node:assert/strict";
import fc from "fast-check";
import { readPcap } from "../../lib/pcap/reader.ts";
import { encodePcapHeader, encodePcapRecord, writePcap } from "../../lib/pcap/writer.ts";
import { LinkType } from "../../lib/pcap/format.ts";
import { networkPayload } from "../../lib/pcap/link.ts";
import { parseHex, toHex } from "../../lib/pcap/hex.ts";

const PCAP = new URL("../fixtures/packets/keepalived-2.2.7-vrrpv2.pcap", import.meta.url);
const fixture = () => Deno.readFileSync(PCAP);
/** Frame 27 of the capture without its Ethernet header: keepalived's VRID 1 advert. */
const ADVERT = parseHex(
  "45c0002c00010000ff70ce700a6501b9e0000012210164020101e2f60a6500650a650066312d696e7465726e",
)!;

Deno.test("readPcap() reads the keepalived capture: header and all 239 records", () => {
  const r = readPcap(fixture());
  assert.equal(r.error, null);
  assert.deepEqual(r.header, {
    littleEndian: true,
    nanosecond: false,
    versionMajor: 2,
    versionMinor: 4,
    snaplen: 262144,
    linkType: LinkType.ethernet,
  });
  assert.equal(r.records.length, 239);
  const first = r.records[0];
  assert.equal(first.index, 1);
  assert.equal(first.offset, 24);
  assert.equal(first.tsNsec % 1000, 0);
  assert.equal(first.capturedLength, 54);
  assert.equal(first.originalLength, 54);
  const f27 = r.records[26];
  assert.equal(toHex(f27.data.subarray(14)), toHex(ADVERT));
});

Deno.test("writePcap() reproduces the keepalived capture byte for byte", () => {
  const bytes = fixture();
  const r = readPcap(bytes);
  const again = writePcap(
    r.records.map((x) => ({ tsSec: x.tsSec, tsNsec: x.tsNsec, data: x.data })),
  );
  assert.equal(toHex(again), toHex(bytes));
});

Deno.test("readPcap() reads both byte orders and both timestamp precisions", () => {
  const recs = [
    { tsSec: 1_795_662_607, tsNsec: 444_697_123, data: ADVERT },
    { tsSec: 1_795_662_608, tsNsec: 5, data: ADVERT.subarray(0, 30), originalLength: 44 },
  ];
  for (const littleEndian of [true, false]) {
    for (const nanosecond of [true, false]) {
      const r = readPcap(writePcap(recs, { littleEndian, nanosecond, linkType: LinkType.ipv4 }));
      assert.equal(r.error, null);
      assert.equal(r.header?.littleEndian, littleEndian);
      assert.equal(r.header?.nanosecond, nanosecond);
      assert.equal(r.header?.linkType, 228);
      assert.equal(r.records[0].tsNsec, nanosecond ? 444_697_123 : 444_697_000);
      assert.equal(r.records[1].tsNsec, nanosecond ? 5 : 0);
      assert.equal(r.records[1].capturedLength, 30);
      assert.equal(r.records[1].originalLength, 44);
      assert.deepEqual(r.records[0].data, ADVERT);
    }
  }
});

Deno.test("networkPayload() finds the IPv4 packet for every supported link type", () => {
  const eth = readPcap(fixture()).records[26].data;
  const cases: [number, Uint8Array][] = [
    [LinkType.ethernet, eth],
    [LinkType.raw, ADVERT],
    [LinkType.ipv4, ADVERT],
    // SLL: outgoing(4), ARPHRD_ETHER, 6-byte address + 2 pad, protocol 0x0800
    [LinkType.linuxSll, parseHex("0004 0001 0006 02000a6501b9 0000 0800" + toHex(ADVERT))!],
    // SLL2: protocol, reserved, ifindex 2, ARPHRD_ETHER, outgoing, 6-byte address + 2 pad
    [
      LinkType.linuxSll2,
      parseHex("0800 0000 00000002 0001 04 06 02000a6501b9 0000" + toHex(ADVERT))!,
    ],
  ];
  for (const [lt, frame] of cases) {
    const np = networkPayload(lt, frame);
    assert.equal(np?.etherType, 0x0800, `link type ${lt}`);
    assert.equal(toHex(np!.payload), toHex(ADVERT), `link type ${lt}`);
  }
  assert.equal(networkPayload(LinkType.linuxSll, cases[3][1])?.sourceMac, "02:00:0a:65:01:b9");
  assert.equal(networkPayload(LinkType.linuxSll2, cases[4][1])?.sourceMac, "02:00:0a:65:01:b9");
  assert.equal(networkPayload(LinkType.ethernet, eth)?.sourceMac, "02:00:0a:65:01:b9");
  // an 802.1Q tag is skipped
  const tagged = parseHex(toHex(eth.subarray(0, 12)) + "8100 0064 0800" + toHex(ADVERT))!;
  assert.equal(toHex(networkPayload(LinkType.ethernet, tagged)!.payload), toHex(ADVERT));
  assert.equal(networkPayload(LinkType.ethernet, eth.subarray(0, 13)), null);
  assert.equal(networkPayload(LinkType.linuxSll2, new Uint8Array(19)), null);
  assert.equal(networkPayload(147, eth), null);
});

Deno.test("readPcap() reports a cut-short capture with the byte offset, keeping earlier records", () => {
  const bytes = fixture();
  // record 2 starts at 24 + 16 + 54 = 94; its data at 110
  let r = readPcap(bytes.subarray(0, 100));
  assert.equal(r.records.length, 1);
  assert.deepEqual(r.error, { offset: 94, message: "record 2: header cut short (6 of 16 bytes)" });
  r = readPcap(bytes.subarray(0, 120));
  assert.equal(r.records.length, 1);
  assert.deepEqual(r.error, { offset: 110, message: "record 2: data cut short (10 of 54 bytes)" });
  r = readPcap(bytes.subarray(0, 10));
  assert.equal(r.header, null);
  assert.equal(r.error?.offset, 0);
  assert.match(r.error!.message, /shorter than the 24-byte pcap header/);
  // an empty capture (header only) is fine
  r = readPcap(bytes.subarray(0, 24));
  assert.equal(r.error, null);
  assert.equal(r.records.length, 0);
});

Deno.test("readPcap() reports corrupt captures with the byte offset", () => {
  const bytes = fixture().slice();
  // record 3 header at 94 + 16 + 54 = 164: incl_len absurd
  new DataView(bytes.buffer).setUint32(164 + 8, 0x7fffffff, true);
  let r = readPcap(bytes);
  assert.equal(r.records.length, 2);
  assert.equal(r.error?.offset, 164);
  assert.match(r.error!.message, /record 3: captured length 2147483647 exceeds the snap length/);

  const frac = fixture().slice();
  new DataView(frac.buffer).setUint32(24 + 4, 2_000_000, true);
  r = readPcap(frac);
  assert.deepEqual(r.error, {
    offset: 28,
    message: "record 1: sub-second timestamp 2000000 is out of range",
  });

  r = readPcap(parseHex("0a0d0d0a" + "00".repeat(28))!);
  assert.match(r.error!.message, /pcapng/);
  r = readPcap(new TextEncoder().encode("this is not a capture file at all"));
  assert.deepEqual(r.error, { offset: 0, message: "not a pcap file (magic 0x74686973)" });
  r = readPcap(encodePcapHeader({ linkType: 147 }));
  assert.equal(r.error?.offset, 20);
  assert.match(r.error!.message, /link type 147 is not supported/);
});

Deno.test("readPcap() never throws on random or damaged input", () => {
  const good = writePcap([
    { tsSec: 1, tsNsec: 0, data: ADVERT },
    { tsSec: 2, tsNsec: 0, data: ADVERT },
  ], { linkType: LinkType.raw });
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 200 }),
        fc.tuple(fc.nat(good.length), fc.nat(255), fc.nat(good.length)).map(([at, v, cut]) => {
          const b = good.slice(0, Math.max(cut, 1));
          b[at % b.length] = v;
          return b;
        }),
      ),
      (b) => {
        const r = readPcap(b);
        if (r.error) {
          assert.ok(r.error.offset >= 0 && r.error.offset <= b.length);
          assert.ok(r.error.message.length > 0);
        }
        for (const rec of r.records) networkPayload(r.header!.linkType, rec.data);
      },
    ),
    { numRuns: 1000 },
  );
});

Deno.test("encodePcapRecord() writes microseconds in a micro file", () => {
  const rec = encodePcapRecord({ tsSec: 1, tsNsec: 123_456_789, data: Uint8Array.of(1, 2) });
  assert.equal(toHex(rec), "01000000" + "40e20100" + "02000000" + "02000000" + "0102");
});
