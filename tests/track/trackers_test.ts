import assert from "node:assert/strict";
import { ScriptTracker } from "../../lib/track/script.ts";
import { FileTracker, parseTrackValue } from "../../lib/track/file.ts";
import type { VrrpScriptConfig } from "../../config/model.ts";

function scriptCfg(dir: string, over: Partial<VrrpScriptConfig> = {}): VrrpScriptConfig {
  return {
    name: "chk",
    // exits with the code held in $dir/code (0 when missing)
    script: `${dir}/check.sh`,
    intervalSec: 0.03,
    timeoutSec: 2,
    rise: 2,
    fall: 2,
    weight: -10,
    weightReverse: false,
    initFail: false,
    ...over,
  };
}

async function setup(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-track-" });
  await Deno.writeTextFile(
    `${dir}/check.sh`,
    `#!/bin/sh\necho run >> "${dir}/runs"\n[ -f "${dir}/sleep" ] && sleep "$(cat "${dir}/sleep")"\n` +
      `exit "$(cat "${dir}/code" 2>/dev/null || echo 0)"\n`,
  );
  await Deno.chmod(`${dir}/check.sh`, 0o755);
  return dir;
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}

Deno.test("ScriptTracker applies fall and rise before reporting a change", async () => {
  const dir = await setup();
  const changes: boolean[] = [];
  const t = new ScriptTracker(scriptCfg(dir), (_n, ok) => changes.push(ok));
  try {
    t.start();
    await until(() => t.runs >= 2);
    assert.deepEqual(changes, []);
    assert.equal(t.ok, true);
    await Deno.writeTextFile(`${dir}/code`, "1");
    const failFrom = t.runs;
    await until(() => changes.length === 1);
    assert.equal(t.ok, false);
    // fall = 2: at least two failing runs were needed
    assert.ok(t.runs - failFrom >= 2);
    await Deno.writeTextFile(`${dir}/code`, "0");
    await until(() => changes.length === 2);
    assert.deepEqual(changes, [false, true]);
  } finally {
    await t.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ScriptTracker counts a timed-out run as a failure and never overlaps runs", async () => {
  const dir = await setup();
  await Deno.writeTextFile(`${dir}/sleep`, "5");
  const changes: boolean[] = [];
  const logs: string[] = [];
  const t = new ScriptTracker(
    scriptCfg(dir, { timeoutSec: 0.1, fall: 1 }),
    (_n, ok) => changes.push(ok),
    { log: (_l, m) => logs.push(m) },
  );
  try {
    const t0 = Date.now();
    t.start();
    await until(() => changes.length === 1);
    assert.ok(Date.now() - t0 < 2000);
    assert.deepEqual(changes, [false]);
    assert.ok(logs.some((l) => /timed out/.test(l)));
    await t.stop();
    // one run started per finished run: never two at once
    const started = (await Deno.readTextFile(`${dir}/runs`)).trim().split("\n").length;
    assert.equal(started, t.runs);
  } finally {
    await t.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ScriptTracker with init_fail starts failed and rises after `rise` successes", async () => {
  const dir = await setup();
  const changes: boolean[] = [];
  const t = new ScriptTracker(scriptCfg(dir, { rise: 3 }), (_n, ok) => changes.push(ok), {
    initFail: true,
  });
  try {
    assert.equal(t.ok, false);
    t.start();
    await until(() => changes.length === 1);
    assert.equal(t.runs, 3);
    assert.equal(t.ok, true);
  } finally {
    await t.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ScriptTracker reports a script that cannot run as failing", async () => {
  const logs: string[] = [];
  const t = new ScriptTracker(
    scriptCfg("/nonexistent", { fall: 1 }),
    () => {},
    { log: (_l, m) => logs.push(m) },
  );
  try {
    t.start();
    await until(() => t.runs >= 1);
    await until(() => !t.ok);
    assert.ok(logs.some((l) => /cannot run/.test(l)), logs.join("\n"));
  } finally {
    await t.stop();
  }
});

Deno.test("parseTrackValue() reads an integer like strtol, else 0", () => {
  assert.equal(parseTrackValue("  42\n"), 42);
  assert.equal(parseTrackValue("-3 apples"), -3);
  assert.equal(parseTrackValue("apples"), 0);
  assert.equal(parseTrackValue(""), 0);
});

Deno.test("FileTracker follows the file's value, missing reading as 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-tf-" });
  const file = `${dir}/weight`;
  const seen: number[] = [];
  const t = new FileTracker(
    { name: "w", file, weight: -1, weightReverse: false },
    (_n, v) => seen.push(v),
    { pollMs: 50 },
  );
  try {
    await t.start();
    assert.equal(t.value, 0);
    await Deno.writeTextFile(file, "7\n");
    await until(() => t.value === 7);
    await Deno.writeTextFile(`${file}.new`, "12");
    await Deno.rename(`${file}.new`, file);
    await until(() => t.value === 12);
    await Deno.remove(file);
    await until(() => t.value === 0);
    assert.deepEqual(seen, [7, 12, 0]);
  } finally {
    await t.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileTracker notices changes through the watcher alone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-tf-" });
  const file = `${dir}/weight`;
  const t = new FileTracker(
    { name: "w", file, weight: 1, weightReverse: false },
    () => {},
    { pollMs: 60_000 },
  );
  try {
    await t.start();
    await Deno.writeTextFile(file, "3");
    await until(() => t.value === 3, 2000);
  } finally {
    await t.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FileTracker with initValue creates a missing file, keeps an existing one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-tf-" });
  try {
    const a = new FileTracker(
      { name: "a", file: `${dir}/a`, weight: 1, weightReverse: false, initValue: 5 },
      () => {},
      { watch: false },
    );
    await a.start();
    await a.stop();
    assert.equal(a.value, 5);
    assert.equal(await Deno.readTextFile(`${dir}/a`), "5\n");
    await Deno.writeTextFile(`${dir}/b`, "9");
    const b = new FileTracker(
      { name: "b", file: `${dir}/b`, weight: 1, weightReverse: false, initValue: 5 },
      () => {},
      { watch: false },
    );
    await b.start();
    await b.stop();
    assert.equal(b.value, 9);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
