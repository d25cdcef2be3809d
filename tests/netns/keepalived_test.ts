/**
 * Interop with keepalived 2.2.7 on a real wire: the failover scenarios with keepalived as one
 * peer and vrrp as the other, both ways round, with the tutorial's configs verbatim. The wire is
 * captured with tshark from the switch; every advert vrrp sent must decode as valid VRRP (good
 * VRRP and IP checksums, TTL 255) and keepalived must log no packet errors.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab, type LabProcess } from "./lab.ts";
import { assertCleanLogs, type Keepalived, startKeepalived } from "./keepalived.ts";
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

/** One router's daemon, whichever implementation it is. */
interface Peer {
  kind: "vrrp" | "keepalived";
  log(): string;
  /** kill -9 (keepalived: its VRRP child too) */
  crash(): Promise<void>;
  /** SIGTERM; resolves with the exit code */
  stop(): Promise<number>;
  kill(): void;
}

async function startPeer(
  kind: "vrrp" | "keepalived",
  lab: Lab,
  node: "a" | "b",
  tmp: string,
): Promise<Peer> {
  if (kind === "keepalived") {
    const k: Keepalived = await startKeepalived(lab, node, exampleConfig(node), tmp);
    return {
      kind,
      log: k.log,
      crash: k.crash,
      stop: k.stop,
      kill: () => void k.crash(),
    };
  }
  const p: LabProcess = await startVrrp(lab, node, exampleConfig(node), tmp);
  return {
    kind,
    log: () => p.stdout() + p.stderr(),
    crash: async () => {
      p.kill("SIGKILL");
      await p.status;
    },
    stop: async () => (await p.stop(3000)).code,
    kill: () => p.kill("SIGKILL"),
  };
}

/** Starts tshark on the switch's bridge and waits until it captures. */
async function startCapture(lab: Lab, file: string): Promise<LabProcess> {
  const p = lab.spawn("sw", [
    "tshark",
    "-i",
    "br0",
    "-F",
    "pcap",
    "-w",
    file,
    "-f",
    "ip proto 112",
  ]);
  await p.waitFor(/Capturing on/, 15_000);
  return p;
}

/** Every VRRP packet of the capture: source, TTL, VRRP and IP checksum status (1 = good). */
async function capturedAdverts(
  lab: Lab,
  file: string,
): Promise<
  { src: string; ttl: number; vrid: number; prio: number; vrrpOk: boolean; ipOk: boolean }[]
> {
  const out = await lab.must("sw", [
    "tshark",
    "-r",
    file,
    "-o",
    "ip.check_checksum:TRUE",
    "-Y",
    "vrrp",
    "-T",
    "fields",
    "-E",
    "separator=,",
    "-e",
    "ip.src",
    "-e",
    "ip.ttl",
    "-e",
    "vrrp.virt_rtr_id",
    "-e",
    "vrrp.prio",
    "-e",
    "vrrp.checksum.status",
    "-e",
    "ip.checksum.status",
  ]);
  return out.trim().split("\n").filter((l) => l.includes(",")).map((l) => {
    const [src, ttl, vrid, prio, vrrpSt, ipSt] = l.split(",");
    return {
      src,
      ttl: Number(ttl),
      vrid: Number(vrid),
      prio: Number(prio),
      vrrpOk: vrrpSt === "1",
      ipOk: ipSt === "1",
    };
  });
}

function interop(aKind: "vrrp" | "keepalived", bKind: "vrrp" | "keepalived"): void {
  testWith(
    `interop: ${aKind} on A (10.101.1.185), ${bKind} on B (10.101.1.186)`,
    { root: true, commands: ["ip", "keepalived", "tshark", "arping", "nft", "ping"] },
    async (t) => {
      const lab = await Lab.create({ routers: ["a", "b"], client: true });
      const tmp = await Deno.makeTempDir({ prefix: "vrrp-interop-" });
      const peers: Peer[] = [];
      let capture: LabProcess | null = null;
      const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
      const steady = async () => {
        const p = await placement(lab, ["a", "b"]);
        return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
      };
      const bHoldsAll = async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS);
      try {
        capture = await startCapture(lab, `${tmp}/cap.pcap`);
        let a = await startPeer(aKind, lab, "a", tmp);
        peers.push(a);
        const b = await startPeer(bKind, lab, "b", tmp);
        peers.push(b);
        const bothStarted = performance.now();

        await t.step("(1) both start: the tutorial's placement", async () => {
          await waitUntil("the tutorial's placement", steady, 12_000, { describe: show });
          await startupSettled(bothStarted, steady, show);
        });

        await t.step("(5) steady state: no VIP on both routers", async () => {
          assert.deepEqual(await dualHoldings(lab, ["a", "b"], 2500), []);
        });

        await t.step("(2) A's link down, A killed -9: B holds all four in time", async () => {
          await lab.linkDown("a");
          const t0 = performance.now();
          await a.crash();
          const ms = await waitUntil("B to hold all four", bHoldsAll, MASTER_DOWN_99_MS + 2000, {
            since: t0,
            describe: show,
          });
          assert.ok(ms <= MASTER_DOWN_99_MS + 500, `B took ${ms.toFixed(0)} ms`);
          assert.equal(await lab.arpProbe("c", "10.101.0.101"), await lab.mac("b"));
          assert.ok(await lab.ping("c", "10.101.0.101"));
        });

        await t.step("(4) A returns and preempts ha-internal-1", async () => {
          await lab.linkUp("a");
          a = await startPeer(aKind, lab, "a", tmp);
          peers.push(a);
          await waitUntil("A to take ha-internal-1 back", steady, 8000, { describe: show });
          assert.deepEqual(await dualHoldings(lab, ["a", "b"], 1500), []);
        });

        await t.step("(3) SIGTERM to A: B takes over within Skew_Time + 0.3 s", async () => {
          const t0 = performance.now();
          const stopped = a.stop().then((code) => ({ code, ms: performance.now() - t0 }));
          const ms = await waitUntil("B to hold all four", bHoldsAll, 3000, {
            since: t0,
            describe: show,
          });
          assert.ok(ms <= SKEW_99_MS + 300, `B took ${ms.toFixed(0)} ms`);
          const exit = await stopped;
          assert.equal(exit.code, 0);
          if (a.kind === "vrrp") assert.ok(exit.ms < 1000, `A exited after ${exit.ms} ms`);
          assert.deepEqual((await placement(lab, ["a"])).a, []);
        });

        assert.equal(await b.stop(), 0);
        // let the capture write the last adverts (the priority-0 ones) before it stops
        await new Promise((r) => setTimeout(r, 1000));
        capture.kill("SIGINT");
        await capture.status;

        await t.step(
          "the wire: every vrrp advert is valid VRRP, TTL 255, good checksums",
          async () => {
            const vrrpIps = [
              aKind === "vrrp" ? "10.101.1.185" : null,
              bKind === "vrrp" ? "10.101.1.186" : null,
            ];
            const all = await capturedAdverts(lab, `${tmp}/cap.pcap`);
            const ours = all.filter((x) => vrrpIps.includes(x.src));
            const theirs = all.filter((x) => !vrrpIps.includes(x.src));
            assert.ok(ours.length >= 5, `only ${ours.length} vrrp adverts captured`);
            assert.ok(theirs.length >= 5, `only ${theirs.length} keepalived adverts captured`);
            console.log(`captured ${all.length} adverts (${ours.length} from vrrp)`);
            const bad = ours.filter((x) => x.ttl !== 255 || !x.vrrpOk || !x.ipOk);
            assert.deepEqual(bad, []);
            assert.ok(ours.some((x) => x.prio === 0), "vrrp's priority-0 advert is on the wire");
          },
        );

        await t.step(
          "keepalived logged no packet errors; vrrp dropped nothing",
          () => assertCleanLogs(peers),
        );
      } finally {
        capture?.kill("SIGKILL");
        for (const p of peers) p.kill();
        await lab.destroy();
        await Deno.remove(tmp, { recursive: true }).catch(() => {});
      }
    },
  );
}

interop("keepalived", "vrrp");
interop("vrrp", "keepalived");
