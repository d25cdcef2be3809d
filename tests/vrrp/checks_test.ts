import assert from "node:assert/strict";
import { checkAdvert } from "../../lib/vrrp/checks.ts";
import { advertFor } from "../../lib/vrrp/fsm.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import type { Advertisement, InstanceParams } from "../../lib/vrrp/types.ts";

const params: InstanceParams = {
  name: "vi1",
  vrid: 51,
  basePriority: 100,
  version: 2,
  family: "ipv4",
  advertIntervalCs: 100,
  primaryIp: "10.0.0.2",
  vips: ["10.0.0.100", "10.0.0.101"],
  authType: 1,
  authPass: "1-internal-ha",
  preempt: true,
  preemptDelayMs: 0,
  higherPrioSendAdvert: false,
  unicast: null,
  garpMasterDelayMs: 0,
  garpMasterRepeat: 5,
  garpMasterRefreshMs: 0,
  garpMasterRefreshRepeat: 1,
};
const peer = "10.0.0.3";

function from(o: Partial<Advertisement>): Advertisement {
  return { ...advertFor(params, 150), ...o };
}

function reasonOf(advert: Advertisement, source = peer): string {
  const r = checkAdvert(params, advert, source);
  return r.ok ? "ok" : r.reason;
}

Deno.test("checkAdvert() accepts a matching advert without warnings", () => {
  assert.deepEqual(checkAdvert(params, from({}), peer), { ok: true, warnings: [] });
});

Deno.test("RFC 3768 §7.1: checkAdvert() drops our own advert looped back (ownAdvert)", () => {
  assert.equal(reasonOf(from({}), "10.0.0.2"), "ownAdvert");
});

Deno.test("RFC 3768 §7.1: checkAdvert() drops a VRID that is not ours (unknownVrid)", () => {
  assert.equal(reasonOf(from({ vrid: 52 })), "unknownVrid");
  assert.equal(reasonOf(from({ vrid: 0 })), "unknownVrid");
});

Deno.test("RFC 3768 §7.1: checkAdvert() drops a different auth type (authTypeMismatch)", () => {
  assert.equal(reasonOf(from({ authType: 0 })), "authTypeMismatch");
});

Deno.test("RFC 3768 §7.1: checkAdvert() compares the 8 wire bytes of the password", () => {
  assert.equal(reasonOf(from({ authData: authDataFromPassword("wrong") })), "authFailure");
  // keepalived truncates to 8 bytes: "1-internal-ha" and "1-intern" are the same on the wire
  assert.equal(reasonOf(from({ authData: authDataFromPassword("1-intern") })), "ok");
  assert.equal(reasonOf(from({ authData: new Uint8Array(3) })), "authFailure");
});

Deno.test("RFC 3768 §5.3.6: with auth type 0 the auth data is ignored", () => {
  const p0 = { ...params, authType: 0 };
  const a = { ...advertFor(p0, 100), authData: authDataFromPassword("junk") };
  assert.equal(checkAdvert(p0, a, peer).ok, true);
});

Deno.test("RFC 3768 §7.1: checkAdvert() drops a different advert interval (intervalMismatch)", () => {
  assert.equal(reasonOf(from({ advertIntervalCs: 200 })), "intervalMismatch");
});

Deno.test("RFC 3768 §7.1: checkAdvert() drops a different address list unless from the owner", () => {
  const r = checkAdvert(params, from({ addresses: ["10.0.0.100"] }), peer);
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.reason, "addressListMismatch");
    assert.match(r.detail, /10\.0\.0\.101/);
  }
  const owner = checkAdvert(params, from({ priority: 255, addresses: ["10.0.0.9"] }), peer);
  assert.equal(owner.ok, true);
  if (owner.ok) assert.equal(owner.warnings.length, 1);
  // order does not matter
  assert.equal(reasonOf(from({ addresses: ["10.0.0.101", "10.0.0.100"] })), "ok");
});
