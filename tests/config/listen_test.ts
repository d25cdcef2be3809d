import assert from "node:assert/strict";
import { formatListenAddress, parseListenAddress } from "../../config/listen.ts";
import { loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

Deno.test("parseListenAddress(): a bare port is 127.0.0.1; IPv4 and [IPv6] literals", () => {
  assert.deepEqual(parseListenAddress("9650"), { hostname: "127.0.0.1", port: 9650 });
  assert.deepEqual(parseListenAddress("0.0.0.0:9100"), { hostname: "0.0.0.0", port: 9100 });
  assert.deepEqual(parseListenAddress("[::1]:9100"), { hostname: "::1", port: 9100 });
  assert.equal(formatListenAddress({ hostname: "::1", port: 9100 }), "[::1]:9100");
  assert.equal(formatListenAddress({ hostname: "127.0.0.1", port: 1 }), "127.0.0.1:1");
});

Deno.test("parseListenAddress() rejects names, bad ports and bad addresses, saying why", () => {
  for (
    const bad of [
      "",
      "0",
      "65536",
      "localhost:80",
      "1.2.3:80",
      "10.0.0.300:80",
      "[x]:1",
      "::1:80",
      "80a",
    ]
  ) {
    const r = parseListenAddress(bad);
    assert.ok("error" in r, bad);
    assert.match(r.error, /invalid listen address/);
  }
});

Deno.test("vrrp_metrics_listen and metrics_listen: read in both formats, checked with file:line:col", () => {
  const inst = `vrrp_instance a {\n interface eth0\n virtual_router_id 1\n priority 100\n` +
    ` virtual_ipaddress {\n  10.0.0.1/24\n }\n}\n`;
  const ka = parseConfigText(
    `global_defs {\n  vrrp_metrics_listen 9650\n}\n${inst}`,
    "k.conf",
    "keepalived",
    { configId: "x" },
  );
  assert.equal(ka.config.global.metricsListen, "9650");
  assert.deepEqual(ka.diagnostics.filter((d) => d.severity === "error"), []);
  const bad = parseConfigText(
    `global_defs {\n  vrrp_metrics_listen 1.2.3.4:0\n}\n${inst}`,
    "k.conf",
    "keepalived",
    { configId: "x" },
  );
  assert.deepEqual(bad.diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic), [
    'k.conf:2:3: error: invalid listen address "1.2.3.4:0": the port is not in 1..65535 (PORT, IPV4:PORT or [IPV6]:PORT)',
  ]);
  const toml = parseConfigText(
    `[global]\nmetrics_listen = "[::1]:9100"\n\n[instance.a]\ninterface = "eth0"\nvirtual_router_id = 1\npriority = 100\nvirtual_ipaddress = ["10.0.0.1/24"]\n`,
    "v.toml",
    "toml",
    { configId: "x" },
  );
  assert.deepEqual(toml.diagnostics.filter((d) => d.severity === "error"), []);
  assert.equal(toml.config.global.metricsListen, "[::1]:9100");
});
