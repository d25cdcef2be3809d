/**
 * The shipping permission set, proven on a real wire. `deno compile` cannot run here (it
 * downloads its runtime), so the daemon runs under `deno run` with exactly the permission flags
 * `scripts/build.ts` bakes into the binary (`compileArgs()` minus the compile-only arguments):
 * it must elect, add its VIPs, answer `vrrp status` on a socket under /run/vrrp (the CLI runs
 * with the same flags), run a notify script, and on SIGTERM exit 0 with its VIPs removed — and
 * no permission error may appear in its output.
 *
 * The socket and state dir are per-run sub-paths of /run/vrrp and /var/lib/vrrp (the only
 * writable paths), removed afterwards, as are those two directories if this test created them.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import type { StatusReply } from "../../lib/control/types.ts";
import { PERMISSIONS } from "../../scripts/build.ts";
import { DAEMON_DENO_FLAGS } from "../../lib/daemon/v8_flags.ts";
import { Lab, type LabProcess, REPO_ROOT } from "./lab.ts";
import { ALL_VIPS, extendedConfig, placement, sameSet, waitUntil } from "./peers.ts";
import { shippedRunFlags } from "./shipped_flags.ts";

const PERMISSION_ERROR = /PermissionDenied|NotCapable|Requires [a-z]+ access/i;

Deno.test("shippedRunFlags() is --no-prompt, every PERMISSIONS flag and the daemon's runtime flags", () => {
  const flags = shippedRunFlags();
  assert.deepEqual(flags, ["--no-prompt", ...PERMISSIONS.map((p) => p.flag), ...DAEMON_DENO_FLAGS]);
  assert.ok(!flags.includes("--allow-all") && !flags.some((f) => f === "-A"));
  // network access is for the unix control socket only
  assert.deepEqual(flags.filter((f) => f.startsWith("--allow-net")), [
    "--allow-net=unix:/run/vrrp/vrrp.sock,unix:/run/vrrp/.vrrp.sock.tmp",
  ]);
});

async function createdDir(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return false;
  } catch {
    return true;
  }
}

testWith(
  "the shipped permission set runs the daemon: election, VIPs, status, notify, SIGTERM",
  { root: true, commands: ["ip", "setsid"] },
  async () => {
    const lab = await Lab.create({ routers: ["a"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-perms-" });
    const unique = lab.prefix.replace(/-$/, "");
    const runDir = `/run/vrrp/${unique}`;
    const stateDir = `/var/lib/vrrp/${unique}`;
    const made = { run: await createdDir("/run/vrrp"), lib: await createdDir("/var/lib/vrrp") };
    const socket = `${runDir}/vrrp.sock`;
    // a unique socket per run, allowed the way `build.ts --allow-socket-paths` allows it
    const flags = shippedRunFlags([socket]);
    assert.deepEqual(
      flags.filter((f) => f.startsWith("--allow-net")),
      [`--allow-net=unix:${socket},unix:${runDir}/.vrrp.sock.tmp`],
    );
    const vrrp = (
      args: string[],
    ) => [Deno.execPath(), "run", ...flags, `${REPO_ROOT}/main.ts`, ...args];
    let daemon: LabProcess | null = null;
    try {
      const notifyLog = `${tmp}/notify.log`;
      const script = `${tmp}/notify.sh`;
      await Deno.writeTextFile(script, `#!/bin/sh\necho "$*" >> ${notifyLog}\n`);
      await Deno.chmod(script, 0o755);
      const conf = `${tmp}/a.conf`;
      await Deno.writeTextFile(
        conf,
        await extendedConfig("a", {
          instances: {
            "ha-internal-1": `    notify "${script}"`,
            "ha-internal-2": `    notify "${script}"`,
          },
        }),
      );
      daemon = lab.spawn(
        "a",
        vrrp(["run", "-f", conf, "--socket", socket, "--state-dir", stateDir]),
      );
      await daemon.waitFor(/started with 2 instance/, 20_000);
      const show = async () => JSON.stringify(await placement(lab, ["a"]));
      await waitUntil(
        "the lone router to hold all four VIPs",
        async () => sameSet((await placement(lab, ["a"])).a, ALL_VIPS),
        10_000,
        { describe: show },
      );

      const st = await lab.exec("a", vrrp(["status", "--json", "--socket", socket]), {
        timeoutMs: 20_000,
      });
      assert.equal(st.code, 0, `${st.stderr}\ndaemon:\n${daemon.stdout()}${daemon.stderr()}`);
      assert.doesNotMatch(st.stderr, PERMISSION_ERROR);
      const reply = JSON.parse(st.stdout) as StatusReply;
      assert.deepEqual(reply.instances.map((i) => [i.name, i.state]), [
        ["ha-internal-1", "master"],
        ["ha-internal-2", "master"],
      ]);
      assert.ok(reply.instances.every((i) => i.vips.every((v) => v.present)));

      await waitUntil(
        "the notify script to record both masters",
        async () => {
          const text = await Deno.readTextFile(notifyLog).catch(() => "");
          return text.includes("INSTANCE ha-internal-1 MASTER 100") &&
            text.includes("INSTANCE ha-internal-2 MASTER 99");
        },
        5000,
        { describe: () => Deno.readTextFile(notifyLog).catch(() => "(no log)") },
      );

      // a reload parses in a Worker: it must load and read the config under these permissions
      const rl = await lab.exec("a", vrrp(["reload", "--socket", socket]), { timeoutMs: 20_000 });
      assert.equal(rl.code, 0, `${rl.stdout}${rl.stderr}\n${daemon.stderr()}`);
      assert.match(rl.stdout + rl.stderr, /reloaded: 0 added, 0 changed, 0 removed, 2 unchanged/);
      // the lock that keeps a second daemon out was taken beside the socket
      assert.ok((await Deno.stat(`${socket}.lock`)).isFile);

      // `vrrp down` persists the admin state under the state dir (the other writable path)
      const down = await lab.exec("a", vrrp(["down", "ha-internal-2", "--socket", socket]), {
        timeoutMs: 20_000,
      });
      assert.equal(down.code, 0, down.stderr);
      assert.doesNotMatch(down.stderr, PERMISSION_ERROR);
      assert.match(await Deno.readTextFile(`${stateDir}/admin-state.json`), /ha-internal-2/);

      const status = await daemon.stop(5000);
      const output = daemon.stdout() + daemon.stderr();
      assert.equal(status.code, 0, output);
      assert.deepEqual((await placement(lab, ["a"])).a, [], "VIPs removed on SIGTERM");
      assert.doesNotMatch(output, PERMISSION_ERROR);
      assert.match(output, /stopped/);
    } finally {
      await daemon?.stop(1000).catch(() => {});
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
      await Deno.remove(runDir, { recursive: true }).catch(() => {});
      await Deno.remove(stateDir, { recursive: true }).catch(() => {});
      // only the directories this test created, and only when empty
      if (made.run) await Deno.remove("/run/vrrp").catch(() => {});
      if (made.lib) await Deno.remove("/var/lib/vrrp").catch(() => {});
    }
  },
);
