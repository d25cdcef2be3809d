/**
 * Every keyword keepalived 2.2.7 installs is honoured, noted or warned about by vrrp, never
 * "unknown" (tests/fixtures/keepalived/keywords-2.2.7.json lists them, from keepalived's parser).
 */
import assert from "node:assert/strict";
import { classify } from "../../config/docs.ts";
import { parseConfigText } from "../../config/load.ts";

const KEYWORDS: Record<string, string[]> = JSON.parse(
  Deno.readTextFileSync(
    new URL("../fixtures/keepalived/keywords-2.2.7.json", import.meta.url),
  ),
).blocks;

const opts = { configId: "x", readFile: () => null, listDir: () => null };

Deno.test("every keepalived 2.2.7 keyword has a status in the keyword table", () => {
  const unknown: string[] = [];
  for (const kw of Object.keys(KEYWORDS)) {
    if (classify("top", kw).status === "unknown") unknown.push(`top ${kw}`);
  }
  for (const [block, names] of Object.entries(KEYWORDS)) {
    for (const kw of names) {
      const c = classify(block, kw);
      // blocks vrrp skips whole (garp_group, vrrp_track_process, ...) take their keywords along
      if (c.status === "unknown" && classify("top", block).status === "honoured") {
        unknown.push(`${block} ${kw}`);
      }
    }
  }
  assert.deepEqual(unknown, []);
});

Deno.test("no keepalived 2.2.7 keyword is reported as unknown by the parser", () => {
  const inBlock = (block: string, kw: string) => {
    const body = `  ${kw} 1\n`;
    if (block === "global_defs") return `global_defs {\n${body}}\n`;
    if (block === "vrrp_instance") {
      return `vrrp_instance VI {\n  interface eth0\n  virtual_router_id 1\n${body}}\n`;
    }
    return `${block} x {\n${body}}\n`;
  };
  const problems: string[] = [];
  for (const [block, names] of Object.entries(KEYWORDS)) {
    const texts = [`${block} x {\n}\n`];
    if (classify("top", block).status === "honoured") {
      // auth_type and auth_pass live in the authentication sub-block
      texts.push(...names.filter((n) => !n.startsWith("auth_")).map((n) => inBlock(block, n)));
    }
    for (const text of texts) {
      const r = parseConfigText(text, "k.conf", "keepalived", opts);
      for (const d of r.diagnostics) {
        if (/unknown keyword/.test(d.message)) problems.push(`${block}: ${d.message}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
