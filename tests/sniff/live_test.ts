import { tutorialAdvert } from "../_support/adverts.ts";
import assert from "node:assert/strict";
import { viewResult, vrrpFromFrame } from "../../lib/sniff/live.ts";
import { SniffView } from "../../lib/sniff/view.ts";
import { encodeGratuitousArp, parseMac } from "../../lib/vrrp/arp.ts";
import { decodeIpPacket as decodeIpv4Packet } from "../../lib/sniff/ip_packet.ts";
import { ipv4Packet as encodeIpv4Packet } from "../_support/adverts.ts";

const ADVERT = tutorialAdvert();

/** An Ethernet frame carrying `payload` with EtherType `type`, optionally 802.1Q-tagged. */
function ethernet(payload: Uint8Array, type = 0x0800, vlan?: number): Uint8Array {
  const head = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x01];
  if (vlan !== undefined) head.push(0x81, 0x00, vlan >> 8, vlan & 0xff);
  head.push(type >> 8, type & 0xff);
  const out = new Uint8Array(head.length + payload.length);
  out.set(head);
  out.set(payload, head.length);
  return out;
}

Deno.test("vrrpFromFrame() finds a valid advert in an Ethernet frame, VLAN tag or not", () => {
  const ip = encodeIpv4Packet(ADVERT, { source: "10.101.1.185" });
  for (const frame of [ethernet(ip), ethernet(ip, 0x0800, 7)]) {
    const found = vrrpFromFrame(frame);
    assert.ok(found);
    assert.equal(found.packet.result.ok, true);
    assert.equal(found.forView, found.packet.result);
    assert.equal(found.packet.fields.vrid, 1);
  }
});

Deno.test("vrrpFromFrame() ignores ARP, other IP protocols and runt frames", () => {
  const arp = encodeGratuitousArp(parseMac("00:00:5e:00:01:01")!, "10.101.0.101");
  assert.equal(vrrpFromFrame(arp), null);
  const udp = encodeIpv4Packet(ADVERT, { source: "10.101.1.185" });
  udp[9] = 17;
  assert.equal(vrrpFromFrame(ethernet(udp)), null);
  assert.equal(vrrpFromFrame(ethernet(new Uint8Array(0x20), 0x86dd)), null);
  assert.equal(vrrpFromFrame(new Uint8Array(5)), null);
});

Deno.test("RFC 3768 §7.1: an advert with TTL 64 is invalid on the line but listed under its VRID", () => {
  const frame = ethernet(encodeIpv4Packet(ADVERT, { source: "10.101.1.187", ttl: 64 }));
  const found = vrrpFromFrame(frame)!;
  assert.equal(found.packet.result.ok, false);
  assert.equal(!found.packet.result.ok && found.packet.result.reason, "badTtl");
  assert.ok(found.forView.ok);
  assert.equal(found.forView.ip?.ttl, 64);
  assert.equal(found.forView.ip?.source, "10.101.1.187");
  assert.deepEqual(found.forView.advert.addresses, ADVERT.addresses);

  const view = new SniffView();
  view.add(found.forView, 0);
  const v = view.snapshot(0).vrids[0];
  assert.equal(v.vrid, 1);
  assert.equal(v.routers[0].ttl, 64);
  assert.ok(v.warnings.some((w) => w.startsWith("10.101.1.187 sends IP TTL 64")));
});

Deno.test("viewResult() keeps the drop when the message behind a wrong TTL is bad too", () => {
  const ip = encodeIpv4Packet(ADVERT, { source: "10.101.1.187", ttl: 64 });
  ip[20 + 6] ^= 0xff; // VRRP checksum
  const r = decodeIpv4Packet(ip);
  assert.equal(!r.ok && r.reason, "badTtl");
  assert.equal(viewResult(r, ip), r);
  // other drops pass through untouched
  const bad = encodeIpv4Packet(ADVERT, { source: "10.101.1.187" });
  bad[20] = 0x41; // version 4
  const rb = decodeIpv4Packet(bad);
  assert.equal(!rb.ok && rb.reason, "badVersion");
  assert.equal(viewResult(rb, bad), rb);
});
