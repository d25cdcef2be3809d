/** Bad input never throws: random text and mutated examples always come back as diagnostics. */
import assert from "node:assert/strict";
import fc from "fast-check";
import { loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import type { LoadResult } from "../../config/model.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

const noFiles = { configId: "testhost", readFile: () => null, listDir: () => null };
const EX = new URL("../../examples/", import.meta.url);
const CONF = Deno.readTextFileSync(new URL("seed-10.101.1.185.conf", EX));
const TOML = Deno.readTextFileSync(new URL("vrrp.toml", EX));

/** Pieces that stress the grammar when spliced in anywhere. */
const PIECES = [
  "{",
  "}",
  "\n",
  '"',
  "'",
  "!",
  "#",
  "//",
  "$",
  "${X}",
  "$X=1\n",
  "@",
  "@^",
  "include x\n",
  "include *\n",
  "vrrp_instance",
  "virtual_ipaddress {",
  "priority",
  "-1",
  "256",
  "1.5",
  "[",
  "]",
  "[[instance]]",
  "=",
  "= 1",
  "\u0000",
  "\ufeff",
  "é",
  "/",
  "\t",
  "auth_pass",
  "0.0.0.0/99",
];

function mutate(text: string) {
  return fc.array(
    fc.tuple(fc.nat(text.length), fc.nat(20), fc.oneof(fc.constantFrom(...PIECES), fc.string())),
    { minLength: 1, maxLength: 8 },
  ).map((edits) => {
    let t = text;
    for (const [at, del, ins] of edits) {
      const i = at % (t.length + 1);
      t = t.slice(0, i) + ins + t.slice(i + del);
    }
    return t;
  });
}

function wellFormed(r: LoadResult): void {
  assert.ok(Array.isArray(r.diagnostics));
  for (const d of r.diagnostics) {
    assert.ok(d.line >= 1 && d.col >= 1, `bad position ${d.line}:${d.col}`);
    assert.ok(!d.message.startsWith("internal error"), d.message);
  }
}

Deno.test("parseConfigText() never throws on random text, in either format", () => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300, unit: "binary" }), (text) => {
      wellFormed(parseConfigText(text, "r.conf", "keepalived", noFiles));
      wellFormed(parseConfigText(text, "r.toml", "toml", noFiles));
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseConfigText() never throws on token soup", () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...PIECES, " ", "eth0", "10.0.0.1", "51")), (parts) => {
      const text = parts.join(" ");
      wellFormed(parseConfigText(text, "s.conf", "keepalived", noFiles));
      wellFormed(parseConfigText(text, "s.toml", "toml", noFiles));
    }),
    { numRuns: 300 },
  );
});

Deno.test("parseConfigText() never throws on mutated example configs", () => {
  fc.assert(
    fc.property(
      mutate(CONF),
      (text) => wellFormed(parseConfigText(text, "m.conf", "keepalived", noFiles)),
    ),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(
      mutate(TOML),
      (text) => wellFormed(parseConfigText(text, "m.toml", "toml", noFiles)),
    ),
    { numRuns: 300 },
  );
});

Deno.test("parseConfigText() reports wrong TOML shapes instead of throwing", () => {
  const shapes = [
    "instance = 1",
    "instance = [1, 2]",
    "[instance]\nx = 1",
    "[[instance]]\nname = 'a'",
    "global = 'x'",
    "[instance.a]\nvirtual_ipaddress = 'x'",
    "[instance.a]\nvirtual_ipaddress = [1, {}, {address = 2}]",
    "[instance.a]\ntrack_script = [1, {weight = 2}, {name = 'x', weight = 'y'}]",
    "[instance.a]\nadvert_int = inf",
    "[instance.a]\nadvert_int = nan",
    "[instance.a]\npriority = 1979-05-27",
    "[global]\nrouter_id = 1979-05-27T07:32:00Z",
  ];
  for (const text of shapes) {
    const r = parseConfigText(text, "shape.toml", "toml", noFiles);
    wellFormed(r);
    assert.ok(r.diagnostics.some((d) => d.severity !== "note"), `${text}: no diagnostic`);
  }
});
