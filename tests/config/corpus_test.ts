/**
 * The invalid corpus: each file in tests/fixtures/config/invalid starts with one or more
 * `# expect: LINE SEVERITY: TEXT` lines naming a diagnostic it must produce.
 */
import assert from "node:assert/strict";
import { detectFormat, loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

const DIR = new URL("../fixtures/config/invalid/", import.meta.url).pathname;
const files = [...Deno.readDirSync(DIR)]
  .map((e) => e.name)
  .filter((n) => n.endsWith(".conf") || n.endsWith(".toml"))
  .sort();

Deno.test("invalid corpus holds at least 30 configs", () => {
  assert.ok(files.length >= 30, `only ${files.length} files`);
});

for (const name of files) {
  Deno.test(`invalid corpus: ${name} produces its expected diagnostic`, () => {
    const path = DIR + name;
    const text = Deno.readTextFileSync(path);
    const expects = [...text.matchAll(/^# expect: (\d+) (error|warning|note): (.*)$/gm)];
    assert.ok(expects.length > 0, `${name} has no "# expect:" header`);
    const result = parseConfigText(text, path, detectFormat(path, text), { configId: "testhost" });
    const printed = result.diagnostics.map(formatDiagnostic).join("\n");
    for (const [, line, severity, message] of expects) {
      const hit = result.diagnostics.find((d) =>
        d.line === Number(line) && d.severity === severity && d.message.includes(message) &&
        d.file.endsWith(name)
      );
      assert.ok(hit, `expected ${line} ${severity}: ${message}\ngot:\n${printed}`);
    }
    if (expects.some(([, , sev]) => sev === "error")) {
      assert.ok(result.diagnostics.some((d) => d.severity === "error"));
    }
  });
}
