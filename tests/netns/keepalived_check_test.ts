/**
 * Differential check against keepalived 2.2.7: every file of tests/fixtures/keepalived/corpus
 * goes through `keepalived -t` (in a throwaway namespace that has the corpus's eth0) and through
 * `vrrp check`. keepalived must accept each one, and so must vrrp (exit 0). What keepalived says
 * it corrects, vrrp must warn about too.
 *
 * keepalived 2.2.7's `-t` exit status ranks warnings above errors, so its output is read instead:
 * a line naming a syntax or value error means it refused the file.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab, REPO_ROOT } from "./lab.ts";
import { KEEPALIVED } from "./keepalived.ts";

const CORPUS = `${REPO_ROOT}/tests/fixtures/keepalived/corpus`;
const files = [...Deno.readDirSync(CORPUS)].filter((e) => e.isFile && e.name.endsWith(".conf"))
  .map((e) => e.name).sort();

/** keepalived -t lines that mean the file is not accepted as written. */
const REFUSED = [
  /Unknown keyword/,
  /Missing '[{}]'|Unexpected '[{}]'|unmatched quote/i,
  /not valid|invalid|outside range|must be between|must be set/i,
  /at least one is required/,
  /Configuration file .* not found|No config files matched|Failed to open/,
];

/** What keepalived says it corrects, and the warning vrrp must give for the same thing. */
const SAME_FINDING: [RegExp, (m: RegExpExecArray) => RegExp][] = [
  [
    /Ignoring track_interface (\S+) since own interface/,
    (m) => new RegExp(`track_interface ${m[1]} is the instance's own interface`),
  ],
  [
    /ignoring tracked script (\S+) with weights due to SYNC group/,
    (m) => new RegExp(`tracked script ${m[1]} has a weight .* sync group`),
  ],
  [
    /nopreempt will not work with initial state MASTER/,
    () => /nopreempt does not work with state MASTER/,
  ],
  [
    /preempt delay will not work with initial state MASTER/,
    () => /preempt_delay does not work with state MASTER/,
  ],
  [/Config files missing '(.*)'/, () => /is missing; skipped|matches no file; skipped/],
  [
    /Unable to set default user for vrrp script (\S+) - removing/,
    (m) => new RegExp(`vrrp_script ${m[1]}: .*disabled`),
  ],
];

testWith("vrrp check accepts every corpus file keepalived -t accepts", {
  root: true,
  commands: ["ip", "setsid"],
}, async () => {
  assert.ok(files.length >= 8, `corpus has only ${files.length} files`);
  await using lab = await Lab.create({ routers: ["a"], client: false });
  const report: string[] = [];
  for (const name of files) {
    const path = `${CORPUS}/${name}`;
    // its own session: keepalived -t signals its process group when it is done
    const ka = await lab.exec("a", [
      "setsid",
      "-w",
      KEEPALIVED,
      "-t",
      "-f",
      path,
      "--config-id",
      "a",
    ], { cwd: CORPUS, timeoutMs: 20_000 });
    const kaLines = (ka.stdout + ka.stderr).split("\n").filter((l) => l.trim() !== "");
    const refused = kaLines.filter((l) => REFUSED.some((re) => re.test(l)));
    assert.deepEqual(
      refused,
      [],
      `${name}: keepalived refuses it; the corpus must hold accepted files`,
    );
    const v = await lab.exec("a", [...lab.denoCmd(), "check", "-f", path, "--config-id", "a"], {
      cwd: CORPUS,
      timeoutMs: 60_000,
    });
    assert.equal(
      v.code,
      0,
      `${name}: keepalived accepts it, vrrp check exits ${v.code}:\n${v.stdout}${v.stderr}`,
    );
    for (const l of kaLines) {
      for (const [re, want] of SAME_FINDING) {
        const m = re.exec(l);
        if (m === null) continue;
        assert.match(v.stdout, want(m), `${name}: keepalived said "${l}", vrrp check did not`);
        report.push(`${name}: ${l.trim()}`);
      }
    }
  }
  // the refusal patterns do match what keepalived prints for a bad file
  const bad = await Deno.makeTempFile({ suffix: ".conf" });
  try {
    await Deno.writeTextFile(
      bad,
      "vrrp_instance X {\n  interfase eth0\n  virtual_router_id 300\n}\n",
    );
    const ka = await lab.exec("a", ["setsid", "-w", KEEPALIVED, "-t", "-f", bad], {
      timeoutMs: 20_000,
    });
    const lines = (ka.stdout + ka.stderr).split("\n");
    assert.ok(lines.some((l) => REFUSED.some((re) => re.test(l))), ka.stdout + ka.stderr);
  } finally {
    await Deno.remove(bad);
  }
  console.log(`keepalived findings vrrp matched:\n  ${report.join("\n  ")}`);
});
