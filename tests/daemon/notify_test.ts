import assert from "node:assert/strict";
import { notifyCommands, NotifyRunner } from "../../lib/daemon/notify.ts";
import { testWith } from "../_support/env.ts";

async function scriptDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-notify-" });
  await Deno.chmod(dir, 0o755);
  // logs one "start"/"end" pair per run with its arguments, sleeping $SLEEP_<label> between
  await Deno.writeTextFile(
    `${dir}/mark.sh`,
    `#!/bin/sh\nlabel="$1"; delay="$2"; shift 2\necho "start $label $*" >> "${dir}/log"\n` +
      `sleep "$delay"\necho "end $label $*" >> "${dir}/log"\necho "said $label"\n`,
  );
  await Deno.chmod(`${dir}/mark.sh`, 0o755);
  return dir;
}

/** Running (a zombie waiting for a reaper counts as dead). */
function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

function logger() {
  const lines: string[] = [];
  return { lines, log: (level: string, msg: string) => lines.push(`${level} ${msg}`) };
}

Deno.test("notifyCommands() runs the state's script as given, then notify with 4 args", () => {
  assert.deepEqual(
    notifyCommands("vi_1", "master", {
      master: { command: `/etc/vrrp/m.sh "two words"` },
      notify: { command: "/etc/vrrp/n.sh x" },
    }, 100),
    [
      { argv: ["/etc/vrrp/m.sh", "two words"], label: "notify_master" },
      { argv: ["/etc/vrrp/n.sh", "x", "INSTANCE", "vi_1", "MASTER", "100"], label: "notify" },
    ],
  );
  assert.deepEqual(
    notifyCommands("g", "stop", { notify: { command: "/n" }, backup: { command: "/b" } }, 0, true),
    [
      { argv: ["/n", "GROUP", "g", "STOP", "0"], label: "notify" },
    ],
  );
  assert.deepEqual(notifyCommands("x", "fault", {}, 1), []);
  assert.ok("error" in notifyCommands("x", "fault", { fault: { command: '"open' } }, 1));
});

Deno.test("NotifyRunner runs one instance's scripts in order and never two at once", async () => {
  const dir = await scriptDir();
  const { log, lines } = logger();
  const runner = new NotifyRunner({ log, timeoutMs: 5000 });
  try {
    const m = `${dir}/mark.sh`;
    // varied durations: a slow first script must still finish before the fast later ones start
    runner.enqueue("a", "backup", { backup: { command: `${m} b1 0.3` } }, 100);
    runner.enqueue("a", "master", {
      master: { command: `${m} m1 0.05` },
      notify: { command: `${m} n 0` },
    }, 100);
    runner.enqueue("a", "fault", { fault: { command: `${m} f1 0.1` } }, 100);
    runner.enqueue("a", "stop", { stop: { command: `${m} s1 0` } }, 100);
    await runner.idle("a");
    const got = (await Deno.readTextFile(`${dir}/log`)).trim().split("\n").map((l) => l.trimEnd());
    assert.deepEqual(got, [
      "start b1",
      "end b1",
      "start m1",
      "end m1",
      "start n INSTANCE a MASTER 100",
      "end n INSTANCE a MASTER 100",
      "start f1",
      "end f1",
      "start s1",
      "end s1",
    ]);
    assert.ok(
      lines.some((l) => l === "info [instance a] notify_master: said m1"),
      lines.join("\n"),
    );
  } finally {
    await runner.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NotifyRunner does not make one instance wait for another", async () => {
  const dir = await scriptDir();
  const runner = new NotifyRunner({ log: () => {}, timeoutMs: 5000 });
  try {
    runner.enqueue("slow", "master", { master: { command: `${dir}/mark.sh slow 0.5` } }, 1);
    runner.enqueue("fast", "master", { master: { command: `${dir}/mark.sh fast 0` } }, 1);
    await runner.idle("fast");
    const mid = await Deno.readTextFile(`${dir}/log`);
    assert.match(mid, /end fast/);
    assert.doesNotMatch(mid, /end slow/);
    await runner.idle();
    assert.match(await Deno.readTextFile(`${dir}/log`), /end slow/);
  } finally {
    await runner.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NotifyRunner kills a hanging script and its children at the timeout", async () => {
  const dir = await scriptDir();
  const { log, lines } = logger();
  const runner = new NotifyRunner({ log, timeoutMs: 200 });
  try {
    await Deno.writeTextFile(
      `${dir}/hang.sh`,
      `#!/bin/sh\nsleep 30 &\necho $! > "${dir}/child"\necho hanging >&2\nsleep 30\n`,
    );
    await Deno.chmod(`${dir}/hang.sh`, 0o755);
    const t0 = Date.now();
    runner.enqueue("a", "fault", { fault: { command: `${dir}/hang.sh` } }, 0);
    runner.enqueue("a", "backup", { backup: { command: `${dir}/mark.sh after 0` } }, 0);
    await runner.idle();
    assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    assert.ok(lines.some((l) => /^error \[instance a\] notify_fault: killed after 200 ms/.test(l)));
    assert.ok(lines.includes("warn [instance a] notify_fault stderr: hanging"), lines.join("\n"));
    assert.match(await Deno.readTextFile(`${dir}/log`), /end after/);
    // the background child of the script died with it
    const child = Number((await Deno.readTextFile(`${dir}/child`)).trim());
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(isAlive(child), false);
  } finally {
    await runner.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("NotifyRunner logs scripts that cannot run or fail, and drops work after close", async () => {
  const { log, lines } = logger();
  const runner = new NotifyRunner({ log, timeoutMs: 1000 });
  runner.enqueue("a", "master", {
    master: { command: "/nonexistent/notify.sh" },
    notify: { command: "/bin/false" },
  }, 5);
  runner.enqueue("a", "backup", { backup: { command: "'unterminated" } }, 5);
  await runner.close();
  runner.enqueue("a", "stop", { stop: { command: "/bin/true" } }, 5);
  assert.ok(
    lines.some((l) => /^error \[instance a\] notify_master: cannot run/.test(l)),
    lines.join("\n"),
  );
  assert.ok(lines.some((l) => /^warn \[instance a\] notify: exit code 1/.test(l)));
  assert.ok(lines.some((l) => /^error \[instance a\] notify_backup .*unterminated/.test(l)));
  assert.ok(lines.some((l) => /notify stop dropped/.test(l)));
});

testWith("NotifyRunner honours script_user", { root: true, commands: ["setpriv"] }, async () => {
  const dir = await scriptDir();
  const { log, lines } = logger();
  const runner = new NotifyRunner({ log, timeoutMs: 5000, user: "nobody" });
  try {
    runner.enqueue("a", "master", { master: { command: "/usr/bin/id -un" } }, 1);
    await runner.idle();
    assert.ok(lines.includes("info [instance a] notify_master: nobody"), lines.join("\n"));
  } finally {
    await runner.close();
    await Deno.remove(dir, { recursive: true });
  }
});

testWith("NotifyRunner runs a notify script as its own user and group, else script_user", {
  root: true,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-notify-user-" });
  try {
    await Deno.chmod(dir, 0o755);
    const log = `${dir}/ids`;
    await Deno.writeTextFile(log, "");
    await Deno.chmod(log, 0o666);
    await Deno.writeTextFile(
      `${dir}/id.sh`,
      `#!/bin/sh\necho "$(id -un):$(id -gn) $*" >> ${log}\n`,
    );
    await Deno.chmod(`${dir}/id.sh`, 0o755);
    const runner = new NotifyRunner({ log: () => {}, timeoutMs: 5000, user: "daemon" });
    runner.enqueue("a", "master", {
      master: { command: `${dir}/id.sh m`, user: "nobody", group: "nogroup" },
      notify: { command: `${dir}/id.sh`, user: "nobody" },
    }, 100);
    runner.enqueue("a", "backup", { backup: { command: `${dir}/id.sh b` } }, 100);
    await runner.close();
    const primary = new Deno.Command("id", { args: ["-gn", "nobody"] }).outputSync();
    const nobodyGroup = new TextDecoder().decode(primary.stdout).trim();
    const daemonGroup = new TextDecoder().decode(
      new Deno.Command("id", { args: ["-gn", "daemon"] }).outputSync().stdout,
    ).trim();
    assert.deepEqual((await Deno.readTextFile(log)).trim().split("\n"), [
      "nobody:nogroup m",
      `nobody:${nobodyGroup} INSTANCE a MASTER 100`,
      `daemon:${daemonGroup} b`,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
