/** `vrrp check` and `vrrp convert`, run as commands: output and exit codes. */
import assert from "node:assert/strict";
import { runCheck } from "../../lib/cli/check.ts";
import { runConvert } from "../../lib/cli/convert.ts";

const EX = new URL("../../examples/", import.meta.url).pathname;
const INVALID = new URL("../fixtures/config/invalid/", import.meta.url).pathname;

/** Runs `fn` with console.log/error and stdout captured. */
async function capture(fn: () => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  const write = Deno.stdout.write;
  console.log = (...a: unknown[]) => out.push(a.join(" ") + "\n");
  console.error = (...a: unknown[]) => err.push(a.join(" ") + "\n");
  Deno.stdout.write = (b: Uint8Array) => {
    out.push(new TextDecoder().decode(b));
    return Promise.resolve(b.length);
  };
  try {
    const code = await fn();
    return { code, stdout: out.join(""), stderr: err.join("") };
  } finally {
    console.log = log;
    console.error = error;
    Deno.stdout.write = write;
  }
}

Deno.test("vrrp check: the example passes with exit 0 and a summary", async () => {
  const r = await capture(() => runCheck({ file: `${EX}seed-10.101.1.186.conf`, configId: "h" }));
  assert.equal(r.code, 0);
  const lines = r.stdout.trimEnd().split("\n");
  assert.match(lines[0], /seed-10\.101\.1\.186\.conf:4:4: note: "notification_email" ignored/);
  assert.ok(lines.includes("  ha-internal-1  eth0  vrid 1  priority 99  state BACKUP  2 VIPs"));
  assert.ok(lines.includes("  ha-internal-2  eth0  vrid 2  priority 100  state MASTER  2 VIPs"));
  assert.equal(lines[lines.length - 1], "ok: 0 errors, 2 warnings, 4 notes");
});

Deno.test("vrrp check: errors give exit 1", async () => {
  const r = await capture(() => runCheck({ file: `${INVALID}vrid_256.conf` }));
  assert.equal(r.code, 1);
  assert.match(
    r.stdout,
    /vrid_256\.conf:5:5: error: instance "VI_1": virtual_router_id must be 1\.\.255, got 256/,
  );
  assert.match(r.stdout, /failed: 1 error, /);
});

Deno.test("vrrp check: a missing file is a usage error, exit 2", async () => {
  const r = await capture(() => runCheck({ file: "/nonexistent/vrrp.toml" }));
  assert.equal(r.code, 2);
  assert.equal(r.stderr, "vrrp check: cannot read /nonexistent/vrrp.toml: no such file\n");
});

Deno.test("vrrp check --json prints diagnostics, instances and ok", async () => {
  const r = await capture(() => runCheck({ file: `${EX}vrrp.toml`, json: true }));
  assert.equal(r.code, 0);
  const j = JSON.parse(r.stdout);
  assert.equal(j.ok, true);
  assert.equal(j.format, "toml");
  assert.deepEqual(j.instances[0], {
    name: "ha-internal-1",
    interface: "eth0",
    vrid: 1,
    priority: 100,
    state: "MASTER",
    vips: 2,
    version: 2,
    family: "ipv4",
  });
  assert.equal(j.diagnostics.length, 3);
  assert.deepEqual(Object.keys(j.diagnostics[0]).sort(), [
    "col",
    "file",
    "line",
    "message",
    "severity",
  ]);
});

Deno.test("vrrp convert: keepalived to TOML and back", async () => {
  const toml = await capture(() => runConvert({ file: `${EX}seed-10.101.1.185.conf`, to: "toml" }));
  assert.equal(toml.code, 0);
  assert.match(toml.stdout, /^\[instance\.ha-internal-1\]$/m);
  assert.match(toml.stdout, /^auth_pass = "1-internal-ha"$/m);
  const tmp = await Deno.makeTempFile({ suffix: ".toml" });
  try {
    await Deno.writeTextFile(tmp, toml.stdout);
    const conf = await capture(() => runConvert({ file: tmp, to: "keepalived" }));
    assert.equal(conf.code, 0);
    assert.match(conf.stdout, /^vrrp_instance ha-internal-2 \{$/m);
    assert.match(conf.stdout, /^ {8}10\.101\.0\.107\/22 dev eth0$/m);
  } finally {
    await Deno.remove(tmp);
  }
});

Deno.test("vrrp convert: a config with errors converts nothing, exit 1", async () => {
  const r = await capture(() =>
    runConvert({ file: `${INVALID}missing_interface.conf`, to: "toml" })
  );
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /has no interface/);
});

Deno.test("vrrp check through main.ts: stdout, exit code and --config-id", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/k.conf`;
    await Deno.writeTextFile(
      file,
      `vrrp_instance VI_1 {
  interface eth0
  @alpha virtual_router_id 10
  @^alpha virtual_router_id 300
  virtual_ipaddress {
    10.0.0.1
  }
}
`,
    );
    const run = async (...args: string[]) => {
      const cmd = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("../../main.ts", import.meta.url).pathname, "check", ...args],
        stdout: "piped",
        stderr: "piped",
      });
      const out = await cmd.output();
      return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
    };
    const alpha = await run("-f", file, "--config-id", "alpha");
    assert.equal(alpha.code, 0, alpha.stdout);
    assert.match(alpha.stdout, /VI_1 {2}eth0 {2}vrid 10 {2}priority 100 {2}state BACKUP {2}1 VIP/);
    const beta = await run("-f", file, "--config-id", "beta", "--json");
    assert.equal(beta.code, 1);
    const j = JSON.parse(beta.stdout);
    assert.equal(j.ok, false);
    assert.equal(j.diagnostics[0].line, 4);
    assert.match(j.diagnostics[0].message, /virtual_router_id must be 1\.\.255, got 300/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vrrp check names VRRPv3 instances and their family", async () => {
  const dir = await Deno.makeTempDir();
  const file = `${dir}/v3.conf`;
  await Deno.writeTextFile(
    file,
    "vrrp_instance v6 {\n interface eth0\n virtual_router_id 52\n advert_int 0.1\n" +
      " virtual_ipaddress {\n  fd00:101::151/64\n }\n}\n",
  );
  const r = await capture(() => runCheck({ file }));
  await Deno.remove(dir, { recursive: true });
  assert.equal(r.code, 0);
  assert.match(
    r.stdout,
    /v6 {2}eth0 {2}vrid 52 {2}priority 100 {2}state BACKUP {2}1 VIP {2}VRRPv3 IPv6/,
  );
});
