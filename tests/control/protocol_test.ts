import assert from "node:assert/strict";
import fc from "fast-check";
import {
  decodeReply,
  decodeRequest,
  encodeRequest,
  LineSplitter,
} from "../../lib/control/protocol.ts";

Deno.test("decodeRequest() accepts the four ops", () => {
  assert.deepEqual(decodeRequest('{"op":"status"}'), { ok: true, request: { op: "status" } });
  assert.deepEqual(decodeRequest('{"op":"status","instance":"a"}'), {
    ok: true,
    request: { op: "status", instance: "a" },
  });
  assert.deepEqual(decodeRequest('{"op":"down","instance":"a"}'), {
    ok: true,
    request: { op: "down", instance: "a" },
  });
  assert.deepEqual(decodeRequest('{"op":"reload","x":1}'), { ok: true, request: { op: "reload" } });
});

Deno.test("decodeRequest() rejects bad lines with a reason", () => {
  for (
    const [line, want] of [
      ["{", /malformed JSON/],
      ["[1]", /JSON object/],
      ["null", /JSON object/],
      ['{"op":1}', /no string "op"/],
      ['{"op":"explode"}', /unknown op "explode"/],
      ['{"op":"up"}', /needs an "instance"/],
      ['{"op":"status","instance":7}', /must be a string/],
    ] as const
  ) {
    const r = decodeRequest(line);
    assert.equal(r.ok, false, line);
    if (!r.ok) assert.match(r.error, want);
  }
});

Deno.test("decodeRequest() never throws on arbitrary input", () => {
  fc.assert(fc.property(fc.string(), (s) => {
    decodeRequest(s);
  }));
  fc.assert(fc.property(fc.json(), (s) => {
    decodeRequest(s);
    decodeReply(s);
  }));
});

Deno.test("encodeRequest() round-trips through decodeRequest()", () => {
  const req = { op: "down" as const, instance: "x y" };
  const line = encodeRequest(req);
  assert.ok(line.endsWith("\n"));
  assert.deepEqual(decodeRequest(line.trimEnd()), { ok: true, request: req });
});

Deno.test("decodeReply() checks the discriminant", () => {
  assert.equal(decodeReply('{"ok":true,"message":"m"}').ok, true);
  assert.equal(decodeReply('{"ok":false,"error":"e"}').ok, true);
  assert.equal(decodeReply('{"ok":true}').ok, false);
  assert.equal(decodeReply('{"ok":"yes"}').ok, false);
  assert.equal(decodeReply("nope").ok, false);
});

Deno.test("LineSplitter splits across chunks and flags overflow", () => {
  const s = new LineSplitter(8);
  const enc = new TextEncoder();
  assert.deepEqual(s.push(enc.encode('{"a"')), { lines: [], overflow: false });
  assert.deepEqual(s.push(enc.encode(':1}\r\n{"b":2}\nrest')), {
    lines: ['{"a":1}', '{"b":2}'],
    overflow: false,
  });
  assert.equal(s.push(enc.encode("0123456789")).overflow, true);
});
