/** docs/config.md's keyword reference is the keyword table (regenerate: scripts/config_docs.ts). */
import assert from "node:assert/strict";
import { generatedPart, keywordReference, normalizeMarkdown } from "../../config/docs.ts";
import { GLOBAL, INSTANCE, SECTIONS } from "../../config/grammar.ts";

const doc = Deno.readTextFileSync(new URL("../../docs/config.md", import.meta.url));

Deno.test("docs/config.md keyword reference matches the keyword table", () => {
  const part = generatedPart(doc);
  assert.ok(part !== undefined, "docs/config.md lacks the generated keyword reference marks");
  assert.equal(
    normalizeMarkdown(part),
    normalizeMarkdown(keywordReference()),
    "docs/config.md is stale: run deno run -A scripts/config_docs.ts",
  );
});

Deno.test("every keyword is documented once per section", () => {
  for (const sec of SECTIONS) {
    const seen = new Set<string>();
    for (const k of sec.keywords) {
      const id = `${k.form ?? "both"}:${k.kw}`;
      assert.ok(!seen.has(id), `${sec.block}: ${k.kw} listed twice`);
      seen.add(id);
      assert.ok(!sec.unhonouredByKw.has(k.kw), `${sec.block}: ${k.kw} both honoured and not`);
    }
  }
  // the TOML keys of [global] drop keepalived's vrrp_ prefix, but vrrp_version keeps it
  assert.ok(GLOBAL.byToml.has("mcast_group4") && GLOBAL.byToml.has("vrrp_version"));
  assert.ok(INSTANCE.byToml.has("auth_type") && !INSTANCE.byKw.has("auth_type"));
});
