import assert from "node:assert/strict";
import { parseRunArgs, RUN_OPTIONS, runHelp } from "../../lib/cli/run_options.ts";
import { main } from "../../main.ts";

const ROOT = new URL("../../", import.meta.url);

Deno.test("parseRunArgs() reads every form of option and fills defaults", () => {
  const r = parseRunArgs(["-f", "/etc/k.conf", "--socket=/tmp/s", "--log-level", "debug"]);
  assert.deepEqual(r, {
    kind: "run",
    options: {
      file: "/etc/k.conf",
      socket: "/tmp/s",
      logLevel: "debug",
      logFormat: "text",
      vipFailTimeout: 5,
    },
  });
  const short = parseRunArgs(["-f/etc/x.conf", "--state-dir", "/var/lib/v"]);
  assert.equal(short.kind, "run");
  if (short.kind === "run") {
    assert.equal(short.options.file, "/etc/x.conf");
    assert.equal(short.options.stateDir, "/var/lib/v");
    assert.equal(short.options.logLevel, "info");
  }
});

Deno.test("parseRunArgs() rejects unknown options, bad choices, missing values, extra args", () => {
  const message = (args: string[]) => {
    const r = parseRunArgs(args);
    assert.equal(r.kind, "usage", JSON.stringify(args));
    return r.kind === "usage" ? r.message : "";
  };
  assert.equal(message(["--bogus"]), "error: unknown option '--bogus'");
  assert.equal(message(["--bogus=1"]), "error: unknown option '--bogus'");
  assert.match(message(["--log-level", "loud"]), /argument 'loud' is invalid.*debug, info/);
  assert.equal(message(["--file"]), "error: option '-f, --file <FILE>' argument missing");
  assert.match(message(["extra"]), /too many arguments for 'run'/);
});

Deno.test("parseRunArgs() runs an option's parser and reports what it throws", () => {
  const table = [...RUN_OPTIONS, {
    flags: "--wait <SECONDS>",
    key: "file" as const,
    description: "test option",
    default: "5",
    parse: (t: string) => {
      const n = Number(t);
      if (!(n > 0)) throw new Error("expected seconds, more than 0");
      return n;
    },
  }];
  const ok = parseRunArgs([], table);
  assert.equal(ok.kind === "run" && ok.options.file, 5);
  const bad = parseRunArgs(["--wait", "-1"], table);
  assert.equal(
    bad.kind === "usage" && bad.message,
    "error: option '--wait <SECONDS>' argument '-1' is invalid. expected seconds, more than 0",
  );
});

Deno.test("vrrp run --help lists every option of the table, with choices and defaults", () => {
  const help = runHelp();
  for (const spec of RUN_OPTIONS) assert.ok(help.includes(spec.flags), spec.flags);
  assert.match(help, /--log-level <LEVEL>\s+least severe level logged \(choices: "debug"/);
  assert.ok(help.split("\n").every((l) => l.length <= 80), "80 columns");
  assert.deepEqual(parseRunArgs(["--log-level", "warn", "--help"]), { kind: "help", text: help });
});

Deno.test("main(): vrrp run usage errors exit 2, --help exits 0", async () => {
  const err = console.error;
  const log = console.log;
  const out: string[] = [];
  console.error = console.log = (...a: unknown[]) => void out.push(a.join(" "));
  try {
    assert.equal(await main(["run", "--no-such-option"]), 2);
    assert.equal(await main(["run", "--help"]), 0);
  } finally {
    console.error = err;
    console.log = log;
  }
  assert.match(out.join("\n"), /unknown option '--no-such-option'/);
  assert.match(out.join("\n"), /Usage: vrrp run \[options\]/);
});

/** Every module `vrrp run` loads: main.ts's static graph plus lib/cli/run.ts's. */
async function daemonGraph(): Promise<string[]> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const info = JSON.parse(new TextDecoder().decode(out.stdout)) as {
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const bySpec = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const visit = (spec: string) => {
    if (seen.has(spec)) return;
    seen.add(spec);
    for (const d of bySpec.get(spec)?.dependencies ?? []) {
      if (d.code && !d.isDynamic) visit(d.code.specifier);
    }
  };
  visit(new URL("main.ts", ROOT).href);
  visit(new URL("lib/cli/run.ts", ROOT).href);
  return [...seen];
}

Deno.test("vrrp run loads neither commander nor any npm: or node: module", async () => {
  const graph = await daemonGraph();
  assert.ok(graph.some((s) => s.endsWith("/lib/daemon/daemon.ts")), "walked the daemon");
  assert.deepEqual(graph.filter((s) => /^(npm|node|jsr):/.test(s)), []);
  assert.ok(!graph.some((s) => s.endsWith("/config/toml.ts")), "TOML only for TOML configs");
  // not on the way to the first advert (issue 14, start-up)
  assert.ok(!graph.some((s) => s.includes("/lib/metrics/")), "metrics only when configured");
  assert.ok(!graph.some((s) => s.endsWith("/config_loader.ts")), "the reload's worker on reload");
});
