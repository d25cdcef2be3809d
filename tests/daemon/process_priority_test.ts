import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { applyProcessPriority } from "../../lib/daemon/process_priority.ts";
import { receiveGatherMs } from "../../lib/daemon/receive_gather.ts";
import { parseConfigText } from "../../config/load.ts";

const HERE = new URL(".", import.meta.url).pathname;

Deno.test("vrrp_priority and vrrp_rt_priority are read into the config, with their ranges", () => {
  const ok = parseConfigText(
    "global_defs {\n  vrrp_priority -5\n  vrrp_rt_priority 40\n}\n",
    "k.conf",
    "keepalived",
    { configId: "x" },
  );
  assert.equal(ok.config.global.processNice, -5);
  assert.equal(ok.config.global.realtimePriority, 40);
  assert.deepEqual(ok.diagnostics.filter((d) => /priority/.test(d.message)), []);
  const bad = parseConfigText(
    "global_defs {\n  vrrp_rt_priority 100\n}\n",
    "k.conf",
    "keepalived",
    { configId: "x" },
  );
  assert.equal(bad.config.global.realtimePriority, undefined);
  assert.ok(bad.diagnostics.some((d) => d.line === 2 && /vrrp_rt_priority/.test(d.message)));
});

Deno.test("applyProcessPriority() does nothing when neither keyword is set", () => {
  const logged: string[] = [];
  const log = { info: (m: string) => logged.push(m), warn: (m: string) => logged.push(m) };
  assert.equal(applyProcessPriority({}, log), 0);
  assert.deepEqual(logged, []);
});

testWith(
  "applyProcessPriority(): every thread of the process gets the nice value and SCHED_RR",
  { root: true },
  async () => {
    // in a child process: the test runner's own scheduling stays as it was
    const script = `
      import { applyProcessPriority } from "${HERE}../../lib/daemon/process_priority.ts";
      const lines = [];
      const n = applyProcessPriority({ processNice: 7, realtimePriority: 11 },
        { info: (m) => lines.push(m), warn: (m) => lines.push("WARN " + m) });
      const threads = [];
      for (const e of Deno.readDirSync("/proc/self/task")) {
        const stat = Deno.readTextFileSync("/proc/self/task/" + e.name + "/stat");
        const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        // fields 19 (nice), 40 (rt_priority), 41 (policy); f[0] is field 3
        const name = Deno.readTextFileSync("/proc/self/task/" + e.name + "/comm").trim();
        threads.push({ name, nice: Number(f[16]), rt: Number(f[37]), policy: Number(f[38]) });
      }
      console.log(JSON.stringify({ n, lines, threads }));
    `;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    const r = JSON.parse(new TextDecoder().decode(out.stdout)) as {
      n: number;
      lines: string[];
      threads: { name: string; nice: number; rt: number; policy: number }[];
    };
    assert.ok(r.threads.length > 1, "a Deno process has several threads");
    assert.equal(r.n, r.threads.length);
    assert.deepEqual(r.lines, [`running with nice 7, SCHED_RR priority 11 (${r.n} threads)`]);
    assert.ok(r.threads.some((t) => t.name.startsWith("V8 ")), "V8 has its workers");
    for (const { name, ...t } of r.threads) {
      // V8's background workers keep SCHED_OTHER: they must not compete with the adverts
      const want = name.startsWith("V8 ")
        ? { nice: 7, rt: 0, policy: 0 }
        : { nice: 7, rt: 11, policy: 2 };
      assert.deepEqual(t, want, name);
    }
  },
);

Deno.test("receiveGatherMs(): a fiftieth of the shortest interval, at most 5 ms, off at 20 ms", () => {
  const at = (...secs: number[]) =>
    receiveGatherMs(secs.map((advertIntervalSec) => ({ advertIntervalSec })));
  assert.equal(at(), 0);
  assert.equal(at(1), 5);
  assert.equal(at(1, 0.1), 2);
  assert.equal(at(0.02), 0);
  assert.equal(at(0.05, 3), 1);
});
