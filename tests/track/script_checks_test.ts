/**
 * keepalived's load-time script rules (lib/track/script_checks.ts): whom scripts run as, and
 * enable_script_security's refusal of root scripts others could change. The rule and messages
 * follow keepalived 2.2.7 (lib/notify.c check_security / check_script_secure, observed with
 * `keepalived -t`); tests/netns/fidelity_test.ts compares a live run with keepalived.
 */
import assert from "node:assert/strict";
import { parseConfigText } from "../../config/load.ts";
import {
  applyScriptChecks,
  type FileFacts,
  judgeScript,
  type ScriptHost,
} from "../../lib/track/script_checks.ts";
import { testWith } from "../_support/env.ts";

const dir = (uid = 0, mode = 0o755, gid = 0): FileFacts => ({ uid, gid, mode, kind: "dir" });
const file = (uid = 0, mode = 0o755, gid = 0): FileFacts => ({ uid, gid, mode, kind: "file" });

function fakeHost(fs: Record<string, FileFacts>, users: Record<string, [number, number]> = {}) {
  const all = { root: [0, 0] as [number, number], nobody: [65534, 65534] as [number, number] };
  const u = { ...all, ...users };
  const host: ScriptHost = {
    user: (
      n,
    ) => (n in u ? { uid: u[n as keyof typeof u][0], gid: u[n as keyof typeof u][1] } : null),
    group: (n) => (n === "root" ? 0 : n === "nogroup" ? 65534 : null),
    lstat: (p) => fs[p] ?? null,
    stat: (p) => fs[p] ?? null,
    realPath: (p) => (fs[p] ? p : null),
    searchPath: ["/usr/bin"],
  };
  return host;
}

const SAFE = { "/": dir(), "/etc": dir(), "/etc/k": dir(), "/etc/k/chk.sh": file() };

Deno.test("judgeScript(): a root script on a root-only path runs", () => {
  const v = judgeScript(fakeHost(SAFE), "/etc/k/chk.sh arg", { uid: 0, gid: 0 }, true);
  assert.deepEqual(v, { run: true, insecure: false, file: "/etc/k/chk.sh" });
});

Deno.test("judgeScript(): root script with a group- or world-writable piece is refused", () => {
  const cases: [string, Record<string, FileFacts>, RegExp][] = [
    [
      "world-writable dir",
      { ...SAFE, "/etc/k": dir(0, 0o777) },
      /\/etc\/k is writable by everyone/,
    ],
    [
      "group-writable file",
      { ...SAFE, "/etc/k/chk.sh": file(0, 0o775, 100) },
      /writable by gid 100/,
    ],
    ["dir owned by a user", { ...SAFE, "/etc/k": dir(1000) }, /\/etc\/k is owned by uid 1000/],
  ];
  for (const [what, fs, why] of cases) {
    const v = judgeScript(fakeHost(fs), "/etc/k/chk.sh", { uid: 0, gid: 0 }, true);
    assert.equal(v.run, false, what);
    if (!v.run) assert.match(v.why, why, what);
    // without enable_script_security it runs, marked insecure (keepalived: SECURITY VIOLATION)
    assert.deepEqual(
      judgeScript(fakeHost(fs), "/etc/k/chk.sh", { uid: 0, gid: 0 }, false),
      { run: true, insecure: true, file: "/etc/k/chk.sh" },
      what,
    );
  }
});

Deno.test("judgeScript(): sticky world-writable dirs and group root are safe; non-root users skip the check", () => {
  const sticky = { ...SAFE, "/etc/k": dir(0, 0o1777) };
  assert.equal(judgeScript(fakeHost(sticky), "/etc/k/chk.sh", { uid: 0, gid: 0 }, true).run, true);
  const rootGroup = { ...SAFE, "/etc/k": dir(0, 0o775, 0) };
  assert.equal(
    judgeScript(fakeHost(rootGroup), "/etc/k/chk.sh", { uid: 0, gid: 0 }, true).run,
    true,
  );
  const open = { ...SAFE, "/etc/k": dir(0, 0o777) };
  assert.equal(
    judgeScript(fakeHost(open), "/etc/k/chk.sh", { uid: 65534, gid: 65534 }, true).run,
    true,
  );
});

Deno.test("judgeScript(): missing, not executable, bare names searched on the PATH", () => {
  const h = fakeHost({
    ...SAFE,
    "/etc/k/noexec.sh": file(0, 0o644),
    "/usr": dir(),
    "/usr/bin": dir(),
    "/usr/bin/true": file(),
  });
  assert.match(
    (judgeScript(h, "/etc/k/gone.sh", { uid: 0, gid: 0 }, false) as { why: string }).why,
    /does not exist/,
  );
  assert.match(
    (judgeScript(h, "/etc/k/noexec.sh", { uid: 0, gid: 0 }, false) as { why: string }).why,
    /not executable/,
  );
  assert.equal(judgeScript(h, "true", { uid: 0, gid: 0 }, true).run, true);
  assert.equal(judgeScript(h, "nothere", { uid: 0, gid: 0 }, true).run, false);
});

const CONF = `global_defs {
  enable_script_security
  script_user root
}
vrrp_script safe {
  script /etc/k/chk.sh
}
vrrp_script unsafe {
  script /tmp/w/chk.sh
}
vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 1
  virtual_ipaddress {
    10.0.0.1
  }
  track_script {
    safe
    unsafe
  }
  notify_master /tmp/w/chk.sh
  notify_backup /etc/k/chk.sh nosuchuser
}
`;

Deno.test("applyScriptChecks() disables what keepalived disables and says so at the keyword", () => {
  const fs = { ...SAFE, "/tmp": dir(0, 0o1777), "/tmp/w": dir(0, 0o777), "/tmp/w/chk.sh": file() };
  const r = parseConfigText(CONF, "k.conf", "keepalived", { configId: "x" });
  const removed = applyScriptChecks(r, fakeHost(fs));
  assert.deepEqual([...removed], ["unsafe"]);
  assert.deepEqual(r.config.scripts.map((s) => s.name), ["safe"]);
  assert.deepEqual(r.config.instances[0].trackScripts, [{ name: "safe" }]);
  assert.equal(r.config.instances[0].notify.master, undefined);
  assert.equal(r.config.instances[0].notify.backup, undefined);
  const m = r.diagnostics.filter((d) => d.severity === "warning")
    .map((d) => `${d.line}: ${d.message}`);
  assert.ok(
    m.some((x) =>
      /^9: vrrp_script unsafe: unsafe permissions .*\/tmp\/w is writable by everyone: disabled/
        .test(x)
    ),
    m.join("\n"),
  );
  assert.ok(m.some((x) => /^21: notify_master: unsafe permissions/.test(x)), m.join("\n"));
  assert.ok(
    m.some((x) => /^22: notify_backup: user "nosuchuser" does not exist: not run/.test(x)),
    m.join("\n"),
  );
});

Deno.test("applyScriptChecks(): security without script_user or keepalived_script runs no default-user script", () => {
  const r = parseConfigText(CONF.replace("  script_user root\n", ""), "k.conf", "keepalived", {
    configId: "x",
  });
  applyScriptChecks(r, fakeHost(SAFE));
  assert.deepEqual(r.config.scripts, []);
  assert.deepEqual(r.config.instances[0].trackScripts, []);
  // with a keepalived_script user, that user runs them
  const r2 = parseConfigText(CONF.replace("  script_user root\n", ""), "k.conf", "keepalived", {
    configId: "x",
  });
  applyScriptChecks(
    r2,
    fakeHost(
      { ...SAFE, "/tmp": dir(0, 0o1777), "/tmp/w": dir(0, 0o777), "/tmp/w/chk.sh": file() },
      { keepalived_script: [999, 999] },
    ),
  );
  assert.equal(r2.config.global.scriptUser, "keepalived_script");
  assert.deepEqual(r2.config.scripts.map((s) => s.name), ["safe", "unsafe"]);
});

testWith("applyScriptChecks() reads the real file system: a root script in a world-writable dir", {
  root: true,
}, async () => {
  const base = await Deno.makeTempDir({ prefix: "vrrp-sec-" });
  try {
    await Deno.chmod(base, 0o755);
    await Deno.mkdir(`${base}/open`);
    await Deno.chmod(`${base}/open`, 0o777);
    await Deno.mkdir(`${base}/closed`);
    await Deno.chmod(`${base}/closed`, 0o755);
    for (const d of ["open", "closed"]) {
      await Deno.writeTextFile(`${base}/${d}/chk.sh`, "#!/bin/sh\nexit 0\n");
      await Deno.chmod(`${base}/${d}/chk.sh`, 0o755);
    }
    const text = `global_defs {\n  enable_script_security\n  script_user root\n}
vrrp_script a {\n  script ${base}/open/chk.sh\n}
vrrp_script b {\n  script ${base}/closed/chk.sh\n}
vrrp_instance VI_1 {\n  interface eth0\n  virtual_router_id 1\n  virtual_ipaddress {\n    10.0.0.1\n  }
  track_script {\n    a\n    b\n  }\n}\n`;
    const r = parseConfigText(text, "k.conf", "keepalived", { configId: "x" });
    // /tmp itself is sticky and root-owned, as keepalived requires
    const removed = applyScriptChecks(r);
    assert.deepEqual([...removed], ["a"]);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
