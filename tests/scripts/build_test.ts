import assert from "node:assert/strict";
import { build, compileArgs, PERMISSIONS } from "../../scripts/build.ts";
import {
  DAEMON_DENO_FLAGS,
  DAEMON_V8_FLAGS,
  DAEMON_V8_FLAGS_ARG,
} from "../../lib/daemon/v8_flags.ts";

const root = new URL("../../", import.meta.url).pathname;

async function dryRun(env: Record<string, string> = {}, extra: string[] = []) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-env",
      "--allow-run",
      "scripts/build.ts",
      "--dry-run",
      ...extra,
    ],
    cwd: root,
    // a clean environment, so a DENORT_BIN set around the test run does not leak in
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: Deno.env.get("HOME") ?? "/root",
      ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
      NO_COLOR: "1",
      ...env,
    },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stdout: new TextDecoder().decode(out.stdout) };
}

Deno.test("build --dry-run prints the deno compile command with every flag and exits 0", async () => {
  const existed = await Deno.stat(`${root}dist/vrrp`).then(() => true, () => false);
  const { code, stdout } = await dryRun();
  assert.equal(code, 0);
  const line = stdout.trim();
  assert.ok(!line.includes("DENORT_BIN"), line);
  assert.ok(line.includes(" compile --no-prompt "), line);
  for (const p of PERMISSIONS) assert.ok(line.includes(p.flag), `missing ${p.flag} in ${line}`);
  assert.ok(line.endsWith(" -o dist/vrrp main.ts"), line);
  assert.ok(!line.includes("--allow-all") && !line.includes("--allow-net "));
  // net access only for the unix control socket (Deno 2 asks it for unix sockets)
  assert.ok(line.includes(" --allow-net=unix:/run/vrrp/vrrp.sock,"), line);
  // nothing was built
  if (!existed) await assert.rejects(Deno.stat(`${root}dist/vrrp`));
});

Deno.test("build --dry-run reflects DENORT_BIN", async () => {
  const { code, stdout } = await dryRun({ DENORT_BIN: "/opt/deno rt/denort" });
  assert.equal(code, 0);
  const [note, cmd] = stdout.trim().split("\n");
  assert.equal(note, "build: using DENORT_BIN=/opt/deno rt/denort");
  assert.ok(cmd.startsWith("DENORT_BIN='/opt/deno rt/denort' "), cmd);
  assert.ok(cmd.includes(" compile "));
});

Deno.test("build() takes --output and --allow-write-paths, rejects unknown arguments", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
  assert.equal(
    await build(["--dry-run", "--output", "/tmp/x/vrrp", "--allow-write-paths=/run/a,/var/b"], io),
    0,
  );
  const cmd = out.at(-1)!;
  assert.ok(cmd.includes(" --allow-write=/run/a,/var/b "), cmd);
  assert.ok(cmd.endsWith(" -o /tmp/x/vrrp main.ts"), cmd);
  assert.equal(await build(["--bogus"], io), 2);
  assert.match(err[0], /unknown argument "--bogus"/);
  assert.deepEqual(compileArgs().slice(-3), ["-o", "dist/vrrp", "main.ts"]);
});

Deno.test("compileArgs() bakes the daemon's V8 flags into the binary", () => {
  const args = compileArgs();
  for (const f of DAEMON_DENO_FLAGS) assert.ok(args.includes(f), `${f} in ${args.join(" ")}`);
  assert.ok(DAEMON_DENO_FLAGS.includes(DAEMON_V8_FLAGS_ARG));
  assert.equal(DAEMON_V8_FLAGS_ARG, `--v8-flags=${DAEMON_V8_FLAGS.join(",")}`);
  assert.ok(args.indexOf(DAEMON_V8_FLAGS_ARG) < args.indexOf("main.ts"), "before the entry point");
});

Deno.test("build --metrics-listen grants exactly that listen address, a bare port on 127.0.0.1", async () => {
  const out: string[] = [];
  const err: string[] = [];
  const io = { out: (s: string) => out.push(s), err: (s: string) => err.push(s) };
  assert.equal(await build(["--dry-run", "--metrics-listen", "9650"], io), 0);
  const net = (cmd: string) => cmd.split(" ").filter((a) => a.includes("--allow-net"));
  assert.deepEqual(net(out.at(-1)!), [
    "--allow-net=unix:/run/vrrp/vrrp.sock,unix:/run/vrrp/.vrrp.sock.tmp,127.0.0.1:9650",
  ]);
  assert.equal(
    await build(
      ["--dry-run", "--metrics-listen=10.0.0.5:9100", "--allow-socket-paths=/s/v.sock"],
      io,
    ),
    0,
  );
  assert.deepEqual(net(out.at(-1)!), [
    "--allow-net=unix:/s/v.sock,unix:/s/.v.sock.tmp,10.0.0.5:9100",
  ]);
  // without it, no listen address at all
  assert.ok(!compileArgs().some((a) => /\d:\d+/.test(a)), compileArgs().join(" "));
  assert.equal(await build(["--dry-run", "--metrics-listen", "example.org:80"], io), 2);
  assert.match(err.at(-1)!, /invalid listen address "example\.org:80"/);
});
