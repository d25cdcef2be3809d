/**
 * Split brain on a real wire: A is cut off the LAN (the switch drops its frames, every link stays
 * up), so B takes VRID 1 over while A stays master: two masters, and the client follows B. Then
 * the LAN heals at several points of A's advert cycle, and every time the client must be
 * answered by the surviving master A (its neighbour entry for 10.101.0.101 flips to A's MAC)
 * within one advert interval of the heal.
 *
 * Run with vrrp on both routers, and with keepalived as A (the survivor) and vrrp as B; and in
 * unicast mode (unicast_src_ip + unicast_peer) on a lab whose switch drops multicast VRRP, where
 * ARP after the heal can hold the stepped-down master's advert back: within two intervals there.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { type Keepalived, startKeepalived } from "./keepalived.ts";
import { Lab, type LabProcess } from "./lab.ts";
import {
  exampleConfig,
  placement,
  sameSet,
  startVrrp,
  unicastConfig,
  VIPS,
  waitUntil,
} from "./peers.ts";

/** advert_int of the tutorial's instances, ms. */
const ADVERT_INTERVAL_MS = 1000;
/** How late our client-side polling may notice the flip (one `ip neigh` run plus the period). */
const OBSERVE_SLACK_MS = 100;
/** Heal this long after an advert from A was seen, one trial each. */
const OFFSETS_MS = [0, 200, 400, 600, 800];
const VIP = "10.101.0.101";

/** The client's neighbour entry for `ip`: its MAC, or null when it has none. */
async function neighMac(lab: Lab, ip: string): Promise<string | null> {
  const r = await lab.exec("c", ["ip", "-j", "neigh", "show", ip, "dev", "eth0"]);
  if (r.code !== 0) return null;
  const entries = JSON.parse(r.stdout || "[]") as { lladdr?: string }[];
  return entries[0]?.lladdr?.toLowerCase() ?? null;
}

async function splitBrainTrials(
  lab: Lab,
  t: Deno.TestContext,
  unicast: boolean,
): Promise<string[]> {
  const [macA, macB] = [await lab.mac("a"), await lab.mac("b")];
  // A's own VRID 1 adverts, seen on A's side of the cut: the phase of its advert cycle
  const capture = lab.spawn("a", [
    "tshark",
    "-l",
    "-n",
    "-i",
    "eth0",
    "-f",
    `ip proto 112 and src host ${lab.ip("a")} and ip[21] = 1`,
    "-T",
    "fields",
    "-e",
    "frame.time_epoch",
  ]);
  const results: string[] = [];
  try {
    const advertsSeen = () => capture.stdout().split("\n").filter((l) => l.trim() !== "").length;
    await waitUntil("tshark to see A's adverts", () => advertsSeen() >= 2, 10_000, {
      describe: () => capture.stderr(),
    });
    assert.ok(await lab.ping("c", VIP), "the client reaches the VIP before the cut");
    assert.equal(await neighMac(lab, VIP), macA);
    const show = async () =>
      `${JSON.stringify(await placement(lab, ["a", "b"]))}, client: ${await neighMac(lab, VIP)}`;
    for (const offset of OFFSETS_MS) {
      await t.step(`heal ${offset} ms after an advert from A`, async () => {
        await lab.cut("a");
        try {
          await waitUntil(
            "both routers to be master for VRID 1 and the client to follow B",
            async () => {
              const p = await placement(lab, ["a", "b"]);
              return VIPS["ha-internal-1"].every((v) => p.a.includes(v) && p.b.includes(v)) &&
                (await neighMac(lab, VIP)) === macB;
            },
            8000,
            { describe: show },
          );
          assert.ok(await lab.ping("c", VIP), "B answers the client during the split");
          assert.equal(await neighMac(lab, VIP), macB);
          const n0 = advertsSeen();
          const advert = waitUntil("an advert from A", () => advertsSeen() > n0, 2000, {
            intervalMs: 2,
          });
          // unicast: while cut off, A's neighbour entry for B fails and its adverts to B never
          // reach the wire (ARP requests go out instead), so the phase is not always visible
          if (unicast) await advert.catch(() => results.push(`offset ${offset} ms: phase unseen`));
          else await advert;
          await new Promise((r) => setTimeout(r, offset));
        } finally {
          await lab.heal("a");
        }
        const healed = performance.now();
        const ms = await waitUntil(
          "the client to follow A again",
          async () => (await neighMac(lab, VIP)) === macA,
          3000,
          { since: healed, intervalMs: 20, describe: show },
        );
        results.push(`offset ${offset} ms: client on A ${ms.toFixed(0)} ms after the heal`);
        // unicast: the stepped-down master's notice may wait for ARP after the heal and is
        // repeated one interval later (fsm.ts stepDownNoticeAtMs): up to two intervals
        const bound = (unicast ? 2 : 1) * ADVERT_INTERVAL_MS + OBSERVE_SLACK_MS;
        assert.ok(
          ms <= bound,
          `client followed A ${ms.toFixed(0)} ms after the heal`,
        );
        assert.ok(await lab.ping("c", VIP), "A answers the client after the heal");
        assert.equal(await neighMac(lab, VIP), macA);
        await waitUntil(
          "B to step down (and A to keep VRID 1, B VRID 2)",
          async () => {
            const p = await placement(lab, ["a", "b"]);
            return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
          },
          3000,
          { describe: show },
        );
      });
    }
  } finally {
    capture.kill("SIGKILL");
  }
  return results;
}

async function runLab(
  t: Deno.TestContext,
  survivor: "vrrp" | "keepalived",
  unicast = false,
): Promise<void> {
  const lab = await Lab.create({ routers: ["a", "b"], client: true, dropMulticastVrrp: unicast });
  const tmp = await Deno.makeTempDir({ prefix: "vrrp-splitbrain-" });
  const procs: LabProcess[] = [];
  let keepalived: Keepalived | null = null;
  try {
    const conf = (n: "a" | "b") => unicast ? unicastConfig(lab, n, tmp) : exampleConfig(n);
    if (survivor === "keepalived") {
      keepalived = await startKeepalived(lab, "a", await conf("a"), tmp);
    } else procs.push(await startVrrp(lab, "a", await conf("a"), tmp));
    const b = await startVrrp(lab, "b", await conf("b"), tmp);
    procs.push(b);
    await waitUntil(
      "the tutorial's placement",
      async () => {
        const p = await placement(lab, ["a", "b"]);
        return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
      },
      12_000,
    );
    const results = await splitBrainTrials(lab, t, unicast);
    console.log(`${survivor} as A${unicast ? " (unicast)" : ""}:\n  ${results.join("\n  ")}`);
    assert.match(
      b.stderr(),
      /\[ha-internal-1 vrid 1 eth0\] master -> backup \(higherPriorityAdvert\)/,
    );
    if (survivor === "vrrp") {
      assert.match(procs[0].stderr(), /split brain: 10\.101\.1\.186 advertises as master/);
    }
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    if (keepalived) await keepalived.stop().catch(() => {});
    await lab.destroy();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

testWith(
  "split brain: vrrp on both routers, the client returns to the surviving master within 1 s",
  { root: true, commands: ["ip", "nft", "ping", "tshark"] },
  (t) => runLab(t, "vrrp"),
);

testWith(
  "split brain: keepalived survives, vrrp steps down, the client returns within 1 s",
  { root: true, commands: ["ip", "nft", "ping", "tshark", "keepalived"] },
  (t) => runLab(t, "keepalived"),
);

testWith(
  "split brain in unicast mode (multicast dropped): vrrp on both routers, the client returns within 2 s",
  { root: true, commands: ["ip", "nft", "ping", "tshark"] },
  (t) => runLab(t, "vrrp", true),
);
