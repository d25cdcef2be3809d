/**
 * Real failover on a wire: two `vrrp run` daemons with the tutorial's two configs, verbatim,
 * inside a lab of network namespaces (the tutorial's addresses exist only there).
 *
 * One lab, scenarios in order: both start (1) and hold steady (5); A's link goes down and its
 * daemon is killed -9 (2); A returns and preempts (4); SIGTERM to A hands over at once (3).
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab, type LabProcess } from "./lab.ts";
import {
  ALL_VIPS,
  dualHoldings,
  exampleConfig,
  MASTER_DOWN_99_MS,
  placement,
  sameSet,
  SKEW_99_MS,
  startupSettled,
  startVrrp,
  VIPS,
  waitUntil,
} from "./peers.ts";

testWith(
  "failover: two vrrp daemons with the tutorial configs keep the four VIPs alive",
  { root: true, commands: ["ip", "arping", "nft", "ping"] },
  async (t) => {
    const lab = await Lab.create({ routers: ["a", "b"], client: true });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-failover-" });
    const procs: LabProcess[] = [];
    const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
    const steady = async () => {
      const p = await placement(lab, ["a", "b"]);
      return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
    };
    try {
      let a = await startVrrp(lab, "a", exampleConfig("a"), tmp);
      procs.push(a);
      const b = await startVrrp(lab, "b", exampleConfig("b"), tmp);
      procs.push(b);
      const bothStarted = performance.now();

      await t.step("(1) both start: .101/.102 on A only, .107/.108 on B only", async () => {
        await waitUntil("the tutorial's placement", steady, 12_000, { describe: show });
        await startupSettled(bothStarted, steady, show);
      });

      await t.step("(5) steady state: no VIP is ever on both routers", async () => {
        assert.deepEqual(await dualHoldings(lab, ["a", "b"], 3000), []);
        assert.ok(await steady(), await show());
      });

      await t.step("(2) A's link down, daemon killed -9: B holds all four in time", async () => {
        // killed first: a daemon that saw its link go down would resign and remove its VIPs
        // (an `ip` it started outlives it), and there would be no leftovers for step (4)
        const t0 = performance.now();
        a.kill("SIGKILL");
        await a.status;
        await lab.linkDown("a");
        const ms = await waitUntil(
          "B to hold all four VIPs",
          async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS),
          MASTER_DOWN_99_MS + 2000,
          { since: t0, describe: show },
        );
        assert.ok(
          ms <= MASTER_DOWN_99_MS + 500,
          `B took ${ms.toFixed(0)} ms (limit ${MASTER_DOWN_99_MS + 500})`,
        );
        assert.match(
          b.stderr(),
          /\[ha-internal-1 vrid 1 eth0\] backup -> master \(masterDownIntervalElapsed\)/,
        );
        assert.equal(await lab.arpProbe("c", "10.101.0.101"), await lab.mac("b"));
        assert.ok(await lab.ping("c", "10.101.0.101"), "client reaches 10.101.0.101");
      });

      await t.step(
        "(4) A returns: it removes its leftovers and preempts ha-internal-1",
        async () => {
          await lab.linkUp("a");
          a = await startVrrp(lab, "a", exampleConfig("a"), tmp);
          procs.push(a);
          assert.match(a.stderr(), /removed leftover VIPs 10\.101\.0\.101\/22 10\.101\.0\.102\/22/);
          await waitUntil("A to take ha-internal-1 back", steady, 8000, { describe: show });
          assert.match(a.stderr(), /\[ha-internal-1 vrid 1 eth0\] backup -> master \(/);
          assert.match(b.stderr(), /\[ha-internal-1 vrid 1 eth0\] master -> backup \(/);
          assert.deepEqual(await dualHoldings(lab, ["a", "b"], 2000), []);
          assert.equal(await lab.arpProbe("c", "10.101.0.101"), await lab.mac("a"));
        },
      );

      await t.step(
        "(3) SIGTERM to A: B takes over within Skew_Time + 0.3 s, A exits 0 within 1 s",
        async () => {
          const t0 = performance.now();
          a.kill("SIGTERM");
          const exited = a.status.then((s) => ({ code: s.code, ms: performance.now() - t0 }));
          const ms = await waitUntil(
            "B to hold ha-internal-1's VIPs",
            async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS),
            3000,
            { since: t0, describe: show },
          );
          assert.ok(
            ms <= SKEW_99_MS + 300,
            `B took ${ms.toFixed(0)} ms (limit ${SKEW_99_MS + 300})`,
          );
          const exit = await exited;
          assert.equal(exit.code, 0, a.stderr());
          assert.ok(exit.ms < 1000, `A exited after ${exit.ms.toFixed(0)} ms`);
          assert.deepEqual((await placement(lab, ["a"])).a, [], "A removed its VIPs");
          assert.match(a.stderr(), /sent priority-0 advert/);
          assert.match(b.stderr(), /resigned \(priority 0\)/);
        },
      );

      const bStop = await b.stop(2000);
      assert.equal(bStop.code, 0);
      assert.deepEqual((await placement(lab, ["b"])).b, [], "B removed its VIPs on stop");
    } finally {
      for (const p of procs) p.kill("SIGKILL");
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);

testWith(
  "vrrp run: refuses bad starts before touching the host; SIGHUP applies only what changed",
  { root: true, commands: ["ip"] },
  async (t) => {
    const lab = await Lab.create({ routers: ["a"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-run-" });
    const procs: LabProcess[] = [];
    const text = await Deno.readTextFile(exampleConfig("a"));
    const run = async (conf: string) => {
      const p = lab.spawn("a", [...lab.denoCmd(), "run", "-f", conf, "--socket", `${tmp}/x.sock`]);
      procs.push(p);
      const st = await Promise.race([
        p.status,
        new Promise<null>((r) => setTimeout(() => r(null), 15_000)),
      ]);
      return { code: st?.code ?? null, stderr: p.stderr() };
    };
    try {
      await t.step("a missing interface: the daemon waits for it in FAULT", async () => {
        // issue 15: instances on a missing interface wait in FAULT until it appears
        // (docs/operate.md); the daemon starts like any other start otherwise
        await Deno.writeTextFile(
          `${tmp}/eth9.conf`,
          text.replaceAll("interface eth0", "interface eth9"),
        );
        const p = lab.spawn("a", [
          ...lab.denoCmd(),
          "run",
          "-f",
          `${tmp}/eth9.conf`,
          "--socket",
          `${tmp}/x.sock`,
        ]);
        procs.push(p);
        await p.waitFor(/started with 2 instance/, 15_000);
        assert.match(
          p.stderr() + p.stdout(),
          /interface eth9 does not exist: ha-internal-1, ha-internal-2 stay in FAULT/,
        );
        await p.waitFor(/initialize -> fault.*\n(.|\n)*initialize -> fault/, 5000);
        assert.equal((await p.stop(5000)).code, 0);
      });

      await t.step("a config with errors: exit 1 with file:line:col diagnostics", async () => {
        await Deno.writeTextFile(`${tmp}/bad.conf`, text.replace("priority 100", "priority 300"));
        const r = await run(`${tmp}/bad.conf`);
        assert.equal(r.code, 1);
        assert.match(r.stderr, new RegExp(`${tmp}/bad\\.conf:\\d+:\\d+: error: `));
        assert.match(r.stderr, /not starting/);
      });

      await t.step("SIGHUP: a changed instance restarts, the other does not flap", async () => {
        const conf = `${tmp}/live.conf`;
        await Deno.writeTextFile(conf, text);
        const p = await startVrrp(lab, "a", conf, tmp, ["--log-format", "json"]);
        procs.push(p);
        await waitUntil(
          "A to be master of both",
          async () => sameSet((await placement(lab, ["a"])).a, ALL_VIPS),
          8000,
        );
        const linesBefore = p.stderr().split("\n").length;
        await Deno.writeTextFile(conf, text.replace("priority 99", "priority 98"));
        p.kill("SIGHUP");
        await p.waitFor(/reloaded: 0 added, 1 changed, 0 removed, 1 unchanged/, 5000);
        const after = p.stderr().split("\n").slice(linesBefore - 1).filter((l) => l.startsWith("{"))
          .map((l) => JSON.parse(l) as { instance: string | null; msg: string });
        assert.ok(
          after.some((l) =>
            l.instance === "ha-internal-2 vrid 2 eth0" && /master -> initialize/.test(l.msg)
          ),
        );
        assert.ok(
          !after.some((l) => l.instance?.startsWith("ha-internal-1")),
          "ha-internal-1 untouched",
        );

        await Deno.writeTextFile(
          conf,
          text.replace("virtual_router_id 2", "virtual_router_id 256"),
        );
        p.kill("SIGHUP");
        await p.waitFor(/reload failed, keeping the running config/, 5000);
        await p.waitFor(new RegExp(`live\\.conf:\\d+:\\d+: error`), 2000);
        await waitUntil(
          "A to be master of both again",
          async () => sameSet((await placement(lab, ["a"])).a, ALL_VIPS),
          8000,
        );
        const st = await p.stop(2000);
        assert.equal(st.code, 0);
      });
    } finally {
      for (const p of procs) p.kill("SIGKILL");
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);
