/** `vrrp convert`: printing either format and parsing it back gives the same typed config. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { toKeepalived, toToml } from "../../config/convert.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";
import { arbConfig } from "./_arbitraries.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

// what was written, without keepalived's load-time corrections (as `vrrp convert` reads it)
const noFiles = {
  configId: "testhost",
  readFile: () => null,
  listDir: () => null,
  asWritten: true,
};

/** fast-check builds null-prototype objects; the parsers build plain ones */
function plain<T>(x: T): T {
  return JSON.parse(JSON.stringify(x));
}

function syntaxDiags(r: ReturnType<typeof parseConfigText>): string[] {
  // semantic findings (e.g. version 3, unknown track_script) are fine here; parse problems are not
  return r.diagnostics
    .filter((d) =>
      d.severity !== "note" &&
      !/^(instances? |sync group |track_script |track_file |vrrp_version 3|bad IPv4 multicast|vrrp_mcast_group4 )/
        .test(d.message)
    )
    .map(formatDiagnostic);
}

Deno.test("parse(toToml(x)) equals x for generated configs", () => {
  fc.assert(
    fc.property(arbConfig, (cfg) => {
      const text = toToml(cfg);
      const r = parseConfigText(text, "gen.toml", "toml", noFiles);
      assert.deepEqual(syntaxDiags(r), [], text);
      assert.deepEqual(r.config, plain(cfg), text);
    }),
    { numRuns: 200 },
  );
});

Deno.test("parse(toKeepalived(x)) equals x for generated configs", () => {
  fc.assert(
    fc.property(arbConfig, (cfg) => {
      const text = toKeepalived(cfg);
      const r = parseConfigText(text, "gen.conf", "keepalived", noFiles);
      assert.deepEqual(syntaxDiags(r), [], text);
      assert.deepEqual(r.config, plain(cfg), text);
    }),
    { numRuns: 200 },
  );
});

Deno.test("keepalived -> TOML -> keepalived keeps the example's config", () => {
  const text = Deno.readTextFileSync(
    new URL("../../examples/seed-10.101.1.185.conf", import.meta.url),
  );
  const a = parseConfigText(text, "a.conf", "keepalived", noFiles).config;
  const b = parseConfigText(toToml(a), "b.toml", "toml", noFiles).config;
  const c = parseConfigText(toKeepalived(b), "c.conf", "keepalived", noFiles).config;
  assert.deepEqual(b, a);
  assert.deepEqual(c, a);
});
