/** The reference configs (verbatim keepalived files and their TOML twin) check clean. */
import assert from "node:assert/strict";
import { hasErrors, loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

const EX = new URL("../../examples/", import.meta.url).pathname;

function check(name: string, format: "keepalived" | "toml") {
  return parseConfigText(Deno.readTextFileSync(EX + name), name, format, { configId: "testhost" });
}

const SLASHES = `"//" comment: accepted here, but keepalived does not treat "//" as a comment`;
const IGNORED = (kw: string) => `note: "${kw}" ignored: vrrp sends no mail, SNMP or D-Bus`;
const TRUNCATED = (inst: string, n: number) =>
  `warning: instance "${inst}": auth_pass "${n}-internal-ha" is longer than 8 bytes; only "${n}-intern" goes on the wire (as with keepalived)`;
const HINT = (inst: string, prio: number) =>
  `note: instance "${inst}": state MASTER with priority ${prio} is a hint; the election decides`;

Deno.test("seed-10.101.1.185.conf checks clean with exactly the expected diagnostics", () => {
  const f = "seed-10.101.1.185.conf";
  const r = check(f, "keepalived");
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    `${f}:5:4: ${IGNORED("notification_email")}`,
    `${f}:8:4: ${IGNORED("smtp_server")}`,
    `${f}:9:4: ${IGNORED("smtp_connect_timeout")}`,
    `${f}:10:47: warning: ${SLASHES}`,
    `${f}:14:5: ${HINT("ha-internal-1", 100)}`,
    `${f}:16:25: warning: ${SLASHES}`,
    `${f}:17:19: warning: ${SLASHES}`,
    `${f}:18:18: warning: ${SLASHES}`,
    `${f}:20:24: warning: ${SLASHES}`,
    `${f}:21:9: ${TRUNCATED("ha-internal-1", 1)}`,
    `${f}:21:34: warning: ${SLASHES}`,
    `${f}:23:5: warning: ${SLASHES}`,
    `${f}:24:5: warning: ${SLASHES}`,
    `${f}:39:9: ${TRUNCATED("ha-internal-2", 2)}`,
  ]);
  assert.equal(hasErrors(r.diagnostics), false);
});

Deno.test("seed-10.101.1.186.conf checks clean with exactly the expected diagnostics", () => {
  const f = "seed-10.101.1.186.conf";
  const r = check(f, "keepalived");
  assert.deepEqual(r.diagnostics.map(formatDiagnostic), [
    `${f}:4:4: ${IGNORED("notification_email")}`,
    `${f}:7:4: ${IGNORED("smtp_server")}`,
    `${f}:8:4: ${IGNORED("smtp_connect_timeout")}`,
    `${f}:20:9: ${TRUNCATED("ha-internal-1", 1)}`,
    `${f}:29:5: ${HINT("ha-internal-2", 100)}`,
    `${f}:36:9: ${TRUNCATED("ha-internal-2", 2)}`,
  ]);
});

Deno.test("seed-10.101.1.185.conf parses into the expected typed config", () => {
  const { config } = check("seed-10.101.1.185.conf", "keepalived");
  assert.equal(config.global.routerId, "101-1-185-lg-201-l10.yidian.com");
  assert.equal(config.instances.length, 2);
  const [a, b] = config.instances;
  assert.equal(a.name, "ha-internal-1");
  assert.equal(a.initialState, "MASTER");
  assert.equal(a.interface, "eth0");
  assert.equal(a.vrid, 1);
  assert.equal(a.priority, 100);
  assert.equal(a.advertIntervalSec, 1);
  // the configured password is kept; truncation to 8 bytes happens at encode time
  assert.deepEqual(a.auth, { type: "pass", password: "1-internal-ha" });
  assert.deepEqual(a.vips, [
    { address: "10.101.0.101", prefixLen: 22, dev: "eth0" },
    { address: "10.101.0.102", prefixLen: 22, dev: "eth0" },
  ]);
  assert.equal(a.preempt, true);
  assert.equal(a.garpMasterDelaySec, 5);
  assert.equal(a.garpMasterRepeat, 5);
  assert.equal(a.garpMasterRefreshSec, 0);
  assert.equal(a.garpMasterRefreshRepeat, 1);
  assert.equal(a.higherPrioSendAdvert, true);
  assert.equal(b.vrid, 2);
  assert.equal(b.priority, 99);
  assert.equal(b.initialState, "BACKUP");
  assert.equal(config.global.mcastGroup4, "224.0.0.18");
  assert.equal(config.global.controlSocket, "/run/vrrp/vrrp.sock");
  assert.equal(config.global.stateDir, "/var/lib/vrrp");
});

Deno.test("examples/vrrp.toml is the same config as seed-10.101.1.185.conf and checks clean", () => {
  const toml = check("vrrp.toml", "toml");
  const conf = check("seed-10.101.1.185.conf", "keepalived");
  assert.deepEqual(toml.config, conf.config);
  assert.deepEqual(toml.diagnostics.map((d) => `${d.severity}: ${d.message}`), [
    HINT("ha-internal-1", 100),
    TRUNCATED("ha-internal-1", 1),
    TRUNCATED("ha-internal-2", 2),
  ]);
});
