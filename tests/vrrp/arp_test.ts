import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeArp,
  encodeGratuitousArp,
  ETHERNET_HEADER_BYTES,
  formatMac,
  parseMac,
} from "../../lib/vrrp/arp.ts";
import { readPcap } from "../../lib/pcap/reader.ts";
import { toHex } from "../../lib/pcap/hex.ts";

const PCAP = new URL("../fixtures/packets/keepalived-2.2.7-vrrpv2.pcap", import.meta.url);
const MAC_B = parseMac("02:00:0a:65:01:ba")!;

function frame(n: number): Uint8Array {
  return readPcap(Deno.readFileSync(PCAP)).records[n - 1].data;
}

Deno.test("RFC 3768 §6.4.2: encodeGratuitousArp() is byte-identical to keepalived's frames 6-8", () => {
  assert.equal(toHex(encodeGratuitousArp(MAC_B, "10.101.0.107")), toHex(frame(6)));
  assert.equal(toHex(encodeGratuitousArp(MAC_B, "10.101.0.108")), toHex(frame(7)));
  assert.equal(toHex(encodeGratuitousArp(MAC_B, "10.101.0.107")), toHex(frame(8)));
  // keepalived sends 42 bytes, leaving the padding to 60 to the NIC
  assert.equal(frame(6).length, 42);
});

Deno.test("RFC 826: decodeArp() reads a gratuitous request from the capture", () => {
  assert.deepEqual(decodeArp(frame(6).subarray(ETHERNET_HEADER_BYTES)), {
    op: "request",
    senderMac: "02:00:0a:65:01:ba",
    senderIp: "10.101.0.107",
    targetMac: "ff:ff:ff:ff:ff:ff",
    targetIp: "10.101.0.107",
    gratuitous: true,
  });
});

Deno.test("RFC 826: decodeArp() reads a reply (frame 39) as not gratuitous", () => {
  assert.deepEqual(decodeArp(frame(39).subarray(ETHERNET_HEADER_BYTES)), {
    op: "reply",
    senderMac: "02:00:0a:65:01:b9",
    senderIp: "10.101.0.101",
    targetMac: "02:00:0a:65:01:c8",
    targetIp: "10.101.1.200",
    gratuitous: false,
  });
});

Deno.test("decodeArp() returns null for non-Ethernet/IPv4 or short ARP, numbers for odd opcodes", () => {
  const arp = encodeGratuitousArp(MAC_B, "10.0.0.1").subarray(ETHERNET_HEADER_BYTES);
  assert.equal(decodeArp(arp.subarray(0, 27)), null);
  const ipv6 = arp.slice();
  ipv6[2] = 0x86;
  ipv6[3] = 0xdd;
  assert.equal(decodeArp(ipv6), null);
  const rarp = arp.slice();
  rarp[7] = 3;
  assert.equal(decodeArp(rarp)?.op, 3);
  // Ethernet padding after the 28 bytes is ignored
  const padded = new Uint8Array(46);
  padded.set(arp);
  assert.equal(decodeArp(padded)?.senderIp, "10.0.0.1");
});

Deno.test("decodeArp(encodeGratuitousArp(mac, ip)) gives back mac and ip; random bytes never throw", () => {
  fc.assert(fc.property(
    fc.uint8Array({ minLength: 6, maxLength: 6 }),
    fc.nat({ max: 0xffffffff }),
    (mac, n) => {
      const ip = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
      const a = decodeArp(encodeGratuitousArp(mac, ip).subarray(ETHERNET_HEADER_BYTES));
      assert.deepEqual(a, {
        op: "request",
        senderMac: formatMac(mac),
        senderIp: ip,
        targetMac: "ff:ff:ff:ff:ff:ff",
        targetIp: ip,
        gratuitous: true,
      });
    },
  ));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
    decodeArp(b);
  }));
});

Deno.test("encodeGratuitousArp() rejects a bad MAC or address; parseMac() is strict", () => {
  assert.throws(() => encodeGratuitousArp(new Uint8Array(5), "10.0.0.1"), RangeError);
  assert.throws(() => encodeGratuitousArp(MAC_B, "10.0.0"), RangeError);
  assert.equal(parseMac("02:00:0a:65:01"), null);
  assert.equal(parseMac("02:00:0a:65:01:zz"), null);
  assert.deepEqual(parseMac("02-00-0A-65-01-BA"), MAC_B);
});
