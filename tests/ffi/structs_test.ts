import assert from "node:assert/strict";
import {
  cString,
  ifreq,
  ipMreqn,
  macString,
  pollfds,
  pollRevents,
  readSockaddrLl,
  sockaddrIn,
  sockaddrLl,
} from "../../ffi/structs.ts";

Deno.test("cString() sizes by UTF-8 bytes and ends with NUL", () => {
  assert.deepEqual(cString("eth0"), Uint8Array.from([101, 116, 104, 48, 0]));
  // "é" is 1 UTF-16 unit but 2 UTF-8 bytes
  assert.equal(cString("é").length, 3);
  assert.throws(() => cString("a\0b"), TypeError);
});

Deno.test("sockaddrIn() puts family in host order, port and address in network order", () => {
  assert.deepEqual(
    sockaddrIn(Uint8Array.of(224, 0, 0, 18), 0x1234),
    Uint8Array.from([2, 0, 0x12, 0x34, 224, 0, 0, 18, 0, 0, 0, 0, 0, 0, 0, 0]),
  );
});

Deno.test("sockaddrLl() layout: family, be16 protocol, ifindex, halen, addr", () => {
  const b = sockaddrLl(7, 0x0806, Uint8Array.from([1, 2, 3, 4, 5, 6]));
  assert.equal(b.length, 20);
  assert.deepEqual(Array.from(b.subarray(0, 8)), [17, 0, 0x08, 0x06, 7, 0, 0, 0]);
  assert.equal(b[11], 6);
  assert.deepEqual(Array.from(b.subarray(12, 18)), [1, 2, 3, 4, 5, 6]);
  b[10] = 4;
  assert.deepEqual(readSockaddrLl(b), { protocol: 0x0806, ifindex: 7, pktType: 4 });
});

Deno.test("ipMreqn() holds group, address and ifindex", () => {
  assert.deepEqual(
    ipMreqn(Uint8Array.of(224, 0, 0, 18), 3),
    Uint8Array.from([224, 0, 0, 18, 0, 0, 0, 0, 3, 0, 0, 0]),
  );
});

Deno.test("ifreq() rejects names longer than 15 bytes", () => {
  assert.equal(ifreq("eth0").length, 40);
  assert.doesNotThrow(() => ifreq("a".repeat(15)));
  assert.throws(() => ifreq("a".repeat(16)), TypeError);
});

Deno.test("pollfds() and pollRevents() round-trip", () => {
  const b = pollfds([5, 6], 1);
  assert.deepEqual(Array.from(b), [5, 0, 0, 0, 1, 0, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0]);
  b[14] = 0x10;
  assert.equal(pollRevents(b, 1), 0x10);
  assert.equal(pollRevents(b, 0), 0);
});

Deno.test("sockaddrIn() and ipMreqn() take addresses as 4 bytes, nothing else", () => {
  assert.throws(() => sockaddrIn(new Uint8Array(16)), TypeError);
  assert.throws(() => ipMreqn(new Uint8Array(3), 1), TypeError);
  assert.equal(macString(Uint8Array.from([0, 0x5e, 0, 1, 0xa, 0xff])), "00:5e:00:01:0a:ff");
});
