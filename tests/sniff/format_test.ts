import assert from "node:assert/strict";
import {
  describeAuth,
  formatPacketLine,
  formatTime,
  packetJson,
  printablePassword,
} from "../../lib/sniff/format.ts";
import { classifyHex, classifyNetwork, looseAdvertFields } from "../../lib/sniff/classify.ts";
import { parseHex } from "../../lib/pcap/hex.ts";
import { encodeGratuitousArp, parseMac } from "../../lib/vrrp/arp.ts";
import { networkPayload } from "../../lib/pcap/link.ts";

const ADVERT = parseHex(
  "45c0002c00010000ff70ce700a6501b9e0000012210164020101e2f60a6500650a650066312d696e7465726e",
)!;

Deno.test("formatTime() prints UTC with micro- or nanosecond digits", () => {
  assert.equal(formatTime(1_795_662_607, 444_697_000, false), "2026-11-26T03:10:07.444697Z");
  assert.equal(formatTime(0, 5, true), "1970-01-01T00:00:00.000000005Z");
});

Deno.test("RFC 3768 §5.3.10: the password is shown only when printable", () => {
  assert.equal(printablePassword(new TextEncoder().encode("1-intern")), "1-intern");
  assert.equal(printablePassword(Uint8Array.of(0x61, 0x62, 0, 0, 0, 0, 0, 0)), "ab");
  assert.equal(printablePassword(Uint8Array.of(0x61, 0x01, 0, 0, 0, 0, 0, 0)), null);
  assert.equal(
    describeAuth(1, Uint8Array.of(0xff, 0, 0, 0, 0, 0, 0, 0)),
    "pass hex:ff00000000000000",
  );
  assert.equal(describeAuth(0, new Uint8Array(8)), "none");
  assert.equal(describeAuth(2), "ah");
  assert.equal(describeAuth(9), "type 9");
});

Deno.test("classifyHex() and looseAdvertFields() keep what a short message holds", () => {
  const f = looseAdvertFields(ADVERT.subarray(20, 32));
  assert.deepEqual(f, {
    version: 2,
    type: 1,
    vrid: 1,
    priority: 100,
    count: 2,
    authType: 1,
    advertIntervalCs: 100,
    checksum: 0xe2f6,
    addresses: ["10.101.0.101"],
  });
  const p = classifyHex(ADVERT.subarray(20, 32));
  if (p.kind !== "vrrp") throw new Error(`expected vrrp, got ${p.kind}`);
  assert.match(
    formatPacketLine({ packet: p }),
    /^- VRRP \(bare message\) vrid 1 prio 100 addrs 10.101.0.101 auth pass \? int 1s csum 0xe2f6 invalid: badLength: /,
  );
  const udp = ADVERT.slice();
  udp[9] = 17;
  assert.deepEqual(classifyHex(udp), { kind: "other", what: "IPv4 protocol 17" });
});

Deno.test("classifyNetwork() sorts Ethernet frames into VRRP, ARP and other", () => {
  const garp = encodeGratuitousArp(parseMac("02:00:0a:65:01:ba")!, "10.101.0.107");
  const arp = classifyNetwork(networkPayload(1, garp));
  if (arp.kind !== "arp") throw new Error(`expected arp, got ${arp.kind}`);
  assert.deepEqual(packetJson({ frame: 6, packet: arp }), {
    frame: 6,
    kind: "arp",
    op: "request",
    senderMac: "02:00:0a:65:01:ba",
    senderIp: "10.101.0.107",
    targetMac: "ff:ff:ff:ff:ff:ff",
    targetIp: "10.101.0.107",
    gratuitous: true,
  });
  assert.equal(classifyNetwork(networkPayload(101, ADVERT)).kind, "vrrp");
  assert.deepEqual(classifyNetwork({ etherType: 0x88cc, payload: new Uint8Array(40) }), {
    kind: "other",
    what: "EtherType 0x88cc",
  });
  assert.equal(classifyNetwork(null).kind, "other");
});
