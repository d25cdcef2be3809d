/**
 * The alert rules and the Grafana dashboard in monitoring/: promtool checks and unit-tests the
 * rules, and every metric name they use is one the page really has.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { renderMetrics } from "../../lib/metrics/exposition.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { VrrpVersion } from "../../lib/vrrp/constants.ts";
import { AddressWatchingHost, bootDaemon } from "../daemon/fakes.ts";

const DIR = new URL("../../monitoring/", import.meta.url).pathname;

async function promtool(args: string[]): Promise<{ code: number; out: string }> {
  const o = await new Deno.Command("promtool", { args, cwd: DIR, stdout: "piped", stderr: "piped" })
    .output();
  const d = new TextDecoder();
  return { code: o.code, out: d.decode(o.stdout) + d.decode(o.stderr) };
}

/** The families a live page declares. */
async function pageFamilies(): Promise<Set<string>> {
  const host = new AddressWatchingHost();
  const { daemon } = await bootDaemon(
    host,
    `vrrp_script chk {\n script "/bin/true"\n interval 60\n}\n` +
      `vrrp_instance a {\n interface eth0\n virtual_router_id 1\n priority 100\n` +
      ` virtual_ipaddress {\n  10.0.0.1/24\n }\n track_script {\n  chk\n }\n}\n`,
  );
  await host.advance(masterDownIntervalMs(VrrpVersion.v2, 100, 100));
  const snap = daemon.snapshot();
  await daemon.shutdown();
  assert.ok(snap.ok);
  const page = renderMetrics(snap, { version: "0", notify: [] });
  return new Set([...page.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
}

/** Metric names (keepalived_* / vrrp_*) mentioned in `text`. */
function namesIn(text: string): Set<string> {
  return new Set([...text.matchAll(/\b((?:keepalived|vrrp)_[a-z_]+)\b/g)].map((m) => m[1]));
}

testWith("promtool check rules and test rules accept monitoring/alerts.yml", {
  commands: ["promtool"],
}, async () => {
  const check = await promtool(["check", "rules", "alerts.yml"]);
  assert.equal(check.code, 0, check.out);
  assert.match(check.out, /SUCCESS: 6 rules found/);
  const test = await promtool(["test", "rules", "alerts_test.yml"]);
  assert.equal(test.code, 0, test.out);
  assert.match(test.out, /SUCCESS/);
});

Deno.test("the alerts cover no master, two masters, a VIP missing on its master, a failing track script", async () => {
  const text = await Deno.readTextFile(`${DIR}alerts.yml`);
  for (
    const a of [
      "VrrpNoMaster",
      "VrrpTwoMasters",
      "VrrpVipMissingOnMaster",
      "VrrpTrackScriptFailing",
    ]
  ) {
    assert.match(text, new RegExp(`- alert: ${a}\\n`));
  }
});

Deno.test("the dashboard and the alerts use only metric names the page has", async () => {
  const families = await pageFamilies();
  const dash = JSON.parse(await Deno.readTextFile(`${DIR}grafana-dashboard.json`));
  const exprs: string[] = dash.panels.flatMap((p: { targets: { expr: string }[] }) =>
    p.targets.map((t) => t.expr)
  );
  exprs.push(...dash.templating.list.map((v: { definition?: string }) => v.definition ?? ""));
  // the rules without their annotations (prose may name a config keyword like vrrp_script)
  const alerts = (await Deno.readTextFile(`${DIR}alerts.yml`)).replace(
    /annotations:[\s\S]*?(?=\n {6}- alert:|$)/g,
    "",
  );
  const used = new Set([...namesIn(exprs.join("\n")), ...namesIn(alerts)]);
  assert.ok(used.size >= 15, [...used].join(" "));
  assert.deepEqual([...used].filter((n) => !families.has(n)), []);
});

Deno.test("the dashboard has the panels the docs describe, each with a description", async () => {
  const dash = JSON.parse(await Deno.readTextFile(`${DIR}grafana-dashboard.json`));
  const docs = await Deno.readTextFile(new URL("../../docs/metrics.md", import.meta.url));
  const titles: string[] = dash.panels.map((p: { title: string }) => p.title);
  for (
    const t of [
      "State per instance",
      "Transitions",
      "Advert rates",
      "Drops by reason",
      "VIP presence",
    ]
  ) assert.ok(titles.includes(t), t);
  for (const p of dash.panels) {
    assert.ok(p.description.length > 20, p.title);
    assert.ok(p.targets.length > 0, p.title);
    assert.ok(docs.includes(`**${p.title}**`), `docs/metrics.md describes ${p.title}`);
  }
});
