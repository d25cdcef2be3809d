/**
 * The routine/other filters of ffi/bpf_vrrp.ts, run by a small classic-BPF interpreter (the
 * subset of <linux/filter.h> the builder emits, with the kernel's rules: an out-of-range load
 * ends the program with 0, SKF_NET_OFF loads read the network header). Real sockets run them in
 * quiet_socket_test.ts.
 */
import assert from "node:assert/strict";
import { type RoutineAdvert, routineFilters } from "../../ffi/bpf_vrrp.ts";
import { encodeIpv4Packet } from "../../ffi/ip_header.ts";
import { parseAddress } from "../../lib/vrrp/address.ts";

const SKF_NET_OFF = -0x100000;

/** Runs `program` over `pkt` (what the socket sees) with `net` as the network header. */
function run(program: Uint8Array, pkt: Uint8Array, net: Uint8Array = pkt): number {
  const v = new DataView(program.buffer, program.byteOffset);
  let a = 0, x = 0;
  const load = (off: number, size: number): number | null => {
    let buf = pkt;
    if (off >= 0x80000000) off -= 0x100000000; // k is u32: a negative offset
    if (off < 0) {
      if (off < SKF_NET_OFF) return null;
      buf = net;
      off -= SKF_NET_OFF;
    }
    if (off < 0 || off + size > buf.length) return null;
    let r = 0;
    for (let i = 0; i < size; i++) r = r * 256 + buf[off + i];
    return r >>> 0;
  };
  for (let pc = 0; pc < program.length / 8;) {
    const code = v.getUint16(pc * 8, true);
    const jt = v.getUint8(pc * 8 + 2), jf = v.getUint8(pc * 8 + 3);
    const k = v.getUint32(pc * 8 + 4, true);
    pc++;
    let got: number | null;
    switch (code) {
      case 0x20: // ld [k]
      case 0x28: // ldh [k]
      case 0x30: // ldb [k]
        got = load(k, code === 0x20 ? 4 : code === 0x28 ? 2 : 1);
        if (got === null) return 0;
        a = got;
        break;
      case 0x40: // ld [x+k]
      case 0x48: // ldh [x+k]
      case 0x50: // ldb [x+k]
        got = load(x + k, code === 0x40 ? 4 : code === 0x48 ? 2 : 1);
        if (got === null) return 0;
        a = got;
        break;
      case 0x80: // ld len
        a = pkt.length;
        break;
      case 0xb1: // ldx 4*([k]&0xf)
        got = load(k, 1);
        if (got === null) return 0;
        x = (got & 0xf) * 4;
        break;
      case 0x54: // and #k
        a = (a & k) >>> 0;
        break;
      case 0x1c: // sub x
        a = (a - x) >>> 0;
        break;
      case 0x15: // jeq #k
        pc += a === k ? jt : jf;
        break;
      case 0x35: // jge #k
        pc += a >= k ? jt : jf;
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`opcode 0x${code.toString(16)} not interpreted`);
    }
  }
  throw new Error("fell off the end of the program");
}

const bytes = (s: string) => parseAddress(s)!.bytes;
const A = "10.0.0.1";
const v2 = (vrid: number, priority: number, interval = 1) =>
  Uint8Array.of(0x21, vrid, priority, 1, 0, interval, 0, 0, 10, 0, 0, 9);
const v3 = (vrid: number, priority: number, interval = 100) =>
  Uint8Array.of(0x31, vrid, priority, 1, interval >> 8, interval & 0xff, 0, 0, 10, 0, 0, 9);
const ip4 = (message: Uint8Array, src = A) =>
  encodeIpv4Packet(message, {
    src: bytes(src),
    dst: bytes("224.0.0.18"),
    ttl: 255,
    protocol: 112,
    id: 1,
  });
/** an IPv6 header: source at 8..23 */
const ip6Header = (src: string) => {
  const h = new Uint8Array(40);
  h[0] = 0x60;
  h[6] = 112;
  h[7] = 255;
  h.set(bytes(src), 8);
  h.set(bytes("ff02::12"), 24);
  return h;
};

const ROUTINE: RoutineAdvert[] = [
  { vrid: 1, version: 2, source: bytes(A), priority: 100, interval: 1 },
  { vrid: 2, version: 3, source: bytes(A), priority: 200, interval: 100 },
];

/** Runs both filters; asserts exactly one takes the packet; true when the quiet one does. */
function quiet(
  family: "ipv4" | "ipv6",
  entries: RoutineAdvert[],
  pkt: Uint8Array,
  net?: Uint8Array,
) {
  const f = routineFilters(family, entries);
  const q = run(f.quiet, pkt, net) !== 0;
  const p = run(f.polled, pkt, net) !== 0;
  assert.notEqual(q, p, "exactly one socket takes each packet");
  return q;
}

Deno.test("bpf_vrrp IPv4: only the master's routine advert goes to the quiet socket", () => {
  assert.equal(quiet("ipv4", ROUTINE, ip4(v2(1, 100))), true);
  assert.equal(quiet("ipv4", ROUTINE, ip4(v3(2, 200))), true);
  assert.equal(quiet("ipv4", ROUTINE, ip4(v2(1, 0))), false, "priority 0");
  assert.equal(quiet("ipv4", ROUTINE, ip4(v2(1, 101))), false, "higher priority");
  assert.equal(quiet("ipv4", ROUTINE, ip4(v2(1, 99))), false, "lower priority");
  assert.equal(quiet("ipv4", ROUTINE, ip4(v2(1, 100), "10.0.0.2")), false, "another master");
  assert.equal(quiet("ipv4", ROUTINE, ip4(v2(3, 100))), false, "a VRID not followed");
  assert.equal(quiet("ipv4", ROUTINE, ip4(v3(1, 100, 100))), false, "v3 for a v2 VRID");
  assert.equal(quiet("ipv4", ROUTINE, ip4(v2(1, 100, 2))), false, "another interval");
  assert.equal(quiet("ipv4", ROUTINE, ip4(v3(2, 200, 50))), false, "another v3 interval");
  // the reserved bits above the 12-bit interval do not matter
  const r = ip4(v3(2, 200));
  r[20 + 4] |= 0xf0;
  assert.equal(quiet("ipv4", ROUTINE, r), true);
  assert.equal(quiet("ipv4", ROUTINE, ip4(Uint8Array.of(0x21, 1, 100))), false, "too short");
  // the VRRP header is found behind IP options (IHL 6)
  const m = v2(1, 100);
  const opt = new Uint8Array(24 + m.length);
  opt.set(ip4(m).subarray(0, 20));
  opt[0] = 0x46;
  opt.set(m, 24);
  assert.equal(quiet("ipv4", ROUTINE, opt), true);
});

Deno.test("bpf_vrrp IPv6: the source comes from the network header", () => {
  const LL = "fe80::1";
  const entries: RoutineAdvert[] = [
    { vrid: 7, version: 3, source: bytes(LL), priority: 150, interval: 100 },
  ];
  assert.equal(quiet("ipv6", entries, v3(7, 150), ip6Header(LL)), true);
  assert.equal(quiet("ipv6", entries, v3(7, 150), ip6Header("fe80::2")), false, "another master");
  assert.equal(quiet("ipv6", entries, v3(7, 0), ip6Header(LL)), false, "priority 0");
  assert.equal(quiet("ipv6", entries, v3(8, 150), ip6Header(LL)), false, "another VRID");
  assert.equal(quiet("ipv6", entries, Uint8Array.of(0x31, 7), ip6Header(LL)), false, "too short");
  assert.throws(() => routineFilters("ipv6", ROUTINE), TypeError, "IPv4 sources for IPv6");
});

Deno.test("bpf_vrrp: no routine adverts: the quiet socket takes nothing, the polled one all", () => {
  assert.equal(quiet("ipv4", [], ip4(v2(1, 100))), false);
  assert.equal(quiet("ipv6", [], v3(7, 150), ip6Header("fe80::1")), false);
});

Deno.test("bpf_vrrp: 255 IPv4 VRIDs fit the kernel's 4096 instructions, jumps in range", () => {
  const all: RoutineAdvert[] = Array.from({ length: 255 }, (_, i) => ({
    vrid: i + 1,
    version: 3,
    source: bytes(A),
    priority: 100,
    interval: 100,
  }));
  assert.equal(quiet("ipv4", all, ip4(v3(255, 100))), true);
  assert.equal(quiet("ipv4", all, ip4(v3(255, 101))), false);
  assert.equal(quiet("ipv4", all, ip4(v3(1, 100))), true);
});
