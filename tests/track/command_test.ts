import assert from "node:assert/strict";
import { shellQuote, splitCommand } from "../../lib/track/command.ts";

Deno.test("splitCommand() splits on blanks and honours quotes and backslashes", () => {
  assert.deepEqual(splitCommand("/bin/check  -p 80"), {
    ok: true,
    argv: ["/bin/check", "-p", "80"],
  });
  assert.deepEqual(splitCommand(`/x "a b" 'c "d"' e\\ f ""`), {
    ok: true,
    argv: ["/x", "a b", 'c "d"', "e f", ""],
  });
  assert.deepEqual(splitCommand(`"/path with/space.sh"`), {
    ok: true,
    argv: ["/path with/space.sh"],
  });
});

Deno.test("splitCommand() reports bad strings instead of throwing", () => {
  assert.deepEqual(splitCommand(`/x "open`), { ok: false, error: 'unterminated " quote' });
  assert.deepEqual(splitCommand("  "), { ok: false, error: "empty command" });
  assert.deepEqual(splitCommand("/x \\"), { ok: false, error: "trailing backslash" });
});

Deno.test("shellQuote() quotes only what needs it", () => {
  assert.equal(
    shellQuote(["deno", "compile", "--allow-run=ip", "a b", "it's"]),
    `deno compile --allow-run=ip 'a b' 'it'\\''s'`,
  );
});
