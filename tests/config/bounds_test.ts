/**
 * Hostile configs through `vrrp check`: a parameter expansion bomb, `include /dev/zero`, a FIFO
 * (directly and through a glob) and include fan-out. Each must end at once with a clear error at
 * the offending line, never hang, never run out of memory. Run as a real `vrrp check` process
 * (killed after 20 s, so a hang fails instead of blocking the suite) and in-process for timing.
 */
import assert from "node:assert/strict";
import { runCheck } from "../../lib/cli/check.ts";
import { loadConfig, parseConfigText } from "../../config/load.ts";
import { MAX_CONFIG_FILES, MAX_FILE_BYTES } from "../../config/lexer.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

/** Writes the hostile configs into a fresh directory. */
async function fixtures(): Promise<{ dir: string; cases: Record<string, string> }> {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-bounds-" });
  const bomb = ["$A0=xxxxxxxxxx"];
  for (let i = 1; i <= 40; i++) bomb.push(`$A${i}=\${A${i - 1}}\${A${i - 1}}`);
  bomb.push("global_defs {", "  router_id ${A40}", "}");
  await Deno.writeTextFile(`${dir}/bomb.conf`, bomb.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/zero.conf`, "global_defs {\n}\ninclude /dev/zero\n");
  await new Deno.Command("mkfifo", { args: [`${dir}/fifo`, `${dir}/d.fifo`] }).output();
  await Deno.mkdir(`${dir}/conf.d`);
  await Deno.rename(`${dir}/d.fifo`, `${dir}/conf.d/a.conf`);
  await Deno.writeTextFile(`${dir}/fifo.conf`, `# a FIFO\n  include ${dir}/fifo\n`);
  await Deno.writeTextFile(`${dir}/glob.conf`, `include ${dir}/conf.d/*.conf\n`);
  // each file includes the next twice: 2^31 reads without a bound on the number of files
  for (let i = 0; i < 31; i++) {
    await Deno.writeTextFile(
      `${dir}/f${i}.conf`,
      `include f${i + 1}.conf\ninclude f${i + 1}.conf\n`,
    );
  }
  await Deno.writeTextFile(`${dir}/f31.conf`, "global_defs {\n}\n");
  // a symlink loop under the depth cap: loop/loop/loop/... are all different paths
  await Deno.mkdir(`${dir}/s`);
  await Deno.symlink(".", `${dir}/s/loop`);
  await Deno.writeTextFile(`${dir}/s/x.conf`, "include loop/x.conf\ninclude loop/x.conf\n");
  return {
    dir,
    cases: {
      bomb: `${dir}/bomb.conf`,
      zero: `${dir}/zero.conf`,
      fifo: `${dir}/fifo.conf`,
      glob: `${dir}/glob.conf`,
      fanout: `${dir}/f0.conf`,
      symlinkLoop: `${dir}/s/x.conf`,
    },
  };
}

/** What each case must say, and where. */
const EXPECT: Record<string, RegExp> = {
  bomb: /bomb\.conf:43:1: error: the configuration grows past \d+ characters/,
  zero: /zero\.conf:3:9: error: include "\/dev\/zero" is a character device, not a regular file/,
  fifo: /fifo\.conf:2:11: error: include ".*\/fifo" is a fifo, not a regular file/,
  glob: /glob\.conf:1:9: error: include glob matches ".*conf\.d\/a\.conf", a fifo/,
  fanout: new RegExp(`f\\d+\\.conf:\\d:9: error: more than ${MAX_CONFIG_FILES} files included`),
  symlinkLoop: new RegExp(
    `x\\.conf:\\d:9: error: (more than ${MAX_CONFIG_FILES} files|includes nested deeper)`,
  ),
};

async function checkProcess(file: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", MAIN, "check", "-f", file, "--config-id", "h"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const out = await child.output();
  clearTimeout(kill);
  const dec = new TextDecoder();
  return {
    code: out.code,
    signal: out.signal,
    text: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

async function checkInProcess(file: string) {
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => lines.push(a.join(" "));
  console.error = (...a: unknown[]) => lines.push(a.join(" "));
  const t0 = performance.now();
  try {
    const code = await runCheck({ file, configId: "h" });
    return { code, ms: performance.now() - t0, text: lines.join("\n") };
  } finally {
    console.log = log;
    console.error = error;
  }
}

Deno.test("vrrp check refuses a bomb, /dev/zero, FIFOs and fan-out at once, with the position", async (t) => {
  const { dir, cases } = await fixtures();
  try {
    for (const [name, file] of Object.entries(cases)) {
      await t.step(`${name}: a vrrp check process exits 1 with the error`, async () => {
        const r = await checkProcess(file);
        assert.equal(r.signal, null, `${name}: check was killed (hung?)\n${r.text}`);
        assert.equal(r.code, 1, r.text);
        assert.match(r.text, EXPECT[name]);
        assert.doesNotMatch(r.text, /out of memory|internal error/i);
      });
      await t.step(`${name}: in-process, under 2 s`, async () => {
        const r = await checkInProcess(file);
        assert.equal(r.code, 1, r.text);
        assert.match(r.text, EXPECT[name]);
        assert.ok(r.ms < 2000, `${name}: check took ${r.ms.toFixed(0)} ms`);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a parameter with many references to a long value stops at the bound, not in memory", () => {
  const long = "y".repeat(100_000);
  const text = `$L=${long}\nglobal_defs {\n  router_id ${"${L}".repeat(1000)}\n}\n`;
  const t0 = performance.now();
  const r = parseConfigText(text, "many.conf", "keepalived", { configId: "h" });
  assert.ok(performance.now() - t0 < 2000);
  assert.ok(
    r.diagnostics.some((d) => d.line === 3 && /grows past \d+ characters/.test(d.message)),
    JSON.stringify(r.diagnostics),
  );
});

Deno.test("vrrp check -f FIFO and vrrp decode FIFO refuse without opening it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-bounds-" });
  try {
    await new Deno.Command("mkfifo", { args: [`${dir}/p`] }).output();
    const check = await checkProcess(`${dir}/p`);
    assert.equal(check.signal, null);
    assert.notEqual(check.code, 0);
    assert.match(check.text, /is not a file/);
    for (const target of [`${dir}/p`, "/dev/zero"]) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", MAIN, "decode", target],
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const out = await child.output();
      clearTimeout(kill);
      const err = new TextDecoder().decode(out.stderr);
      assert.equal(out.signal, null, `decode ${target} hung`);
      assert.equal(out.code, 1);
      assert.match(err, /is a (fifo|character device), not a regular file/);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an included file over the byte limit is refused, not read", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-bounds-" });
  try {
    await Deno.writeTextFile(`${dir}/big.conf`, "!".repeat(MAX_FILE_BYTES + 1));
    await Deno.writeTextFile(`${dir}/main.conf`, "global_defs {\n}\ninclude big.conf\n");
    const r = await loadConfig(`${dir}/main.conf`, { configId: "h" });
    assert.ok(
      r.diagnostics.some((d) =>
        d.line === 3 && d.col === 9 &&
        /cannot read include file ".*big\.conf": it is larger than \d+ bytes/.test(d.message)
      ),
      JSON.stringify(r.diagnostics),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("include brace alternatives that double with each brace stop at the file bound", () => {
  const path = "/nonexistent/" + "{a,b}".repeat(40) + ".conf";
  const t0 = performance.now();
  const r = parseConfigText(`include ${path}\n`, "braces.conf", "keepalived", { configId: "h" });
  assert.ok(performance.now() - t0 < 2000);
  assert.ok(
    r.diagnostics.some((d) =>
      d.line === 1 && d.col === 9 &&
      new RegExp(`names more than ${MAX_CONFIG_FILES} files`).test(d.message)
    ),
    JSON.stringify(r.diagnostics),
  );
});

Deno.test("includes of a directory or an executable file are skipped with a warning, as keepalived 2.2.7 does", async () => {
  // keepalived -t: "Configuration file '…' is a directory - skipping" and "… is not a regular
  // non-executable file - skipping", for include and includer alike, and it accepts the config
  const dir = await Deno.makeTempDir({ prefix: "vrrp-bounds-" });
  try {
    const instance = (name: string, vrid: number) =>
      `vrrp_instance ${name} {\n interface lo\n virtual_router_id ${vrid}\n priority 100\n` +
      ` virtual_ipaddress {\n  10.9.9.${vrid}/32\n }\n}\n`;
    await Deno.mkdir(`${dir}/sub.d`);
    await Deno.writeTextFile(`${dir}/exe.conf`, instance("FROM_EXE", 7));
    await Deno.chmod(`${dir}/exe.conf`, 0o755);
    await Deno.writeTextFile(
      `${dir}/main.conf`,
      `include sub.d\nincluder ${dir}/exe.conf\ninclude e*.conf\n${instance("A", 5)}`,
    );
    const r = await loadConfig(`${dir}/main.conf`, { configId: "h" });
    const errors = r.diagnostics.filter((d) => d.severity === "error");
    assert.deepEqual(errors, []);
    const skipped = r.diagnostics.filter((d) => /skipped, as keepalived does/.test(d.message));
    assert.deepEqual(skipped.map((d) => [d.line, d.col]), [[1, 9], [2, 10], [3, 9]]);
    assert.match(skipped[0].message, /is a directory/);
    assert.match(skipped[1].message, /is an executable file/);
    assert.deepEqual(r.config?.instances.map((i) => i.name), ["A"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
