/**
 * An unprivileged user against the daemon's root-owned 0600 socket: a one-line "permission
 * denied", exit 4, and the daemon sees no request at all.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { startControlServer } from "../../lib/control/server.ts";
import { FakeDaemon } from "./_fake.ts";

const denoBin = Deno.execPath();
const cliModule = (name: string) => new URL(`../../lib/cli/${name}.ts`, import.meta.url).href;

testWith(
  "an unprivileged user gets permission denied (exit 4) and changes nothing",
  { root: true, commands: ["setpriv"] },
  async () => {
    const dir = await Deno.makeTempDir({ prefix: "vrrp-perm-" });
    await Deno.chmod(dir, 0o755); // nobody may reach the socket, like /run/vrrp
    const denoDir = `${dir}/deno-dir`;
    await Deno.mkdir(denoDir);
    await Deno.chmod(denoDir, 0o777);
    const path = `${dir}/vrrp.sock`;
    const daemon = new FakeDaemon();
    const server = await startControlServer(path, daemon);
    try {
      const entry = `${dir}/entry.ts`;
      await Deno.writeTextFile(
        entry,
        `import { runAdmin } from ${JSON.stringify(cliModule("admin"))};\n` +
          `import { runStatus } from ${JSON.stringify(cliModule("status"))};\n` +
          `const [cmd, name] = Deno.args;\n` +
          `const socket = ${JSON.stringify(path)};\n` +
          `Deno.exit(cmd === "status" ? await runStatus(name, { socket }) : ` +
          `await runAdmin(cmd as "up" | "down", name, { socket }));\n`,
      );
      for (const args of [["down", "ha-internal-1"], ["status"]]) {
        const out = await new Deno.Command("setpriv", {
          args: [
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            denoBin,
            "run",
            "--no-config",
            "--no-lock",
            "--allow-all",
            entry,
            ...args,
          ],
          env: { DENO_DIR: denoDir, NO_COLOR: "1", HOME: dir },
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        assert.equal(out.code, 4, `exit code for ${args.join(" ")}; stderr: ${stderr}`);
        assert.equal(
          stderr,
          `vrrp: permission denied on the control socket ${path} (run as root or as the daemon's user)\n`,
        );
        assert.equal(new TextDecoder().decode(out.stdout), "");
      }
      assert.deepEqual(daemon.calls, []);
      assert.equal(daemon.down.size, 0);
    } finally {
      await server.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
