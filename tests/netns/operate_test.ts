/**
 * Operating the daemon on a real wire: two `vrrp run` daemons with the tutorial's configs
 * (extended with a notify script on every instance and, on A, a track script), in one lab.
 *
 * In order: B starts alone and takes both VRIDs, then A joins and preempts ha-internal-1 (a
 * deterministic start); `vrrp status --json` matches the wire; a failing track script hands
 * ha-internal-1 to B and back; `vrrp down` hands over within a second and survives a restart,
 * `vrrp up` takes it back; an unprivileged user is refused; the notify scripts recorded every
 * transition in order.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import type { InstanceStatus, StatusReply } from "../../lib/control/types.ts";
import { Lab, type LabProcess } from "./lab.ts";
import {
  ALL_VIPS,
  extendedConfig,
  placement,
  sameSet,
  startVrrp,
  VIPS,
  vrrpCli,
  vrrpStatus,
  waitUntil,
} from "./peers.ts";

const cliModule = (name: string) => new URL(`../../lib/cli/${name}.ts`, import.meta.url).href;

/** The notify log's lines about `instance` ("INSTANCE NAME STATE PRIO" or a specific script's tag). */
async function notifyLines(file: string, instance: string): Promise<string[]> {
  const text = await Deno.readTextFile(file).catch(() => "");
  return text.split("\n").filter((l) => l.includes(instance));
}

function inst(reply: StatusReply, name: string): InstanceStatus {
  const i = reply.instances.find((x) => x.name === name);
  if (!i) throw new Error(`no instance ${name} in status`);
  return i;
}

testWith(
  "operate: status, track scripts, vrrp down/up, permissions and notify on a real wire",
  { root: true, commands: ["ip", "arping", "nft", "ping", "setpriv"] },
  async (t) => {
    const lab = await Lab.create({ routers: ["a", "b"], client: true });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-operate-" });
    await Deno.chmod(tmp, 0o755); // like /run/vrrp: the socket's own mode is what protects it
    const procs: LabProcess[] = [];
    const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
    const steady = async () => {
      const p = await placement(lab, ["a", "b"]);
      return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
    };
    const flag = `${tmp}/healthy`;
    const notifyScript = `${tmp}/notify.sh`;
    const log = { a: `${tmp}/notify-a.log`, b: `${tmp}/notify-b.log` };
    try {
      await Deno.writeTextFile(notifyScript, '#!/bin/sh\nf="$1"\nshift\necho "$*" >> "$f"\n');
      await Deno.chmod(notifyScript, 0o755);
      await Deno.writeTextFile(flag, "");
      // notify_master gets no arguments of its own: its tag names the instance
      const notifyLinesFor = (node: "a" | "b", name: string) =>
        `    notify "${notifyScript} ${log[node]}"\n` +
        `    notify_master "${notifyScript} ${log[node]} master-script:${name}"`;
      const configs = {
        a: `${tmp}/a.conf`,
        b: `${tmp}/b.conf`,
      };
      await Deno.writeTextFile(
        configs.a,
        await extendedConfig("a", {
          top: `vrrp_script chk {\n  script "/bin/sh -c 'test -f ${flag}'"\n  interval 1\n` +
            `  weight -20\n  fall 1\n  rise 1\n}\n`,
          instances: {
            "ha-internal-1": `${
              notifyLinesFor("a", "ha-internal-1")
            }\n    track_script {\n        chk\n    }`,
            "ha-internal-2": notifyLinesFor("a", "ha-internal-2"),
          },
        }),
      );
      await Deno.writeTextFile(
        configs.b,
        await extendedConfig("b", {
          instances: {
            "ha-internal-1": notifyLinesFor("b", "ha-internal-1"),
            "ha-internal-2": notifyLinesFor("b", "ha-internal-2"),
          },
        }),
      );
      const expectA1 = ["INSTANCE ha-internal-1 BACKUP 100"];
      const expectA2 = ["INSTANCE ha-internal-2 BACKUP 99"];
      const expectB1 = ["INSTANCE ha-internal-1 BACKUP 99"];
      const expectB2 = ["INSTANCE ha-internal-2 BACKUP 100"];
      const aMaster1 = ["master-script:ha-internal-1", "INSTANCE ha-internal-1 MASTER 100"];
      const bMaster1 = ["master-script:ha-internal-1", "INSTANCE ha-internal-1 MASTER 99"];

      // B alone first, so that A joining later makes a start whose transitions are certain
      const b = await startVrrp(lab, "b", configs.b, tmp);
      procs.push(b);
      await waitUntil(
        "B to hold all four VIPs",
        async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS),
        8000,
        { describe: show },
      );
      expectB1.push(...bMaster1);
      expectB2.push("master-script:ha-internal-2", "INSTANCE ha-internal-2 MASTER 100");
      let a = await startVrrp(lab, "a", configs.a, tmp);
      procs.push(a);
      await waitUntil("the tutorial's placement", steady, 8000, { describe: show });
      expectA1.push(...aMaster1);
      expectB1.push("INSTANCE ha-internal-1 BACKUP 99");

      const checkStatus = async (node: "a" | "b") => {
        const st = await vrrpStatus(lab, node, tmp);
        const addrs = await lab.addresses(node);
        const holds = (name: keyof typeof VIPS) => VIPS[name].every((v) => addrs.includes(v));
        for (const name of ["ha-internal-1", "ha-internal-2"] as const) {
          const i = inst(st, name);
          const master = holds(name);
          assert.equal(i.state, master ? "master" : "backup", `${node} ${name}`);
          assert.equal(i.masterIp, master ? lab.ip(node) : lab.ip(node === "a" ? "b" : "a"));
          assert.deepEqual(
            i.vips.map((v) => [v.address, v.present]),
            VIPS[name].map((v) => [v, addrs.includes(v)]),
            `${node} ${name} vips`,
          );
        }
        return st;
      };

      await t.step("vrrp status --json matches the wire on both routers", async () => {
        const sa = await checkStatus("a");
        await checkStatus("b");
        assert.equal(inst(sa, "ha-internal-1").state, "master");
        assert.equal(inst(sa, "ha-internal-1").effectivePriority, 100);
        assert.deepEqual(inst(sa, "ha-internal-1").priorityAdjustments, []);
      });

      await t.step(
        "a failing track script lowers A to 80 and hands over; fixing it returns",
        async () => {
          await Deno.remove(flag);
          await waitUntil(
            "B to take ha-internal-1",
            async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS),
            8000,
            { describe: show },
          );
          expectB1.push(...bMaster1);
          expectA1.push("INSTANCE ha-internal-1 BACKUP 80");
          const sa = await checkStatus("a");
          await checkStatus("b");
          assert.equal(inst(sa, "ha-internal-1").effectivePriority, 80);
          assert.deepEqual(inst(sa, "ha-internal-1").priorityAdjustments, [
            "script chk -20 (failing)",
          ]);
          assert.equal(inst(sa, "ha-internal-1").masterIp, lab.ip("b"));
          await Deno.writeTextFile(flag, "");
          await waitUntil("A to take ha-internal-1 back", steady, 8000, { describe: show });
          expectA1.push(...aMaster1);
          expectB1.push("INSTANCE ha-internal-1 BACKUP 99");
          const back = await checkStatus("a");
          assert.equal(inst(back, "ha-internal-1").effectivePriority, 100);
          assert.deepEqual(inst(back, "ha-internal-1").priorityAdjustments, []);
        },
      );

      await t.step(
        "vrrp down hands over within a second, survives a restart; vrrp up returns",
        async () => {
          const sock = `${tmp}/a.sock`;
          const t0 = performance.now();
          const down = await vrrpCli(lab, "a", ["down", "ha-internal-1", "--socket", sock]);
          const replied = performance.now();
          assert.equal(down.code, 0, down.stderr);
          const ms = await waitUntil(
            "B to hold all four VIPs",
            async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS),
            3000,
            { since: replied, describe: show },
          );
          console.log(
            `vrrp down: VIPs on B ${ms.toFixed(0)} ms after the reply ` +
              `(${(replied - t0).toFixed(0)} ms CLI round trip)`,
          );
          assert.ok(ms <= 1000, `handover took ${ms.toFixed(0)} ms`);
          expectB1.push(...bMaster1);
          assert.deepEqual((await placement(lab, ["a"])).a, []);
          let sa = await vrrpStatus(lab, "a", tmp);
          assert.equal(inst(sa, "ha-internal-1").adminDown, true);
          assert.equal(inst(sa, "ha-internal-1").state, "initialize");

          // restart A: it comes back still down
          assert.equal((await a.stop(3000)).code, 0, a.stderr());
          expectA2.push("INSTANCE ha-internal-2 STOP 99");
          a = await startVrrp(lab, "a", configs.a, tmp);
          procs.push(a);
          expectA2.push("INSTANCE ha-internal-2 BACKUP 99");
          sa = await vrrpStatus(lab, "a", tmp);
          assert.equal(inst(sa, "ha-internal-1").adminDown, true);
          assert.equal(inst(sa, "ha-internal-1").state, "initialize");
          await new Promise((r) => setTimeout(r, 4500)); // longer than Master_Down_Interval
          assert.deepEqual(
            await placement(lab, ["a", "b"]),
            { a: [], b: ALL_VIPS },
            "A stayed out after the restart",
          );

          const up = await vrrpCli(lab, "a", ["up", "ha-internal-1", "--socket", sock]);
          assert.equal(up.code, 0, up.stderr);
          await waitUntil("A to preempt ha-internal-1", steady, 8000, { describe: show });
          expectA1.push("INSTANCE ha-internal-1 BACKUP 100", ...aMaster1);
          expectB1.push("INSTANCE ha-internal-1 BACKUP 99");
          sa = await checkStatus("a");
          assert.equal(inst(sa, "ha-internal-1").adminDown, false);
        },
      );

      await t.step(
        "an unprivileged user gets permission denied (exit 4), nothing changes",
        async () => {
          const denoDir = `${tmp}/deno-dir`;
          await Deno.mkdir(denoDir);
          await Deno.chmod(denoDir, 0o777);
          const entry = `${tmp}/entry.ts`;
          const sock = `${tmp}/a.sock`;
          await Deno.writeTextFile(
            entry,
            `import { runAdmin } from ${JSON.stringify(cliModule("admin"))};\n` +
              `import { runStatus } from ${JSON.stringify(cliModule("status"))};\n` +
              `const [cmd, name] = Deno.args;\n` +
              `const socket = ${JSON.stringify(sock)};\n` +
              `Deno.exit(cmd === "status" ? await runStatus(name, { socket }) : ` +
              `await runAdmin(cmd as "up" | "down", name, { socket }));\n`,
          );
          for (const args of [["status"], ["down", "ha-internal-1"]]) {
            const r = await lab.exec("a", [
              "setpriv",
              "--reuid=nobody",
              "--regid=nogroup",
              "--clear-groups",
              Deno.execPath(),
              "run",
              "--no-config",
              "--no-lock",
              "--allow-all",
              entry,
              ...args,
            ], { env: { DENO_DIR: denoDir, NO_COLOR: "1", HOME: tmp }, timeoutMs: 30_000 });
            assert.equal(r.code, 4, `${args.join(" ")}: ${r.stderr}`);
            assert.match(r.stderr, /permission denied/);
            assert.equal(r.stdout, "");
          }
          const sa = await vrrpStatus(lab, "a", tmp);
          assert.equal(inst(sa, "ha-internal-1").adminDown, false);
          assert.equal(inst(sa, "ha-internal-1").state, "master");
          assert.ok(await steady(), await show());
        },
      );

      await t.step("notify scripts recorded every transition, in order", async () => {
        // the scripts run asynchronously: give the last ones a moment
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(await notifyLines(log.a, "ha-internal-1"), expectA1);
        assert.deepEqual(await notifyLines(log.a, "ha-internal-2"), expectA2);
        assert.deepEqual(await notifyLines(log.b, "ha-internal-1"), expectB1);
        assert.deepEqual(await notifyLines(log.b, "ha-internal-2"), expectB2);
      });

      for (const p of [a, b]) assert.equal((await p.stop(3000)).code, 0, p.stderr());
    } finally {
      for (const p of procs) p.kill("SIGKILL");
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);
