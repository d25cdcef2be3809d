import assert from "node:assert/strict";
import { check, lastErrno, OsError } from "../../ffi/errors.ts";
import { libc } from "../../ffi/libc.ts";
import { interfaceInfo } from "../../ffi/netif.ts";

Deno.test("close(-1) fails with an OsError carrying EBADF", () => {
  let err: unknown = null;
  try {
    check("close", libc().close(-1));
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof OsError);
  assert.equal(err.syscall, "close");
  assert.equal(err.errno, 9);
  assert.equal(err.code, "EBADF");
  assert.match(err.message, /^close: Bad file descriptor \(EBADF, errno 9\)$/);
});

Deno.test("lastErrno() is read right after the failing call", () => {
  assert.equal(libc().close(-1), -1);
  assert.equal(lastErrno(), 9);
});

Deno.test("OsError names an unknown errno by number", () => {
  const err = new OsError("frob", 4095);
  assert.equal(err.code, "E4095");
  assert.equal(err.name, "OsError");
});

Deno.test("interfaceInfo() of a missing interface throws OsError ENODEV", () => {
  try {
    interfaceInfo("vt-nope0");
    assert.fail("expected a throw");
  } catch (err) {
    assert.ok(err instanceof OsError);
    assert.equal(err.code, "ENODEV");
    assert.equal(err.syscall, "if_nametoindex");
  }
});
