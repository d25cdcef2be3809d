/**
 * Faults that freeze or fool a master (issue 15), each on a real wire in a two-router lab:
 *
 * - hostile configs (expansion bomb, `include /dev/zero`, a FIFO, include fan-out) sent through
 *   `vrrp reload` to a running master: the reload is refused, the daemon keeps running, and the
 *   peer's capture of the master's adverts shows no gap;
 * - the master's interface deleted and re-created (new ifindex): its adverts are back on the
 *   wire within a few seconds;
 * - `ip` failing on the master (a PATH with a failing `ip` for that daemon only): the backup
 *   takes over within the configured `--vip-fail-timeout`, and the master stays out;
 * - two daemons started at the same instant on one socket: exactly one runs, the other exits 5;
 * - a flood of control connections: the log stays bounded, the CLI says "daemon busy";
 * - an interface missing at start: the other instances run, the missing one starts when it
 *   appears.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import type { InstanceStatus } from "../../lib/control/types.ts";
import { Lab, type LabProcess } from "./lab.ts";
import { inNetns } from "../../ffi/netns.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { ipv4Packet } from "../_support/adverts.ts";
import { daemonDenoCmd, vrrpCli, vrrpStatus, waitUntil } from "./peers.ts";

const NEEDS = { root: true, commands: ["ip", "tshark", "mkfifo"] };

function config(lab: Lab, opts: { priority: number; iface?: string; vrid?: number; vip?: string }) {
  return `vrrp_instance VI_${opts.vrid ?? 51} {
  state BACKUP
  interface ${opts.iface ?? "eth0"}
  virtual_router_id ${opts.vrid ?? 51}
  priority ${opts.priority}
  advert_int 1
  virtual_ipaddress {
    ${opts.vip ?? `${lab.subnet.base}.250`}/${lab.subnet.prefixLen}
  }
}
`;
}

/** Starts `vrrp run` in `node` on `conf` with its socket and state under `tmp`. */
async function startDaemon(
  lab: Lab,
  node: string,
  conf: string,
  tmp: string,
  extra: { args?: string[]; env?: Record<string, string> } = {},
): Promise<LabProcess> {
  const p = lab.spawn(node, [
    ...daemonDenoCmd(lab),
    "run",
    "-f",
    conf,
    "--socket",
    `${tmp}/${node}.sock`,
    "--state-dir",
    `${tmp}/${node}-state`,
    ...(extra.args ?? []),
  ], { env: extra.env });
  try {
    await p.waitFor(/started with \d+ instance/, 20_000);
  } catch (err) {
    p.kill("SIGKILL");
    throw err;
  }
  return p;
}

async function instanceOf(lab: Lab, node: string, tmp: string, name = "VI_51") {
  const st = await vrrpStatus(lab, node, tmp);
  const i = st.instances.find((x) => x.name === name);
  if (!i) throw new Error(`no ${name} on ${node}`);
  return i;
}

async function stateOf(lab: Lab, node: string, tmp: string, name = "VI_51"): Promise<string> {
  try {
    return (await instanceOf(lab, node, tmp, name)).state;
  } catch (err) {
    return `unknown (${err instanceof Error ? err.message : String(err)})`;
  }
}

/** tshark in `node`: the capture times (ms) of adverts for VRID 51 sent by `fromIp`. */
async function captureAdverts(lab: Lab, node: string, fromIp: string) {
  const p = lab.spawn(node, [
    "tshark",
    "-l",
    "-n",
    "-i",
    "eth0",
    "-f",
    `ip proto 112 and src host ${fromIp} and ip[21] = 51`,
    "-T",
    "fields",
    "-e",
    "frame.time_epoch",
  ]);
  const times = () =>
    p.stdout().split("\n").filter((l) => l.trim() !== "").map((l) => Number(l) * 1000);
  await waitUntil("tshark to capture adverts", () => times().length >= 2, 15_000, {
    describe: () => p.stderr(),
  });
  return { process: p, times };
}

/** The largest gap (ms) between consecutive times in [fromMs, toMs], edges included. */
function largestGap(times: number[], fromMs: number, toMs: number): number {
  const inside = times.filter((t) => t >= fromMs && t <= toMs);
  const all = [fromMs, ...inside, toMs];
  let worst = 0;
  for (let i = 1; i < all.length; i++) worst = Math.max(worst, all[i] - all[i - 1]);
  return worst;
}

/** Deletes `node`'s eth0 (both veth ends) and makes it again, as lab.ts builds it. */
async function recreateLink(lab: Lab, node: string): Promise<void> {
  const port = lab.port(node);
  await lab.must("sw", ["ip", "link", "del", port]);
  await lab.must("sw", [
    "ip",
    "link",
    "add",
    port,
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    lab.ns(node),
  ]);
  await lab.must("sw", ["ip", "link", "set", port, "master", "br0"]);
  await lab.must("sw", ["ip", "link", "set", port, "up"]);
  await lab.must(node, [
    "ip",
    "addr",
    "add",
    `${lab.ip(node)}/${lab.subnet.prefixLen}`,
    "dev",
    "eth0",
  ]);
  await lab.must(node, ["ip", "link", "set", "eth0", "up"]);
}

/** The diagnostic each hostile config must be refused with. */
const WHY: Record<string, RegExp> = {
  bomb: /a\.conf:43:1: error: the configuration grows past \d+ characters/,
  "/dev/zero": /a\.conf:1:9: error: include "\/dev\/zero" is a character device/,
  FIFO: /a\.conf:1:9: error: include ".*fifo" is a fifo, not a regular file/,
  "fan-out": /f\d+\.conf:\d:9: error: more than \d+ files included in all/,
};

/** Writes the hostile configs (each a complete file that a reload would read). */
async function hostileConfigs(dir: string): Promise<Record<string, string>> {
  const bomb = ["$A0=xxxxxxxxxx"];
  for (let i = 1; i <= 40; i++) bomb.push(`$A${i}=\${A${i - 1}}\${A${i - 1}}`);
  bomb.push("global_defs {", "  router_id ${A40}", "}");
  await Deno.writeTextFile(`${dir}/bomb.conf`, bomb.join("\n") + "\n");
  await Deno.writeTextFile(`${dir}/zero.conf`, "include /dev/zero\n");
  const fifo = await new Deno.Command("mkfifo", { args: [`${dir}/fifo`] }).output();
  assert.equal(fifo.code, 0);
  await Deno.writeTextFile(`${dir}/fifo.conf`, `include ${dir}/fifo\n`);
  for (let i = 0; i < 31; i++) {
    await Deno.writeTextFile(
      `${dir}/f${i}.conf`,
      `include f${i + 1}.conf\ninclude f${i + 1}.conf\n`,
    );
  }
  await Deno.writeTextFile(`${dir}/f31.conf`, "global_defs {\n}\n");
  return {
    bomb: `${dir}/bomb.conf`,
    "/dev/zero": `${dir}/zero.conf`,
    FIFO: `${dir}/fifo.conf`,
    "fan-out": `${dir}/f0.conf`,
  };
}

testWith(
  "faults: hostile reloads, re-created interface, failing ip on a real wire",
  NEEDS,
  async (t) => {
    const lab = await Lab.create({ routers: ["a", "b"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-faults-" });
    const procs: LabProcess[] = [];
    try {
      const confA = `${tmp}/a.conf`;
      const good = config(lab, { priority: 150 });
      await Deno.writeTextFile(confA, good);
      await Deno.writeTextFile(`${tmp}/b.conf`, config(lab, { priority: 100 }));
      const a = await startDaemon(lab, "a", confA, tmp);
      procs.push(a);
      const b = await startDaemon(lab, "b", `${tmp}/b.conf`, tmp);
      procs.push(b);
      await waitUntil(
        "A to be master, B backup",
        async () =>
          (await stateOf(lab, "a", tmp)) === "master" &&
          (await stateOf(lab, "b", tmp)) === "backup",
        15_000,
      );
      const cap = await captureAdverts(lab, "b", lab.ip("a"));
      procs.push(cap.process);

      await t.step(
        "every drop counted: adverts claiming A's address, 1-byte messages",
        async () => {
          // from B: three adverts with A's source (the kernel drops them as martians before the
          // raw socket; the own-address watch sees them) and three 1-byte VRRP messages
          const spoofed = ipv4Packet({
            version: 2,
            vrid: 51,
            priority: 200,
            advertIntervalCs: 100,
            authType: 0,
            authData: new Uint8Array(8),
            addresses: [`${lab.subnet.base}.250`],
          }, { source: lab.ip("a") });
          const tiny = ipv4Packet({
            version: 2,
            vrid: 51,
            priority: 100,
            advertIntervalCs: 100,
            authType: 0,
            authData: new Uint8Array(8),
            addresses: [],
          }, { source: lab.ip("b") }).slice(0, 21);
          const sock = inNetns(lab.ns("b"), () => RawIpSocket.open("eth0"));
          try {
            for (let i = 0; i < 3; i++) {
              sock.send(spoofed);
              sock.send(tiny);
            }
          } finally {
            await sock.close();
          }
          await waitUntil(
            "A to count them",
            async () => {
              const st = await vrrpStatus(lab, "a", tmp);
              const inst = st.instances.find((i) => i.name === "VI_51");
              return inst?.drops.ownAdvert === 3 && st.interfaceDrops?.eth0?.truncated === 3;
            },
            5000,
            { describe: async () => JSON.stringify(await vrrpStatus(lab, "a", tmp)) },
          );
          // and neither moved A: a spoofed priority 200 was not taken for a better master
          assert.equal(await stateOf(lab, "a", tmp), "master");
          assert.match(a.stdout() + a.stderr(), /dropped packet: ownAdvert/);
          assert.match(a.stdout() + a.stderr(), /dropped packet: truncated/);
        },
      );

      await t.step("hostile configs through reload: refused, no gap in A's adverts", async () => {
        const hostile = await hostileConfigs(tmp);
        const from = Date.now();
        for (const [what, file] of Object.entries(hostile)) {
          // the running daemon's own file now holds the hostile text (fan-out's files include
          // each other by relative name, so it is included from where it lies)
          const text = what === "fan-out" ? `include ${file}\n` : await Deno.readTextFile(file);
          await Deno.writeTextFile(confA, text);
          const t0 = performance.now();
          const r = await vrrpCli(lab, "a", ["reload", "--socket", `${tmp}/a.sock`]);
          const ms = performance.now() - t0;
          assert.equal(r.code, 1, `${what}: ${r.stdout}${r.stderr}`);
          assert.match(r.stdout + r.stderr, /config has errors; the running config is kept/, what);
          assert.match(r.stdout + r.stderr, WHY[what], what);
          console.log(`    ${what}: reload refused in ${ms.toFixed(0)} ms`);
          assert.ok(ms < 10_000, `${what}: reload answered after ${ms.toFixed(0)} ms`);
        }
        // the daemon still answers and still holds the role
        await Deno.writeTextFile(confA, good);
        // a window long enough that a frozen loop would show as a gap of several intervals
        await new Promise((r) => setTimeout(r, Math.max(1500, from + 5000 - Date.now())));
        assert.equal(await stateOf(lab, "a", tmp), "master");
        assert.equal(await stateOf(lab, "b", tmp), "backup");
        const to = Date.now();
        const gap = largestGap(cap.times(), from, to - 1000);
        assert.ok(gap < 1600, `A's adverts paused ${gap.toFixed(0)} ms during the hostile reloads`);
        console.log(`    largest gap between A's adverts: ${gap.toFixed(0)} ms`);
        const b0 = await instanceOf(lab, "b", tmp);
        assert.equal(b0.lastTransition?.to, "backup", "B never took over");
        assert.equal(a.stderr().match(/out of memory/i), null);
      });

      await t.step(
        "A's interface deleted and re-created: adverts back within a few seconds",
        async () => {
          const before = cap.times().length;
          await recreateLink(lab, "a");
          const t0 = Date.now();
          // tshark's interface on B is untouched; A comes back as master (priority 150, preempt)
          const ms = await waitUntil(
            "A's adverts on the wire again",
            () => cap.times().some((x) => x > t0 + 500) && cap.times().length > before,
            15_000,
            {
              describe: async () =>
                `A: ${await stateOf(lab, "a", tmp)}\n${a.stderr().slice(-2000)}`,
            },
          );
          assert.ok(ms < 10_000, `adverts back after ${ms.toFixed(0)} ms`);
          console.log(`    adverts back ${ms.toFixed(0)} ms after the re-creation`);
          await waitUntil(
            "A master again",
            async () => (await stateOf(lab, "a", tmp)) === "master",
            10_000,
          );
          // no stream of failed sends: at most the few before the rebind
          const st = await instanceOf(lab, "a", tmp);
          assert.ok((st.sendErrors ?? 0) < 10, `sendErrors ${st.sendErrors}`);
          assert.match(
            a.stdout() + a.stderr(),
            /eth0 was re-created \(new index\): sockets re-opened/,
          );
          // and adverts keep flowing after the re-creation
          const n = cap.times().length;
          await new Promise((r) => setTimeout(r, 2500));
          assert.ok(cap.times().length >= n + 2, "adverts keep coming");
          // the rtnetlink address watch outlived the re-creation: a VIP deleted now is put
          // back, counted, and status reads its presence from the live view
          const vip = `${lab.subnet.base}.250`;
          await waitUntil(
            "A's VIP on the re-created eth0",
            async () => (await lab.addresses("a")).includes(vip),
            5000,
          );
          const repairs = (await instanceOf(lab, "a", tmp)).counters?.vipRepairs ?? 0;
          await lab.must("a", [
            "ip",
            "addr",
            "del",
            `${vip}/${lab.subnet.prefixLen}`,
            "dev",
            "eth0",
          ]);
          await waitUntil(
            "the VIP put back after ip addr del",
            async () => (await lab.addresses("a")).includes(vip),
            2000,
          );
          const repaired = await instanceOf(lab, "a", tmp);
          assert.equal(repaired.counters?.vipRepairs, repairs + 1);
          assert.ok(repaired.vips.every((v) => v.present), JSON.stringify(repaired.vips));
        },
      );

      await t.step(
        "ip failing on the master: the backup takes over within --vip-fail-timeout",
        async () => {
          // a new A whose `ip` fails address changes (and only that daemon's)
          await a.stop(5000);
          const bin = `${tmp}/bin`;
          await Deno.mkdir(bin, { recursive: true });
          await Deno.writeTextFile(
            `${bin}/ip`,
            `#!/bin/sh
for arg in "$@"; do
  case "$arg" in -batch|-b) echo "RTNETLINK answers: Operation not permitted" >&2; exit 2;; esac
done
exec /usr/sbin/ip "$@"
`,
          );
          await Deno.chmod(`${bin}/ip`, 0o755);
          await waitUntil(
            "B master",
            async () => (await stateOf(lab, "b", tmp)) === "master",
            10_000,
          );
          const vip = `${lab.subnet.base}.250`;
          const timeoutSec = 2;
          const a2 = await startDaemon(lab, "a", confA, tmp, {
            args: ["--vip-fail-timeout", String(timeoutSec)],
            env: { PATH: `${bin}:${Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin"}` },
          });
          procs.push(a2);
          // A preempts (150 > 100), cannot add the VIP, and gives way
          await waitUntil(
            "A to preempt",
            async () => (await stateOf(lab, "a", tmp)) === "master",
            15_000,
          );
          const t0 = performance.now();
          const ms = await waitUntil(
            "B to hold the VIP again and A to be in FAULT",
            async () =>
              (await lab.addresses("b")).includes(vip) &&
              (await stateOf(lab, "a", tmp)) === "fault",
            15_000,
            {
              since: t0,
              describe: async () => `A: ${await stateOf(lab, "a", tmp)}\n${a2.stderr()}`,
            },
          );
          assert.ok(
            ms < timeoutSec * 1000 + 2000,
            `B took over ${ms.toFixed(0)} ms after A's mastery`,
          );
          console.log(`    B holds the VIP again ${ms.toFixed(0)} ms after A became master`);
          const st: InstanceStatus = await instanceOf(lab, "a", tmp);
          assert.equal(st.vipGiveWays, 1);
          assert.match(st.lastTransition?.reason ?? "", /vipsNotConfigured/);
          assert.match(a2.stdout() + a2.stderr(), /stepping back to FAULT: vipsNotConfigured/);
          // while ip fails, A stays out: B keeps the VIP
          await new Promise((r) => setTimeout(r, 5000));
          assert.equal(await stateOf(lab, "a", tmp), "fault");
          assert.ok((await lab.addresses("b")).includes(vip));
          assert.ok(!(await lab.addresses("a")).includes(vip));
        },
      );
    } finally {
      for (const p of procs) await p.stop(3000).catch(() => {});
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);

testWith("faults: one daemon per socket, connection flood, interface missing at start", {
  root: true,
  commands: ["ip"],
}, async (t) => {
  const lab = await Lab.create({ routers: ["a"], client: false });
  const tmp = await Deno.makeTempDir({ prefix: "vrrp-faults-" });
  const procs: LabProcess[] = [];
  try {
    await t.step(
      "two daemons started at the same instant on one socket: exactly one runs",
      async () => {
        const conf = `${tmp}/one.conf`;
        await Deno.writeTextFile(conf, config(lab, { priority: 100 }));
        const argv = [
          ...daemonDenoCmd(lab),
          "run",
          "-f",
          conf,
          "--socket",
          `${tmp}/one.sock`,
          "--state-dir",
          `${tmp}/one-state`,
        ];
        const both = [lab.spawn("a", argv), lab.spawn("a", argv)];
        procs.push(...both);
        const loser = await Promise.race(both.map((p, i) => p.status.then(() => i)));
        const winner = both[1 - loser];
        const exit = await both[loser].status;
        assert.equal(exit.code, 5, both[loser].stderr());
        assert.match(both[loser].stderr(), /another vrrp daemon is running on .*one\.sock/);
        await winner.waitFor(/started with 1 instance/, 20_000);
        const st = await vrrpCli(lab, "a", ["status", "--json", "--socket", `${tmp}/one.sock`]);
        assert.equal(st.code, 0, st.stderr);
        assert.equal(JSON.parse(st.stdout).pid, winner.pid);
        // it held the lock all along: nothing else is running
        const exited = [false, false];
        both.forEach((p, i) => p.status.then(() => exited[i] = true));
        await new Promise((r) => setTimeout(r, 500));
        assert.deepEqual(exited.map((e, i) => i === loser ? true : e), exited);
        assert.equal(exited.filter((e) => !e).length, 1, "exactly one daemon running");
        await winner.stop(5000);
      },
    );

    await t.step("a connection flood: the log stays bounded and the CLI says busy", async () => {
      const conf = `${tmp}/flood.conf`;
      await Deno.writeTextFile(conf, config(lab, { priority: 100 }));
      const d = await startDaemon(lab, "a", conf, tmp);
      procs.push(d);
      const sock = `${tmp}/a.sock`;
      // the 16 the daemon serves, held open, then 2000 more
      const held: Deno.UnixConn[] = [];
      for (let i = 0; i < 16; i++) held.push(await Deno.connect({ transport: "unix", path: sock }));
      try {
        await new Promise((r) => setTimeout(r, 200));
        for (let round = 0; round < 40; round++) {
          await Promise.all(Array.from({ length: 50 }, async () => {
            try {
              const c = await Deno.connect({ transport: "unix", path: sock });
              await c.read(new Uint8Array(256)).catch(() => null);
              c.close();
            } catch {
              // refused by the kernel's backlog: fine, that is what a flood meets too
            }
          }));
        }
        const busy = await vrrpCli(lab, "a", ["status", "--socket", sock]);
        assert.notEqual(busy.code, 0);
        assert.match(busy.stdout + busy.stderr, /daemon busy: too many connections/);
        assert.doesNotMatch(busy.stdout + busy.stderr, /Broken pipe/i);
      } finally {
        for (const c of held) c.close();
      }
      const lines = (d.stdout() + d.stderr()).split("\n").filter((l) => /refus/.test(l));
      assert.ok(
        lines.length >= 1 && lines.length <= 3,
        `${lines.length} lines:\n${lines.join("\n")}`,
      );
      // served again once the held connections are gone
      await waitUntil(
        "status to answer again",
        async () => (await vrrpCli(lab, "a", ["status", "--socket", sock])).code === 0,
        15_000,
      );
      await d.stop(5000);
    });

    await t.step(
      "an interface missing at start: the others run, it starts when it appears",
      async () => {
        const conf = `${tmp}/missing.conf`;
        await Deno.writeTextFile(
          conf,
          config(lab, { priority: 100 }) +
            config(lab, { priority: 100, iface: "eth9", vrid: 52, vip: "10.99.0.250" }),
        );
        const d = await startDaemon(lab, "a", conf, tmp);
        procs.push(d);
        assert.match(d.stderr() + d.stdout(), /interface eth9 does not exist: VI_52 stay in FAULT/);
        await waitUntil(
          "VI_51 master",
          async () => (await stateOf(lab, "a", tmp)) === "master",
          10_000,
        );
        assert.equal(await stateOf(lab, "a", tmp, "VI_52"), "fault");
        await lab.must("a", ["ip", "link", "add", "eth9", "type", "veth", "peer", "name", "eth9p"]);
        await lab.must("a", ["ip", "addr", "add", "10.99.0.1/24", "dev", "eth9"]);
        await lab.must("a", ["ip", "link", "set", "eth9p", "up"]);
        await lab.must("a", ["ip", "link", "set", "eth9", "up"]);
        await waitUntil(
          "VI_52 to start on eth9 and win its election",
          async () => (await stateOf(lab, "a", tmp, "VI_52")) === "master",
          15_000,
          {
            describe: () => d.stderr().slice(-2000),
          },
        );
        assert.ok((await lab.addresses("a", "eth9")).includes("10.99.0.250"));
        await d.stop(5000);
      },
    );
  } finally {
    for (const p of procs) await p.stop(3000).catch(() => {});
    await lab.destroy();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
});

testWith(
  "faults: an IPv6 (VRRPv3) master's interface re-created: IPv6 socket and mcast_dst_ip back",
  NEEDS,
  async () => {
    const lab = await Lab.create({ routers: ["a", "b"], client: false, ipv6: true });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-faults6-" });
    const procs: LabProcess[] = [];
    const conf = (priority: number) =>
      `vrrp_instance V6 {
  interface eth0
  virtual_router_id 61
  priority ${priority}
  advert_int 1
  mcast_dst_ip ff02::14
  virtual_ipaddress {
    fd00:101::161/64
  }
}
`;
    try {
      await Deno.writeTextFile(`${tmp}/a.conf`, conf(150));
      await Deno.writeTextFile(`${tmp}/b.conf`, conf(100));
      const a = await startDaemon(lab, "a", `${tmp}/a.conf`, tmp);
      procs.push(a);
      const b = await startDaemon(lab, "b", `${tmp}/b.conf`, tmp);
      procs.push(b);
      await waitUntil(
        "A master, B backup",
        async () =>
          (await stateOf(lab, "a", tmp, "V6")) === "master" &&
          (await stateOf(lab, "b", tmp, "V6")) === "backup",
        15_000,
      );
      // on B: A's IPv6 adverts (source, destination, time)
      const cap = lab.spawn("b", [
        "tshark",
        "-l",
        "-n",
        "-i",
        "eth0",
        "-f",
        "ip6 proto 112",
        "-T",
        "fields",
        "-E",
        "separator=;",
        "-e",
        "frame.time_epoch",
        "-e",
        "ipv6.src",
        "-e",
        "ipv6.dst",
        "-e",
        "vrrp.prio",
      ]);
      procs.push(cap);
      const seen = () =>
        cap.stdout().split("\n").filter((l) => l.includes(";")).map((l) => {
          const [t, src, dst, prio] = l.split(";");
          return { at: Number(t) * 1000, src, dst, prio: Number(prio) };
        });
      const oldLl = await lab.linkLocal("a");
      await waitUntil(
        "tshark to see A's adverts",
        () => seen().some((x) => x.src === oldLl),
        15_000,
        {
          describe: () => `A's link-local ${oldLl}; seen:\n${cap.stdout().slice(-1000)}`,
        },
      );
      await recreateLink(lab, "a");
      const t0 = Date.now();
      let newLl = "";
      await waitUntil("A's new link-local address", async () => {
        newLl = await lab.linkLocal("a").catch(() => "");
        return newLl !== "" && newLl !== oldLl;
      }, 5_000);
      const ms = await waitUntil(
        "A's IPv6 adverts from its new link-local to ff02::14",
        () =>
          seen().some((x) =>
            x.at > t0 && x.src === newLl && x.dst === "ff02::14" && x.prio === 150
          ),
        20_000,
        {
          describe: async () =>
            `A: ${await stateOf(lab, "a", tmp, "V6")}\n${a.stderr().slice(-2000)}`,
        },
      );
      console.log(`    IPv6 adverts back ${ms.toFixed(0)} ms after the re-creation`);
      // B hears them on ff02::14 (A's re-opened socket sends there; B's joined it): A wins back
      await waitUntil(
        "A master, B backup again",
        async () =>
          (await stateOf(lab, "a", tmp, "V6")) === "master" &&
          (await stateOf(lab, "b", tmp, "V6")) === "backup",
        15_000,
      );
      const st = await instanceOf(lab, "a", tmp, "V6");
      assert.equal(st.masterIp, newLl);
      assert.ok((st.sendErrors ?? 0) < 10, `sendErrors ${st.sendErrors}`);
      assert.match(a.stdout() + a.stderr(), /eth0 was re-created \(new index\): sockets re-opened/);
      // the address watch names IPv6 addresses' devices by index: the re-created eth0 (a new
      // index) is followed too, so a VIP deleted now is put back and counted
      const vip = "fd00:101::161";
      await waitUntil(
        "A's IPv6 VIP on the re-created eth0",
        async () => (await lab.addresses6("a")).includes(vip),
        5000,
      );
      const repairs = st.counters?.vipRepairs ?? 0;
      await lab.must("a", ["ip", "-6", "addr", "del", `${vip}/64`, "dev", "eth0"]);
      await waitUntil(
        "the IPv6 VIP put back after ip -6 addr del",
        async () => (await lab.addresses6("a")).includes(vip),
        2000,
      );
      const repaired = await instanceOf(lab, "a", tmp, "V6");
      assert.equal(repaired.counters?.vipRepairs, repairs + 1);
      assert.ok(repaired.vips.every((v) => v.present), JSON.stringify(repaired.vips));
    } finally {
      for (const p of procs) await p.stop(3000).catch(() => {});
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);
