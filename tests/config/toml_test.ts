/** The TOML front end: schema, positions, suggestions, type errors. */
import assert from "node:assert/strict";
import { detectFormat, loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { keyPositions } from "../../config/toml.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

function parse(text: string) {
  return parseConfigText(text, "t.toml", "toml", { configId: "x" });
}
function messages(text: string): string[] {
  return parse(text).diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`);
}

const BASE = `[instance.web]
interface = "eth0"
virtual_router_id = 9
virtual_ipaddress = ["10.0.0.9", { address = "10.0.0.10/24", dev = "eth0", label = "eth0:1" }]
`;

Deno.test("parseToml() reads VIPs as strings or tables and tracks as names or tables", () => {
  const r = parse(
    `${BASE}track_interface = ["eth1", { name = "eth2", weight = -10, reverse = true }]
[script.chk]
script = "/bin/true"
interval = 3
`,
  );
  assert.deepEqual(r.diagnostics, []);
  const i = r.config.instances[0];
  assert.deepEqual(i.vips, [
    { address: "10.0.0.9", prefixLen: 32 },
    { address: "10.0.0.10", prefixLen: 24, dev: "eth0", label: "eth0:1" },
  ]);
  assert.deepEqual(i.trackInterfaces, [{ name: "eth1" }, {
    name: "eth2",
    weight: -10,
    reverse: true,
  }]);
  assert.equal(r.config.scripts[0].timeoutSec, 3);
});

Deno.test("parseToml() maps syntax errors to file:line:column", () => {
  assert.deepEqual(messages(`${BASE}priority = \n`).map((m) => m.split(" ")[0]), ["5:12"]);
  assert.match(messages(`${BASE}priority = \n`)[0], /error: TOML syntax: /);
});

Deno.test("parseToml() warns at an unknown key's line with a suggestion", () => {
  assert.deepEqual(messages(`${BASE}preempt_dalay = 3\n`), [
    `5:1 warning: unknown key "preempt_dalay" in [instance.web], ignored; did you mean "preempt_delay"?`,
  ]);
});

Deno.test("parseToml() reports type errors at the key", () => {
  assert.deepEqual(messages(`${BASE}  preempt = "no"\n`), [
    `5:3 error: "preempt" must be true or false, got "no"`,
  ]);
});

Deno.test("parseToml() gives the same semantic diagnostics as the keepalived front end", () => {
  const toml = parse(BASE.replace("= 9", "= 0"));
  const conf = parseConfigText(
    `vrrp_instance web {\n interface eth0\n virtual_router_id 0\n virtual_ipaddress {\n 10.0.0.9\n 10.0.0.10/24 dev eth0 label eth0:1\n }\n}\n`,
    "k.conf",
    "keepalived",
    { configId: "x" },
  );
  assert.deepEqual(
    toml.diagnostics.map((d) => d.message),
    conf.diagnostics.map((d) => d.message),
  );
  assert.equal(toml.diagnostics[0].line, 3);
});

Deno.test("keyPositions() finds headers, dotted and quoted keys", () => {
  const p = keyPositions(`[global]\nrouter_id = "a"\n[instance."my.vi"]\n  priority = 5\n`, "f");
  assert.deepEqual(p.get("global\u0000router_id"), { file: "f", line: 2, col: 1 });
  assert.deepEqual(p.get("instance\u0000my.vi\u0000priority"), { file: "f", line: 4, col: 3 });
});

Deno.test("detectFormat() uses the extension, then the content", () => {
  assert.equal(detectFormat("/etc/vrrp/vrrp.toml", ""), "toml");
  assert.equal(detectFormat("/etc/keepalived/keepalived.conf", "[x]"), "keepalived");
  assert.equal(detectFormat("/tmp/cfg", "# c\n[instance.a]\n"), "toml");
  assert.equal(detectFormat("/tmp/cfg", "! c\nglobal_defs {\n}\n"), "keepalived");
});
