/**
 * keepalived.conf read with keepalived 2.2.7's meaning (issue #12): script users, notify words,
 * load-time corrections, include variants, ${_ENV}. Each expectation was observed on keepalived
 * 2.2.7 (see the comments); the differential tests in tests/netns/fidelity_test.ts compare live.
 */
import assert from "node:assert/strict";
import { parseConfigText, type ParseOptions } from "../../config/load.ts";
import type { LoadResult } from "../../config/model.ts";

function parse(text: string, opts: ParseOptions = {}): LoadResult {
  return parseConfigText(text, "/etc/k/k.conf", "keepalived", {
    configId: "x",
    readFile: () => null,
    listDir: () => null,
    ...opts,
  });
}

function messages(r: LoadResult): string[] {
  return r.diagnostics.map((d) => `${d.line} ${d.severity}: ${d.message}`);
}

const inst = (body: string, extra = "") =>
  `${extra}vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 51
  virtual_ipaddress {
    10.0.0.1/24
  }
${body}
}
`;

Deno.test("script_user and vrrp_script user take USER [GROUP]", () => {
  const r = parse(inst(
    "",
    `global_defs {
  script_user nobody nogroup
}
vrrp_script chk {
  script /bin/true
  user daemon adm
}
vrrp_script chk2 {
  script /bin/true
  user nobody
}
`,
  ));
  assert.equal(r.config.global.scriptUser, "nobody");
  assert.equal(r.config.global.scriptGroup, "nogroup");
  assert.deepEqual([r.config.scripts[0].user, r.config.scripts[0].group], ["daemon", "adm"]);
  assert.deepEqual([r.config.scripts[1].user, r.config.scripts[1].group], ["nobody", undefined]);
  assert.deepEqual(messages(r), []);
});

Deno.test("the words after a notify script are its user and group, not arguments", () => {
  // keepalived 2.2.7: `notify /x nobody nogroup` ran /x as nobody:nogroup with the 4 notify args;
  // `notify_backup "/x b1 b2"` ran /x b1 b2 as root
  const r = parse(inst(`  notify /etc/k/notify.sh root root
  notify_master /etc/k/m.sh nobody
  notify_backup "/etc/k/b.sh b1 b2"
  notify_fault '/etc/k/f.sh "two words"' daemon daemon
`));
  const n = r.config.instances[0].notify;
  assert.deepEqual(n.notify, { command: "/etc/k/notify.sh", user: "root", group: "root" });
  assert.deepEqual(n.master, { command: "/etc/k/m.sh", user: "nobody" });
  assert.deepEqual(n.backup, { command: "/etc/k/b.sh b1 b2" });
  assert.deepEqual(n.fault, {
    command: '/etc/k/f.sh "two words"',
    user: "daemon",
    group: "daemon",
  });
  assert.deepEqual(messages(r), []);
});

Deno.test("vrrp_script script runs its first word only, as keepalived, with a warning", () => {
  // keepalived 2.2.7 ran `script /x s1 s2` as plain /x
  const r = parse(inst("", `vrrp_script chk {\n  script /usr/bin/check s1 s2\n}\n`));
  assert.equal(r.config.scripts[0].script, "/usr/bin/check");
  assert.match(messages(r).join("\n"), /2 warning: vrrp_script chk: keepalived runs only/);
});

Deno.test("enable_script_security takes an argument and ignores it, as keepalived", () => {
  const r = parse(inst("", "global_defs {\n  enable_script_security 0\n}\n"));
  assert.equal(r.config.global.enableScriptSecurity, true);
  assert.ok(!r.diagnostics.some((d) => d.severity === "error"));
});

Deno.test("nopreempt and preempt_delay with state MASTER are cleared with a warning", () => {
  const r = parse(inst("  state MASTER\n  priority 100\n  nopreempt\n  preempt_delay 5"));
  const i = r.config.instances[0];
  assert.equal(i.preempt, true);
  assert.equal(i.preemptDelaySec, 0);
  const m = messages(r);
  assert.ok(
    m.some((x) => /^9 warning: .*nopreempt does not work with state MASTER/.test(x)),
    m.join("\n"),
  );
  assert.ok(m.some((x) => /^10 warning: .*preempt_delay does not work with state MASTER/.test(x)));
});

Deno.test("nopreempt is cleared for the address owner; BACKUP keeps nopreempt", () => {
  const owner = parse(inst("  priority 255\n  nopreempt"));
  assert.equal(owner.config.instances[0].preempt, true);
  const backup = parse(inst("  state BACKUP\n  nopreempt"));
  assert.equal(backup.config.instances[0].preempt, false);
  assert.deepEqual(messages(backup), []);
});

Deno.test("the instance's own interface in track_interface is ignored, as keepalived", () => {
  // keepalived 2.2.7: "(VI_1) Ignoring track_interface eth0 since own interface"
  const r = parse(inst("  track_interface {\n    eth0 weight 10\n    eth1 weight 5\n  }"));
  assert.deepEqual(r.config.instances[0].trackInterfaces, [{ name: "eth1", weight: 5 }]);
  assert.match(messages(r).join("\n"), /track_interface eth0 is the instance's own interface/);
});

Deno.test("weighted trackers of sync-group members are ignored with a warning, as keepalived", () => {
  // keepalived 2.2.7: "(VI_1) ignoring tracked script chk with weights due to SYNC group"
  const r = parse(inst(
    `  track_script {
    chk
    chk_w weight 0
    chk_x weight 3
  }
  track_interface {
    eth1 weight 10
    eth2
  }
  track_file {
    tf
  }`,
    `vrrp_script chk {\n  script /bin/true\n  weight 10\n}
vrrp_script chk_w {\n  script /bin/true\n  weight 10\n}
vrrp_script chk_x {\n  script /bin/true\n}
track_file tf {\n  file /tmp/x\n}
vrrp_sync_group G {\n  group {\n    VI_1\n  }\n}
`,
  ));
  const i = r.config.instances[0];
  assert.deepEqual(i.trackScripts, [{ name: "chk_w", weight: 0 }]);
  assert.deepEqual(i.trackInterfaces, [{ name: "eth1" }, { name: "eth2" }]);
  assert.deepEqual(i.trackFiles, [{ name: "tf", weight: 0 }]);
  const m = messages(r).join("\n");
  assert.match(m, /tracked script chk has a weight \(10\) and is ignored in a sync group/);
  assert.match(m, /tracked script chk_x has a weight \(3\)/);
  assert.match(m, /weight of tracked interface eth1 ignored in a sync group/);
  assert.match(m, /weight of tracked file tf ignored in a sync group/);
});

Deno.test("vrrp convert reads the config as written, without the corrections", () => {
  const r = parse(inst("  state MASTER\n  nopreempt"), { asWritten: true });
  assert.equal(r.config.instances[0].preempt, false);
});

Deno.test("${_ENV NAME} is the environment variable, empty when unset", () => {
  const env = (n: string) => n === "VRRP_IF" ? "eth7" : undefined;
  const r = parse(
    inst("  priority 1${_ENV UNSET_VAR}0").replace("eth0", "${_ENV VRRP_IF}"),
    { env },
  );
  assert.equal(r.config.instances[0].interface, "eth7");
  assert.equal(r.config.instances[0].priority, 10);
});

function files(tree: Record<string, string>): ParseOptions {
  return {
    readFile: (p) => tree[p] ?? null,
    listDir: (d) => {
      const names = Object.keys(tree).filter((p) => p.startsWith(`${d}/`))
        .map((p) => p.slice(d.length + 1)).filter((n) => !n.includes("/"));
      return names.length > 0 || d === "/etc/k" ? names : null;
    },
  };
}

Deno.test("include variants read their files; their checks decide error or warning", () => {
  const tree = {
    "/etc/k/conf.d/a.conf": inst(""),
    "/etc/k/b.conf": "global_defs {\n  router_id b\n}\n",
  };
  const ok = parse("includea conf.d/*.conf\nincluder b.conf\n", files(tree));
  assert.deepEqual(messages(ok), []);
  assert.equal(ok.config.instances.length, 1);
  assert.equal(ok.config.global.routerId, "b");
  const cases: [string, "warning" | "error"][] = [
    // keepalived 2.2.7: `include /missing` and `includer /missing` say "Config files missing"
    // and accept the file; `includem` and `includew` make it a config error
    ["include missing.conf", "warning"],
    ["includer missing.conf", "warning"],
    ["includem missing.conf", "error"],
    ["include none*.conf", "warning"],
    ["includem none*.conf", "warning"],
    ["includew none*.conf", "error"],
    ["includeb {b,nothere}.conf", "error"],
    ["include {b,nothere}.conf", "warning"],
    ["includea missing.conf", "error"],
  ];
  for (const [line, severity] of cases) {
    const r = parse(`${line}\n${inst("")}`, files(tree));
    const got = r.diagnostics.filter((d) => d.line === 1).map((d) => d.severity);
    assert.deepEqual(got, [severity], `${line}: ${messages(r).join("; ")}`);
  }
  const brace = parse("include {b,nothere}.conf\n", files(tree));
  assert.equal(brace.config.global.routerId, "b");
});
