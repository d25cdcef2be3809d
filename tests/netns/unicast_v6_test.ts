/**
 * VRRPv3 unicast over IPv6 at 100 ms adverts with keepalived 2.2.7 as the peer, both ways
 * round, on the lab whose switch drops multicast VRRP (IPv6 ff00::/8 too): one instance, one
 * IPv6 VIP, `unicast_src_ip` a global address of each router and the other as `unicast_peer`.
 * Steady state, hard failover within Master_Down_Interval, preemption back, a clean stop, and
 * every advert on the wire unicast with hop limit 255.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";
import { Lab, type LabProcess } from "./lab.ts";
import { assertCleanLogs, type Keepalived, startKeepalived } from "./keepalived.ts";
import { startVrrp, waitUntil } from "./peers.ts";

type Kind = "vrrp" | "keepalived";
type Node = "a" | "b";

const V6 = { a: "fd00:101::185", b: "fd00:101::186" } as const;
const VIP = "fd00:101::151";
/** priority 99 at 10 cs: 3 × 100 ms + Skew_Time */
const MDI_MS = masterDownIntervalMs(3, 10, 99);
const SKEW_MS = skewTimeMs(3, 99, 10);

function config(node: Node): string {
  const other: Node = node === "a" ? "b" : "a";
  return `vrrp_instance v6 {
    state ${node === "a" ? "MASTER" : "BACKUP"}
    interface eth0
    virtual_router_id 52
    priority ${node === "a" ? 100 : 99}
    advert_int 0.1
    unicast_src_ip ${V6[node]}
    unicast_peer {
        ${V6[other]}
    }
    virtual_ipaddress {
        ${VIP}/64 dev eth0
    }
}
`;
}

/** Whether `node` holds the VIP. */
async function holds(lab: Lab, node: Node): Promise<boolean> {
  const out = await lab.must(node, ["ip", "-j", "-6", "addr", "show", "dev", "eth0"]);
  const links = JSON.parse(out) as { addr_info?: { local: string }[] }[];
  return links.some((l) => (l.addr_info ?? []).some((a) => a.local === VIP));
}

interface Peer {
  kind: Kind;
  log(): string;
  crash(): Promise<void>;
  stop(): Promise<number>;
  kill(): void;
}

async function startPeer(kind: Kind, lab: Lab, node: Node, file: string, tmp: string) {
  if (kind === "keepalived") {
    const k: Keepalived = await startKeepalived(lab, node, file, tmp);
    const peer: Peer = {
      kind,
      log: k.log,
      crash: k.crash,
      stop: k.stop,
      kill: () => void k.crash(),
    };
    return peer;
  }
  const p: LabProcess = await startVrrp(lab, node, file, tmp);
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

function scenario(aKind: Kind, bKind: Kind): void {
  testWith(
    `VRRPv3 unicast over IPv6 at 100 ms: ${aKind} on A (master), ${bKind} on B`,
    { root: true, commands: ["ip", "keepalived", "tshark", "nft"] },
    async (t) => {
      const lab = await Lab.create({ routers: ["a", "b"], client: false, dropMulticastVrrp: true });
      const tmp = await Deno.makeTempDir({ prefix: "vrrp-unicast6-" });
      const peers: Peer[] = [];
      let capture: LabProcess | null = null;
      const show = async () => `A ${await holds(lab, "a")}, B ${await holds(lab, "b")}`;
      const aMaster = async () => (await holds(lab, "a")) && !(await holds(lab, "b"));
      const bMaster = async () => (await holds(lab, "b")) && !(await holds(lab, "a"));
      try {
        for (const n of ["a", "b"] as const) {
          await lab.must(n, ["ip", "-6", "addr", "add", `${V6[n]}/64`, "dev", "eth0", "nodad"]);
          await Deno.writeTextFile(`${tmp}/${n}.conf`, config(n));
        }
        // link-local addresses finish duplicate address detection first
        await new Promise((r) => setTimeout(r, 2000));
        capture = lab.spawn("sw", [
          "tshark",
          "-i",
          "br0",
          "-F",
          "pcap",
          "-w",
          `${tmp}/cap.pcap`,
          "-f",
          "ip6 proto 112",
        ]);
        await capture.waitFor(/Capturing on/, 15_000);
        const b = await startPeer(bKind, lab, "b", `${tmp}/b.conf`, tmp);
        peers.push(b);
        let a = await startPeer(aKind, lab, "a", `${tmp}/a.conf`, tmp);
        peers.push(a);

        await t.step("A is master, B backup; stays so", async () => {
          await waitUntil("A to hold the VIP alone", aMaster, 8000, { describe: show });
          await new Promise((r) => setTimeout(r, 1000));
          for (let i = 0; i < 20; i++) {
            assert.ok(await aMaster(), `sample ${i}: ${await show()}`);
            await new Promise((r) => setTimeout(r, 50));
          }
        });

        await t.step(
          "A's link down, A killed -9: B takes over within Master_Down_Interval",
          async () => {
            await lab.linkDown("a");
            const t0 = performance.now();
            await a.crash();
            const ms = await waitUntil("B to hold the VIP", () => holds(lab, "b"), MDI_MS + 3000, {
              since: t0,
              intervalMs: 10,
              describe: show,
            });
            console.log(`IPv6 hard failover: ${ms.toFixed(0)} ms (Master_Down_Interval ${MDI_MS})`);
            assert.ok(ms <= MDI_MS + 400, `B took ${ms.toFixed(0)} ms`);
          },
        );

        await t.step("A returns and preempts", async () => {
          await lab.linkUp("a");
          a = await startPeer(aKind, lab, "a", `${tmp}/a.conf`, tmp);
          peers.push(a);
          await waitUntil("A to hold the VIP alone again", aMaster, 8000, { describe: show });
        });

        await t.step("SIGTERM to A: B takes over within Skew_Time + 0.3 s", async () => {
          const t0 = performance.now();
          const stopped = a.stop();
          const ms = await waitUntil("B master", bMaster, 3000, {
            since: t0,
            intervalMs: 10,
            describe: show,
          });
          console.log(`IPv6 clean stop: ${ms.toFixed(0)} ms (Skew_Time ${SKEW_MS.toFixed(0)})`);
          assert.ok(ms <= SKEW_MS + 300, `B took ${ms.toFixed(0)} ms`);
          assert.equal(await stopped, 0);
        });

        assert.equal(await b.stop(), 0);
        await new Promise((r) => setTimeout(r, 500));
        capture.kill("SIGINT");
        await capture.status;

        await t.step(
          "the wire: unicast VRRPv3 between the two addresses, hop limit 255",
          async () => {
            const out = await lab.must("sw", [
              "tshark",
              "-r",
              `${tmp}/cap.pcap`,
              "-Y",
              "vrrp",
              "-T",
              "fields",
              "-E",
              "separator=,",
              "-e",
              "ipv6.src",
              "-e",
              "ipv6.dst",
              "-e",
              "ipv6.hlim",
              "-e",
              "vrrp.version",
              "-e",
              "vrrp.checksum.status",
            ]);
            const rows = out.trim().split("\n").filter((l) => l.includes(",")).map((l) =>
              l.split(",")
            );
            const fromA = rows.filter((r) => r[0] === V6.a);
            const fromB = rows.filter((r) => r[0] === V6.b);
            console.log(`captured ${rows.length} IPv6 adverts (${fromA.length} from A)`);
            assert.ok(fromA.length >= 20 && fromB.length >= 5, `${fromA.length} / ${fromB.length}`);
            assert.deepEqual(fromA.filter((r) => r[1] !== V6.b), []);
            assert.deepEqual(fromB.filter((r) => r[1] !== V6.a), []);
            assert.deepEqual(rows.filter((r) => r[3] !== "3"), [], "all VRRPv3");
            // keepalived leaves the IPv6 unicast hop limit to the kernel (64) unless unicast_ttl
            const ours = aKind === "vrrp" ? fromA : fromB;
            assert.deepEqual(ours.filter((r) => r[2] !== "255"), [], "vrrp sends hop limit 255");
            assert.deepEqual(rows.filter((r) => r[4] !== "" && r[4] !== "1"), [], "checksums");
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

scenario("vrrp", "keepalived");
scenario("keepalived", "vrrp");
