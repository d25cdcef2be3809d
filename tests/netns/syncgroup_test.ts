/**
 * `vrrp_sync_group` role following on a real wire: two routers, each running the tutorial's two
 * instances in one group `G`. A (priority 100 on both) takes both; with A dead and its link
 * down, B (99 on both) takes both, one instance by its own timer and the other following it.
 * Then a split vote: B at 101 on ha-internal-2 but 99 on ha-internal-1 — ha-internal-2 goes to
 * B and the groups follow it, so B holds all four VIPs and A none, and it stays that way (A's
 * ha-internal-1 is held: it does not preempt B's group-forced, lower-priority master).
 *
 * Also: `vrrp status --json` reports VIPs as the host has them (one deleted by hand shows
 * `present: false`).
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import type { InstanceStatus, StatusReply } from "../../lib/control/types.ts";
import { Lab, type LabProcess } from "./lab.ts";
import { ALL_VIPS, placement, sameSet, startVrrp, vrrpStatus, waitUntil } from "./peers.ts";

/** The tutorial's two instances in one sync group, at the given priorities. */
function groupConfig(p1: number, p2: number): string {
  const inst = (n: 1 | 2, prio: number, vips: string[]) => `
vrrp_instance ha-internal-${n} {
    interface eth0
    virtual_router_id ${n}
    priority ${prio}
    advert_int 1
    authentication {
        auth_type PASS
        auth_pass ${n}-internal-ha
    }
    virtual_ipaddress {
${vips.map((v) => `        ${v}/22 dev eth0`).join("\n")}
    }
}
`;
  return `vrrp_sync_group G {
    group {
        ha-internal-1
        ha-internal-2
    }
}
${inst(1, p1, ["10.101.0.101", "10.101.0.102"])}${inst(2, p2, ["10.101.0.107", "10.101.0.108"])}`;
}

function inst(reply: StatusReply, name: string): InstanceStatus {
  const i = reply.instances.find((x) => x.name === name);
  if (!i) throw new Error(`no instance ${name} in status`);
  return i;
}

testWith(
  "sync group: members follow each other's role on a real wire",
  { root: true, commands: ["ip"] },
  async (t) => {
    const lab = await Lab.create({ routers: ["a", "b"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-syncgroup-" });
    const procs: LabProcess[] = [];
    const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
    const holds = (node: "a" | "b", vips: readonly string[]) => async () => {
      const p = await placement(lab, ["a", "b"]);
      return sameSet(p[node], vips) && p[node === "a" ? "b" : "a"].length === 0;
    };
    const start = async (node: "a" | "b", p1: number, p2: number) => {
      const file = `${tmp}/${node}-${p1}-${p2}.conf`;
      await Deno.writeTextFile(file, groupConfig(p1, p2));
      const p = await startVrrp(lab, node, file, tmp);
      procs.push(p);
      return p;
    };
    try {
      let a = await start("a", 100, 100);
      await waitUntil("A to hold all four VIPs", holds("a", ALL_VIPS), 8000, { describe: show });

      await t.step(
        "a VIP deleted by hand from the master is put back; status counts it",
        async () => {
          await lab.must("a", ["ip", "addr", "del", "10.101.0.108/22", "dev", "eth0"]);
          await waitUntil("A to put 10.101.0.108 back", holds("a", ALL_VIPS), 1000, {
            intervalMs: 10,
            describe: show,
          });
          const st = await vrrpStatus(lab, "a", tmp);
          const i2 = inst(st, "ha-internal-2");
          assert.equal(i2.state, "master");
          assert.deepEqual(i2.vips.map((v) => [v.address, v.present]), [
            ["10.101.0.107", true],
            ["10.101.0.108", true],
          ]);
          assert.equal(i2.counters?.vipRepairs, 1);
          assert.equal(inst(st, "ha-internal-1").counters?.vipRepairs, 0);
          assert.equal(i2.vipError, null);
          assert.match(a.stderr(), /VIP 10\.101\.0\.108 was removed from eth0 by something else/);
        },
      );

      await t.step("A dies with its link down: B takes both, the group following", async () => {
        const b = await start("b", 99, 99);
        await new Promise((r) => setTimeout(r, 1500));
        assert.ok(await holds("a", ALL_VIPS)(), `B joining moved nothing: ${await show()}`);
        await lab.linkDown("a");
        a.kill("SIGKILL");
        await a.status;
        await waitUntil(
          "B to hold all four VIPs",
          async () => {
            return sameSet((await placement(lab, ["b"])).b, ALL_VIPS);
          },
          8000,
          { describe: show },
        );
        const st = await vrrpStatus(lab, "b", tmp);
        const reasons = ["ha-internal-1", "ha-internal-2"].map((n) => {
          assert.equal(inst(st, n).state, "master", n);
          return inst(st, n).lastTransition?.reason ?? "";
        });
        assert.ok(
          reasons.some((r) => /^syncGroup G: ha-internal-[12] entered master$/.test(r)),
          `one member followed the other: ${JSON.stringify(reasons)}`,
        );
        // clean slate for the next step: B stops (removes its VIPs), A's link comes back
        assert.equal((await b.stop()).code, 0);
        await lab.linkUp("a");
      });

      await t.step(
        "split vote: B wins ha-internal-2 and the groups follow it, stably",
        async () => {
          a = await start("a", 100, 100); // removes the VIPs the killed run left behind
          await waitUntil("A to hold all four VIPs again", holds("a", ALL_VIPS), 8000, {
            describe: show,
          });
          await start("b", 99, 101);
          await waitUntil("B to hold all four VIPs, A none", holds("b", ALL_VIPS), 10_000, {
            describe: show,
          });
          const sa = await vrrpStatus(lab, "a", tmp);
          assert.equal(inst(sa, "ha-internal-2").lastTransition?.reason, "higherPriorityAdvert");
          assert.equal(
            inst(sa, "ha-internal-1").lastTransition?.reason,
            "syncGroup G: ha-internal-2 entered backup",
          );
          assert.equal(inst(sa, "ha-internal-1").masterIp, lab.ip("b"));
          const sb = await vrrpStatus(lab, "b", tmp);
          assert.equal(inst(sb, "ha-internal-1").state, "master");
          assert.equal(
            inst(sb, "ha-internal-1").lastTransition?.reason,
            "syncGroup G: ha-internal-2 entered master",
          );
          // longer than A's Master_Down_Interval: A's ha-internal-1 (100) does not preempt B's 99
          const end = performance.now() + 5000;
          while (performance.now() < end) {
            assert.ok(await holds("b", ALL_VIPS)(), `placement moved: ${await show()}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        },
      );
    } finally {
      await Promise.all(procs.map((p) => p.stop().catch(() => {})));
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);
