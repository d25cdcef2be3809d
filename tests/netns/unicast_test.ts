/**
 * Unicast peers on a cloud-like wire: the lab's switch drops every multicast VRRP frame
 * (nftables, bridge family, in the switch namespace), so only unicast adverts get through. The
 * tutorial's two instances in unicast form (`unicast_src_ip` + `unicast_peer`), vrrp↔vrrp and
 * vrrp↔keepalived 2.2.7 both ways round: crossed masters, no VIP on two routers, hard failover
 * within Master_Down_Interval, preemption back, a clean stop; every advert on the wire unicast.
 * The negative test runs the multicast form of the same configs in the same lab: two masters,
 * which proves the lab really drops multicast. And check_unicast_src: an advert injected from a
 * non-peer changes nothing and is counted.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { inNetns } from "../../ffi/netns.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { Family, parseAddress } from "../../lib/vrrp/address.ts";
import { ipv4Packet, tutorialAdvert } from "../_support/adverts.ts";
import { Lab, type LabProcess } from "./lab.ts";
import { assertCleanLogs, type Keepalived, packetErrors, startKeepalived } from "./keepalived.ts";
import {
  ALL_VIPS,
  dualHoldings,
  exampleConfig,
  extendedConfig,
  MASTER_DOWN_99_MS,
  placement,
  sameSet,
  SKEW_99_MS,
  startupSettled,
  startVrrp,
  unicastConfig,
  VIPS,
  vrrpStatus,
  waitUntil,
} from "./peers.ts";

type Kind = "vrrp" | "keepalived";
type Node = "a" | "b";

const REQUIRES = { root: true, commands: ["ip", "keepalived", "tshark", "arping", "nft", "ping"] };

/** One router's daemon, whichever implementation it is. */
interface Peer {
  kind: Kind;
  log(): string;
  crash(): Promise<void>;
  stop(): Promise<number>;
  kill(): void;
}

async function startPeer(kind: Kind, lab: Lab, node: Node, config: string, tmp: string) {
  if (kind === "keepalived") {
    const k: Keepalived = await startKeepalived(lab, node, config, tmp);
    return { kind, log: k.log, crash: k.crash, stop: k.stop, kill: () => void k.crash() };
  }
  const p: LabProcess = await startVrrp(lab, node, config, tmp);
  const peer: Peer = {
    kind,
    log: () => p.stdout() + p.stderr(),
    crash: async () => {
      p.kill("SIGKILL");
      await p.status;
    },
    stop: async () => (await p.stop(3000)).code,
    kill: () => p.kill("SIGKILL"),
  };
  return peer;
}

/** tshark on the switch's bridge, VRRP only. */
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

/** Every VRRP packet of the capture: source, destination, TTL, priority, checksums good. */
async function capturedAdverts(lab: Lab, file: string) {
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
    "ip.dst",
    "-e",
    "ip.ttl",
    "-e",
    "vrrp.prio",
    "-e",
    "vrrp.checksum.status",
  ]);
  return out.trim().split("\n").filter((l) => l.includes(",")).map((l) => {
    const [src, dst, ttl, prio, sum] = l.split(",");
    return { src, dst, ttl: Number(ttl), prio: Number(prio), ok: sum === "1" };
  });
}

/** The nft counter of the switch's multicast-VRRP drop rule (IPv4). */
async function multicastDropped(lab: Lab): Promise<number> {
  const out = await lab.must("sw", ["nft", "list", "chain", "bridge", "lab", "forward"]);
  const m = out.match(/ip daddr 224\.0\.0\.0\/4 counter packets (\d+)/);
  return m ? Number(m[1]) : 0;
}

function scenario(aKind: Kind, bKind: Kind): void {
  testWith(
    `unicast, multicast dropped by the switch: ${aKind} on A, ${bKind} on B`,
    REQUIRES,
    async (t) => {
      const lab = await Lab.create({ routers: ["a", "b"], client: true, dropMulticastVrrp: true });
      const tmp = await Deno.makeTempDir({ prefix: "vrrp-unicast-" });
      const peers: Peer[] = [];
      let capture: LabProcess | null = null;
      const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
      const steady = async () => {
        const p = await placement(lab, ["a", "b"]);
        return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
      };
      const bHoldsAll = async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS);
      try {
        const confA = await unicastConfig(lab, "a", tmp);
        const confB = await unicastConfig(lab, "b", tmp);
        capture = await startCapture(lab, `${tmp}/cap.pcap`);
        let a = await startPeer(aKind, lab, "a", confA, tmp);
        peers.push(a);
        const b = await startPeer(bKind, lab, "b", confB, tmp);
        peers.push(b);
        const bothStarted = performance.now();

        await t.step("both start: crossed masters, as in the tutorial", async () => {
          await waitUntil("the tutorial's placement", steady, 12_000, { describe: show });
          await startupSettled(bothStarted, steady, show);
        });

        await t.step("steady state: no VIP on both routers", async () => {
          assert.deepEqual(await dualHoldings(lab, ["a", "b"], 2500), []);
        });

        if (aKind === "vrrp") {
          await t.step("status on A: the peer is heard, with its priority", async () => {
            const st = await vrrpStatus(lab, "a", tmp);
            for (const inst of st.instances) {
              const adv = inst.adverts;
              assert.ok(adv?.mode === "unicast", JSON.stringify(adv));
              assert.equal(adv.source, lab.ip("a"));
              assert.equal(adv.peers.length, 1);
              assert.equal(adv.peers[0].address, lab.ip("b"));
              if (inst.name !== "ha-internal-2") continue; // a backup (B here) is silent
              // B masters ha-internal-2 and advertises every second
              assert.ok(adv.peers[0].lastHeardAt !== null, "B heard");
              const age = Date.now() - Date.parse(adv.peers[0].lastHeardAt!);
              assert.ok(age < 2500, `last heard ${age} ms ago`);
              assert.equal(adv.peers[0].priority, 100);
            }
          });
        }

        await t.step("vrrp sniff on A's eth0 shows the unicast adverts, no warnings", async () => {
          const r = await lab.exec("a", [
            ...lab.denoCmd(),
            "sniff",
            "eth0",
            "--json",
            "--duration",
            "3",
          ], {
            timeoutMs: 20_000,
          });
          assert.equal(r.code, 0, r.stderr);
          const objects = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
          const snap = objects.pop();
          const adverts = objects.filter((o) => o.kind === "vrrp");
          assert.ok(adverts.length >= 4, `adverts: ${adverts.length}`);
          for (const o of adverts) {
            assert.equal(o.valid, true, JSON.stringify(o));
            assert.ok(
              o.destination === lab.ip("a") || o.destination === lab.ip("b"),
              o.destination,
            );
          }
          for (const v of snap.vrids) assert.deepEqual(v.warnings, [], JSON.stringify(v));
        });

        await t.step("A's link down, A killed -9: B holds all four in time", async () => {
          await lab.linkDown("a");
          const t0 = performance.now();
          await a.crash();
          const ms = await waitUntil("B to hold all four", bHoldsAll, MASTER_DOWN_99_MS + 2000, {
            since: t0,
            describe: show,
          });
          console.log(
            `hard failover: ${ms.toFixed(0)} ms (Master_Down_Interval ${MASTER_DOWN_99_MS})`,
          );
          assert.ok(ms <= MASTER_DOWN_99_MS + 500, `B took ${ms.toFixed(0)} ms`);
          assert.equal(await lab.arpProbe("c", "10.101.0.101"), await lab.mac("b"));
          assert.ok(await lab.ping("c", "10.101.0.101"));
        });

        await t.step("A returns and preempts ha-internal-1", async () => {
          await lab.linkUp("a");
          a = await startPeer(aKind, lab, "a", confA, tmp);
          peers.push(a);
          await waitUntil("A to take ha-internal-1 back", steady, 8000, { describe: show });
          assert.deepEqual(await dualHoldings(lab, ["a", "b"], 1500), []);
        });

        await t.step("SIGTERM to A: B takes over within Skew_Time + 0.3 s", async () => {
          const t0 = performance.now();
          const stopped = a.stop().then((code) => ({ code, ms: performance.now() - t0 }));
          const ms = await waitUntil("B to hold all four", bHoldsAll, 3000, {
            since: t0,
            describe: show,
          });
          console.log(`clean stop: B master after ${ms.toFixed(0)} ms (Skew_Time ${SKEW_99_MS})`);
          assert.ok(ms <= SKEW_99_MS + 300, `B took ${ms.toFixed(0)} ms`);
          const exit = await stopped;
          assert.equal(exit.code, 0);
          assert.deepEqual((await placement(lab, ["a"])).a, []);
        });

        assert.equal(await b.stop(), 0);
        await new Promise((r) => setTimeout(r, 1000));
        capture.kill("SIGINT");
        await capture.status;

        await t.step(
          "the wire: every advert is unicast to the peer, TTL 255, good checksum",
          async () => {
            const all = await capturedAdverts(lab, `${tmp}/cap.pcap`);
            const fromA = all.filter((x) => x.src === lab.ip("a"));
            const fromB = all.filter((x) => x.src === lab.ip("b"));
            assert.ok(fromA.length >= 5 && fromB.length >= 5, `${fromA.length} / ${fromB.length}`);
            console.log(`captured ${all.length} adverts`);
            assert.deepEqual(fromA.filter((x) => x.dst !== lab.ip("b")), []);
            assert.deepEqual(fromB.filter((x) => x.dst !== lab.ip("a")), []);
            assert.deepEqual(all.filter((x) => x.ttl !== 255 || !x.ok), []);
            assert.ok(all.some((x) => x.prio === 0), "the priority-0 adverts went to the peer");
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

scenario("vrrp", "vrrp");
scenario("keepalived", "vrrp");
scenario("vrrp", "keepalived");

testWith(
  "negative: the multicast form of the same configs in the same lab gives two masters",
  { root: true, commands: ["ip", "nft"] },
  async () => {
    const lab = await Lab.create({ routers: ["a", "b"], client: false, dropMulticastVrrp: true });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-unicast-neg-" });
    const procs: LabProcess[] = [];
    try {
      procs.push(await startVrrp(lab, "a", exampleConfig("a"), tmp));
      procs.push(await startVrrp(lab, "b", exampleConfig("b"), tmp));
      const both = async () => {
        const p = await placement(lab, ["a", "b"]);
        return sameSet(p.a, ALL_VIPS) && sameSet(p.b, ALL_VIPS);
      };
      await waitUntil("both routers to hold all four VIPs", both, MASTER_DOWN_99_MS + 5000, {
        describe: async () => JSON.stringify(await placement(lab, ["a", "b"])),
      });
      // and it stays that way: nobody hears anybody
      await new Promise((r) => setTimeout(r, 2000));
      assert.ok(await both());
      const dropped = await multicastDropped(lab);
      console.log(`the switch dropped ${dropped} multicast adverts`);
      assert.ok(dropped >= 4, `switch drop counter ${dropped}`);
    } finally {
      await Promise.all(procs.map((p) => p.stop(3000).catch(() => null)));
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);

testWith(
  "check_unicast_src: an advert injected from a non-peer address changes nothing and is counted",
  { root: true, commands: ["ip", "nft"] },
  async () => {
    const lab = await Lab.create({ routers: ["a", "b"], client: true, dropMulticastVrrp: true });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-unicast-src-" });
    const procs: LabProcess[] = [];
    const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
    const steady = async () => {
      const p = await placement(lab, ["a", "b"]);
      return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
    };
    try {
      procs.push(
        await startVrrp(lab, "a", await unicastConfig(lab, "a", tmp, "    check_unicast_src"), tmp),
      );
      procs.push(
        await startVrrp(lab, "b", await unicastConfig(lab, "b", tmp, "    check_unicast_src"), tmp),
      );
      const started = performance.now();
      await waitUntil("the tutorial's placement", steady, 12_000, { describe: show });
      await startupSettled(started, steady, show);

      // the client claims VRID 1 at priority 255 (an owner), sent straight to A
      const packet = ipv4Packet(tutorialAdvert({ priority: 255 }), {
        source: lab.ip("c"),
        destination: lab.ip("a"),
      });
      const dst = parseAddress(lab.ip("a"))!;
      assert.equal(dst.family, Family.ipv4);
      const rogue = inNetns(lab.ns("c"), () => RawIpSocket.open("eth0"));
      try {
        for (let i = 0; i < 5; i++) {
          rogue.send(packet, dst.bytes);
          await new Promise((r) => setTimeout(r, 300));
        }
      } finally {
        await rogue.close();
      }
      assert.ok(await steady(), `placement after the injection: ${await show()}`);
      assert.deepEqual(await dualHoldings(lab, ["a", "b"], 1000), []);
      const st = await vrrpStatus(lab, "a", tmp);
      const i1 = st.instances.find((i) => i.name === "ha-internal-1")!;
      assert.equal(i1.state, "master");
      assert.equal(i1.drops.notPeer, 5, JSON.stringify(i1.drops));
    } finally {
      await Promise.all(procs.map((p) => p.stop(3000).catch(() => null)));
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);

testWith(
  "mcast_dst_ip 224.0.0.19: vrrp and keepalived 2.2.7 join the group and elect on it",
  { root: true, commands: ["ip", "keepalived", "tshark", "nft"] },
  async () => {
    const lab = await Lab.create({ routers: ["a", "b"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-mcastdst-" });
    const peers: Peer[] = [];
    const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
    const steady = async () => {
      const p = await placement(lab, ["a", "b"]);
      return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
    };
    let capture: LabProcess | null = null;
    try {
      const files: Record<Node, string> = { a: "", b: "" };
      for (const n of ["a", "b"] as const) {
        const line = "    mcast_dst_ip 224.0.0.19";
        const text = await extendedConfig(n, {
          instances: { "ha-internal-1": line, "ha-internal-2": line },
        });
        files[n] = `${tmp}/${n}-group.conf`;
        await Deno.writeTextFile(files[n], text);
      }
      capture = await startCapture(lab, `${tmp}/cap.pcap`);
      peers.push(await startPeer("vrrp", lab, "a", files.a, tmp));
      peers.push(await startPeer("keepalived", lab, "b", files.b, tmp));
      const started = performance.now();
      await waitUntil("the tutorial's placement", steady, 12_000, { describe: show });
      await startupSettled(started, steady, show);
      assert.deepEqual(await dualHoldings(lab, ["a", "b"], 1500), []);
      capture.kill("SIGINT");
      await capture.status;
      const all = await capturedAdverts(lab, `${tmp}/cap.pcap`);
      assert.ok(all.filter((x) => x.src === lab.ip("a")).length >= 2, "vrrp's adverts");
      assert.ok(all.filter((x) => x.src === lab.ip("b")).length >= 2, "keepalived's adverts");
      assert.deepEqual(all.filter((x) => x.dst !== "224.0.0.19"), []);
      assert.deepEqual(packetErrors(peers[1].log()), []);
      assert.doesNotMatch(peers[0].log(), /dropped packet/);
    } finally {
      capture?.kill("SIGKILL");
      for (const p of peers) p.kill();
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);
