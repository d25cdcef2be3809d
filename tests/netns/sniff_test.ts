/**
 * `vrrp sniff` on a real wire: keepalived 2.2.7 on routers a and b with the tutorial's configs,
 * the sniffer on the client's eth0 (a host that runs no VRRP itself), and then a misconfigured
 * "second master" injected from router a's namespace with a raw IP socket.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { inNetns } from "../../ffi/netns.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { ipv4Packet as encodeIpv4Packet } from "../_support/adverts.ts";
import type { SniffSnapshot } from "../../lib/sniff/view.ts";
import { Lab } from "./lab.ts";
import { type Keepalived, startKeepalived } from "./keepalived.ts";
import { exampleConfig } from "./peers.ts";

const A = "10.101.1.185";
const B = "10.101.1.186";
/** The injected router: in the lab's subnet, owned by no node. */
const ROGUE = "10.101.1.187";

/** Time for keepalived's initial elections to end (master down interval ≈ 3.6 s). */
const SETTLE_MS = 4000;

interface SniffOutput {
  adverts: Record<string, unknown>[];
  snapshot: SniffSnapshot & { kind: "snapshot" };
}

/** Splits `vrrp sniff --json` output into the advert objects and the final snapshot. */
function parseSniff(stdout: string): SniffOutput {
  const objects = stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
  const last = objects.pop();
  assert.equal(last?.kind, "snapshot", `last line is the snapshot:\n${stdout}`);
  for (const o of objects) assert.equal(o.kind, "vrrp");
  return { adverts: objects, snapshot: last };
}

function vrid(s: SniffSnapshot, id: number) {
  const v = s.vrids.find((x) => x.vrid === id);
  assert.ok(v, `VRID ${id} seen: ${JSON.stringify(s)}`);
  return v;
}

async function withKeepalivedLab(fn: (lab: Lab) => Promise<void>): Promise<void> {
  const lab = await Lab.create({ routers: ["a", "b"] });
  const tmp = await Deno.makeTempDir({ prefix: "vrrp-sniff-" });
  const daemons: Keepalived[] = [];
  try {
    daemons.push(await startKeepalived(lab, "a", exampleConfig("a"), tmp));
    daemons.push(await startKeepalived(lab, "b", exampleConfig("b"), tmp));
    await new Promise((r) => setTimeout(r, SETTLE_MS));
    await fn(lab);
  } finally {
    // by PID only: the VRRP child, then the parent
    await Promise.all(daemons.map((d) => d.crash().catch(() => {})));
    await lab.destroy();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
  }
}

testWith(
  "vrrp sniff --json shows keepalived's two masters, priorities and intervals, no warnings",
  { root: true, commands: ["ip", "keepalived", "nft"] },
  async () => {
    await withKeepalivedLab(async (lab) => {
      const r = await lab.exec("c", [
        ...lab.denoCmd(),
        "sniff",
        "eth0",
        "--json",
        "--duration",
        "3",
      ], { timeoutMs: 20_000 });
      assert.equal(r.code, 0, r.stderr);
      const { adverts, snapshot } = parseSniff(r.stdout);

      // 3 s at one advert per second per VRID
      assert.ok(adverts.length >= 4, `adverts: ${adverts.length}`);
      for (const a of adverts) {
        assert.equal(a.valid, true, JSON.stringify(a));
        assert.equal(a.ttl, 255);
      }
      assert.deepEqual(snapshot.vrids.map((v) => v.vrid), [1, 2]);
      const v1 = vrid(snapshot, 1);
      assert.equal(v1.master, A);
      assert.deepEqual(v1.routers.map((x) => [x.source, x.priority, x.advertIntervalCs]), [
        [A, 100, 100],
      ]);
      assert.equal(v1.routers[0].auth, 'pass "1-intern"');
      assert.deepEqual(v1.routers[0].addresses, ["10.101.0.101", "10.101.0.102"]);
      const v2 = vrid(snapshot, 2);
      assert.equal(v2.master, B);
      assert.deepEqual(v2.routers.map((x) => [x.source, x.priority, x.advertIntervalCs]), [
        [B, 100, 100],
      ]);
      assert.deepEqual(v1.warnings, []);
      assert.deepEqual(v2.warnings, []);
      assert.deepEqual(snapshot.warnings, []);
      assert.deepEqual(snapshot.dropped, {});
    });
  },
);

testWith(
  "vrrp sniff warns of a second master with wrong TTL, password and interval; SIGTERM ends it",
  { root: true, commands: ["ip", "keepalived", "nft"] },
  async () => {
    await withKeepalivedLab(async (lab) => {
      const sniff = lab.spawn("c", [...lab.denoCmd(), "sniff", "eth0", "--json"]);
      const rogue = inNetns(lab.ns("a"), () => RawIpSocket.open("eth0"));
      try {
        await sniff.waitFor(/"kind":"vrrp"/, 10_000);
        // a VRID 1 router that believes it is master: lower priority, its own password and
        // interval, and a TTL that every real router drops (so keepalived's election holds)
        const packet = encodeIpv4Packet({
          vrid: 1,
          priority: 50,
          version: 2,
          advertIntervalCs: 200,
          authType: 1,
          authData: authDataFromPassword("wrongpw"),
          addresses: ["10.101.0.101", "10.101.0.102"],
        }, { source: ROGUE, ttl: 64 });
        // one advert a second, in step with the real master's cadence
        for (let i = 0; i < 4; i++) {
          rogue.send(packet);
          await new Promise((r) => setTimeout(r, 1000));
        }
      } finally {
        await rogue.close();
      }
      const status = await sniff.stop(3000);
      assert.equal(status.code, 0, sniff.stderr());
      const { adverts, snapshot } = parseSniff(sniff.stdout());

      const injected = adverts.filter((a) => a.source === ROGUE);
      assert.equal(injected.length, 4);
      for (const a of injected) {
        assert.equal(a.valid, false);
        assert.equal(a.reason, "badTtl");
        assert.equal(a.ttl, 64);
        assert.equal(a.vrid, 1);
      }

      const v1 = vrid(snapshot, 1);
      assert.deepEqual(v1.routers.map((x) => x.source), [A, ROGUE]);
      const rogueView = v1.routers.find((x) => x.source === ROGUE)!;
      assert.equal(rogueView.ttl, 64);
      assert.equal(rogueView.priority, 50);
      const has = (re: RegExp) =>
        assert.ok(v1.warnings.some((w) => re.test(w)), `${re} in ${JSON.stringify(v1.warnings)}`);
      has(/^two masters: 10\.101\.1\.185 and 10\.101\.1\.187/);
      has(/^10\.101\.1\.187 sends IP TTL 64 \(must be 255/);
      has(/^auth mismatch: .*"1-intern".*"wrongpw"/);
      has(/^advert interval mismatch: 10\.101\.1\.185 1s, 10\.101\.1\.187 2s/);
      assert.equal(v1.master, null);

      // VRID 2 is untouched
      const v2 = vrid(snapshot, 2);
      assert.equal(v2.master, B);
      assert.deepEqual(v2.warnings, []);
    });
  },
);
