/**
 * `/metrics` on a real wire: the tutorial's two routers run vrrp, router a serves its metrics
 * on its namespace's loopback, and a real Prometheus (Debian's package) in the same namespace
 * scrapes it. The page passes `promtool check metrics`; a PromQL query through Prometheus's
 * HTTP API returns the instance's state; the counters move through a failover; an injected bad
 * advert raises exactly its own drop counter. Then VIP repair: `ip addr del` of a VIP on the
 * master is undone within 100 ms, timed from `ip -ts monitor address` in the namespace.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { inNetns } from "../../ffi/netns.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { ipv4Packet } from "../_support/adverts.ts";
import { DropReason } from "../../lib/vrrp/types.ts";
import { Lab, type LabProcess } from "./lab.ts";
import { shippedRunFlags } from "./shipped_flags.ts";
import {
  exampleConfig,
  placement,
  sameSet,
  startupSettled,
  startVrrp,
  VIPS,
  vrrpStatus,
  waitUntil,
} from "./peers.ts";

const METRICS = "127.0.0.1:9650";
const PROMETHEUS = "127.0.0.1:9090";

/** GET `url` from inside `node` (its own loopback): status and body. */
async function httpGet(
  lab: Lab,
  node: string,
  url: string,
): Promise<{ status: number; body: string }> {
  const code = `const r = await fetch(${JSON.stringify(url)}); ` +
    `console.log(JSON.stringify({ status: r.status, body: await r.text() }));`;
  const out = await lab.must(node, [Deno.execPath(), "eval", code], { timeoutMs: 20_000 });
  return JSON.parse(out);
}

/** The samples of a page: series text (name and labels) → value. */
function samples(page: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of page.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

/** The value of the one series of `name` whose labels include every `labels` pair. */
function value(s: Map<string, number>, name: string, labels: Record<string, string>): number {
  const hits = [...s].filter(([k]) =>
    (k === name || k.startsWith(`${name}{`)) &&
    Object.entries(labels).every(([l, v]) => k.includes(`${l}="${v}"`))
  );
  assert.equal(hits.length, 1, `one ${name} ${JSON.stringify(labels)}: ${hits.map((h) => h[0])}`);
  return hits[0][1];
}

async function scrape(lab: Lab): Promise<{ page: string; s: Map<string, number> }> {
  const r = await httpGet(lab, "a", `http://${METRICS}/metrics`);
  assert.equal(r.status, 200);
  return { page: r.body, s: samples(r.body) };
}

testWith(
  "metrics: a real Prometheus scrapes the daemon; counters move through a failover; a bad advert raises exactly its drop counter",
  { root: true, commands: ["ip", "nft", "prometheus", "promtool"] },
  async () => {
    const lab = await Lab.create({ routers: ["a", "b"] });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-metrics-" });
    let a: LabProcess | null = null;
    let b: LabProcess | null = null;
    let prom: LabProcess | null = null;
    try {
      // a runs with exactly the permissions build.ts bakes in for this listen address
      const socket = `${tmp}/a.sock`;
      const flags = shippedRunFlags([socket], METRICS);
      assert.ok(flags.some((f) => f.startsWith("--allow-net=") && f.endsWith(`,${METRICS}`)));
      const allowWrite = flags.map((f) =>
        f.startsWith("--allow-write=") ? `--allow-write=${tmp}` : f
      );
      a = lab.spawn("a", [
        Deno.execPath(),
        "run",
        ...allowWrite,
        `${new URL("../../main.ts", import.meta.url).pathname}`,
        "run",
        "-f",
        exampleConfig("a"),
        "--socket",
        socket,
        "--state-dir",
        `${tmp}/a-state`,
        "--metrics-listen",
        "9650",
      ]);
      await a.waitFor(/started with 2 instance/, 20_000);
      b = await startVrrp(lab, "b", exampleConfig("b"), tmp);
      const startedAt = performance.now();
      const show = async () => JSON.stringify(await placement(lab, ["a", "b"]));
      await startupSettled(
        startedAt,
        async () => {
          const p = await placement(lab, ["a", "b"]);
          return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
        },
        show,
      );
      assert.doesNotMatch(a.stdout() + a.stderr(), /PermissionDenied|NotCapable|Requires net/);

      // anything but GET /metrics is 404
      assert.equal((await httpGet(lab, "a", `http://${METRICS}/`)).status, 404);
      assert.equal((await httpGet(lab, "a", `http://${METRICS}/metrics/x`)).status, 404);

      // the live page passes promtool's lint
      const first = await scrape(lab);
      const pagePath = `${tmp}/page.txt`;
      await Deno.writeTextFile(pagePath, first.page);
      const lint = await lab.exec("a", ["sh", "-c", `promtool check metrics < ${pagePath}`]);
      assert.equal(lint.code, 0, `${lint.stdout}${lint.stderr}`);
      const i1 = { iname: "ha-internal-1" };
      const i2 = { iname: "ha-internal-2" };
      assert.equal(value(first.s, "keepalived_up", {}), 1);
      assert.equal(
        value(first.s, "keepalived_vrrp_state", { ...i1, ip_address: "10.101.0.101" }),
        2,
      );
      assert.equal(
        value(first.s, "keepalived_vrrp_state", { ...i2, ip_address: "10.101.0.107" }),
        1,
      );
      assert.equal(value(first.s, "keepalived_become_master_total", { ...i1, state: "MASTER" }), 1);
      assert.equal(value(first.s, "vrrp_vip_present", { ip_address: "10.101.0.102" }), 1);
      assert.equal(value(first.s, "vrrp_vip_present", { ip_address: "10.101.0.108" }), 0);

      // a real Prometheus in a's namespace, on its loopback, with its own storage and config
      const promConfig = `${tmp}/prometheus.yml`;
      await Deno.writeTextFile(
        promConfig,
        [
          "global:",
          "  scrape_interval: 1s",
          "scrape_configs:",
          "  - job_name: vrrp",
          "    static_configs:",
          `      - targets: ["${METRICS}"]`,
          "",
        ].join("\n"),
      );
      prom = lab.spawn("a", [
        "prometheus",
        `--config.file=${promConfig}`,
        `--storage.tsdb.path=${tmp}/prometheus-data`,
        `--web.listen-address=${PROMETHEUS}`,
      ]);
      const query = async (q: string) => {
        // refused until Prometheus listens: that is "not yet", not a failure
        const r = await httpGet(
          lab,
          "a",
          `http://${PROMETHEUS}/api/v1/query?query=${encodeURIComponent(q)}`,
        ).catch(() => null);
        if (r?.status !== 200) return [];
        return (JSON.parse(r.body).data?.result ?? []) as {
          metric: Record<string, string>;
          value: [number, string];
        }[];
      };
      let result: Awaited<ReturnType<typeof query>> = [];
      await waitUntil(
        "Prometheus to have scraped the daemon",
        async () => {
          result = await query(
            'keepalived_vrrp_state{iname="ha-internal-1",ip_address="10.101.0.101"}',
          );
          return result.length === 1;
        },
        30_000,
        { intervalMs: 500, describe: () => prom!.stderr().slice(-2000) },
      );
      assert.equal(result[0].value[1], "2", JSON.stringify(result));
      assert.equal(result[0].metric.intf, "eth0");
      assert.equal(result[0].metric.vrid, "1");
      assert.equal(result[0].metric.job, "vrrp");

      // failover: b leaves (priority 0 for ha-internal-2), a takes it; b returns and preempts
      const before = (await scrape(lab)).s;
      const st = (s: Map<string, number>, n: string) => value(s, n, i2);
      await b.stop(5000);
      await waitUntil(
        "a to take ha-internal-2",
        async () =>
          sameSet((await placement(lab, ["a"])).a, [
            ...VIPS["ha-internal-1"],
            ...VIPS["ha-internal-2"],
          ]),
        5000,
        { describe: show },
      );
      await new Promise((r) => setTimeout(r, 1500)); // a sends adverts as master
      const during = (await scrape(lab)).s;
      assert.equal(
        st(during, "keepalived_become_master_total"),
        st(before, "keepalived_become_master_total") + 1,
      );
      assert.equal(
        st(during, "keepalived_priority_zero_received_total"),
        st(before, "keepalived_priority_zero_received_total") + 1,
      );
      assert.ok(
        st(during, "keepalived_advertisements_sent_total") >
          st(before, "keepalived_advertisements_sent_total"),
      );
      b = await startVrrp(lab, "b", exampleConfig("b"), tmp);
      await waitUntil(
        "b to preempt ha-internal-2",
        async () => sameSet((await placement(lab, ["a"])).a, VIPS["ha-internal-1"]),
        10_000,
        { describe: show },
      );
      await new Promise((r) => setTimeout(r, 1500)); // a hears b's adverts as backup
      const after = (await scrape(lab)).s;
      assert.equal(
        st(after, "keepalived_release_master_total"),
        st(before, "keepalived_release_master_total") + 1,
      );
      assert.ok(
        st(after, "keepalived_advertisements_received_total") >
          st(during, "keepalived_advertisements_received_total"),
      );
      assert.equal(value(after, "keepalived_vrrp_state", { ...i2, ip_address: "10.101.0.107" }), 1);
      // status --json reads the same counters
      const status = await vrrpStatus(lab, "a", tmp);
      const s2 = status.instances.find((i) => i.name === "ha-internal-2")!;
      assert.equal(s2.counters?.becameMaster, st(after, "keepalived_become_master_total"));
      assert.equal(s2.counters?.releasedMaster, st(after, "keepalived_release_master_total"));

      // one advert for VRID 1 with the wrong password, from the client: authFailure, only that
      const dropFamilies =
        /^(vrrp_packets_dropped_total|vrrp_interface_packets_dropped_total|keepalived_.*(errors|invalid|mismatch|failure|invalid_type_received)_total)\{/;
      const drops = (s: Map<string, number>) =>
        new Map([...s].filter(([k]) => dropFamilies.test(k)));
      const quiet = drops((await scrape(lab)).s);
      const rogue = inNetns(lab.ns("c"), () => RawIpSocket.open("eth0"));
      try {
        rogue.send(ipv4Packet({
          version: 2,
          vrid: 1,
          priority: 100,
          advertIntervalCs: 100,
          authType: 1,
          authData: authDataFromPassword("wrongpw"),
          addresses: [...VIPS["ha-internal-1"]],
        }, { source: lab.ip("c") }));
      } finally {
        await rogue.close();
      }
      await new Promise((r) => setTimeout(r, 300));
      const hit = drops((await scrape(lab)).s);
      const moved = [...hit].filter(([k, v]) => v !== quiet.get(k)).map(([k, v]) =>
        `${k} ${quiet.get(k)} -> ${v}`
      );
      assert.deepEqual(moved.sort(), [
        `keepalived_authentication_failure_total{iname="ha-internal-1",intf="eth0",vrid="1",state="MASTER"} 0 -> 1`,
        `vrrp_packets_dropped_total{iname="ha-internal-1",intf="eth0",vrid="1",reason="${DropReason.authFailure}"} 0 -> 1`,
      ]);
    } finally {
      // by PID only
      await prom?.stop(2000).catch(() => {});
      await a?.stop(5000).catch(() => {});
      await b?.stop(5000).catch(() => {});
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);

/** `[2026-12-03T10:17:00.123456] ...` → ms since the epoch (microseconds kept as a fraction). */
function monitorTime(line: string): number | null {
  const m = line.match(/^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\]/);
  if (!m) return null;
  return Date.parse(`${m[1]}Z`) + Number(m[2]) / 1000;
}

testWith(
  "VIP repair: ip addr del of a VIP on the master is undone within 100 ms (ip monitor timestamps), counted",
  { root: true, commands: ["ip"] },
  async () => {
    const lab = await Lab.create({ routers: ["a"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-repair-" });
    let a: LabProcess | null = null;
    let monitor: LabProcess | null = null;
    try {
      a = await startVrrp(lab, "a", exampleConfig("a"), tmp, ["--metrics-listen", METRICS]);
      await waitUntil(
        "a to hold all four VIPs",
        async () => (await placement(lab, ["a"])).a.length === 4,
        10_000,
      );
      const vip = VIPS["ha-internal-1"][0];
      monitor = lab.spawn("a", ["ip", "-ts", "monitor", "address"]);
      await new Promise((r) => setTimeout(r, 300)); // the monitor subscribes
      await lab.must("a", ["ip", "addr", "del", `${vip}/22`, "dev", "eth0"]);
      await waitUntil(
        "the VIP back on eth0",
        async () => (await lab.addresses("a")).includes(vip),
        2000,
      );
      await new Promise((r) => setTimeout(r, 200));
      const lines = monitor.stdout().split("\n");
      const deleted = lines.find((l) => l.includes("Deleted") && l.includes(`inet ${vip}/`));
      const added = lines.find((l) => !l.includes("Deleted") && l.includes(`inet ${vip}/`));
      assert.ok(
        deleted && added,
        `ip monitor saw the removal and the repair:\n${monitor.stdout()}`,
      );
      const gapMs = monitorTime(added)! - monitorTime(deleted)!;
      console.log(`VIP repaired ${gapMs.toFixed(1)} ms after its removal (ip monitor)`);
      assert.ok(gapMs >= 0 && gapMs <= 100, `repaired after ${gapMs} ms:\n${monitor.stdout()}`);
      assert.match(
        a.stdout() + a.stderr(),
        new RegExp(`VIP ${vip.replaceAll(".", "\\.")} was removed from eth0 by something else`),
      );

      const page = await httpGet(lab, "a", `http://${METRICS}/metrics`);
      const s = samples(page.body);
      assert.equal(value(s, "vrrp_vip_repairs_total", { iname: "ha-internal-1" }), 1);
      assert.equal(value(s, "vrrp_vip_repairs_total", { iname: "ha-internal-2" }), 0);
      assert.equal(value(s, "vrrp_vip_present", { ip_address: vip }), 1);
      const st = await vrrpStatus(lab, "a", tmp);
      const i1 = st.instances.find((i) => i.name === "ha-internal-1")!;
      assert.equal(i1.counters?.vipRepairs, 1);
      assert.ok(i1.vips.every((v) => v.present));
    } finally {
      monitor?.kill("SIGTERM");
      await monitor?.status.catch(() => {});
      await a?.stop(5000).catch(() => {});
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);

testWith(
  "VIP repair: ip -6 addr del of an IPv6 VIP on a VRRPv3 master is undone within 100 ms, counted",
  { root: true, commands: ["ip"] },
  async () => {
    const lab = await Lab.create({ routers: ["a"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-repair6-" });
    const vip = "fd00:101::151";
    let a: LabProcess | null = null;
    let monitor: LabProcess | null = null;
    try {
      const file = `${tmp}/a-v6.conf`;
      await Deno.writeTextFile(
        file,
        `global_defs {
    vrrp_version 3
}
vrrp_instance v6 {
    interface eth0
    virtual_router_id 52
    priority 150
    advert_int 0.5
    virtual_ipaddress {
        ${vip}/64
    }
}
`,
      );
      a = await startVrrp(lab, "a", file, tmp, ["--metrics-listen", METRICS]);
      await waitUntil(
        "a to hold the IPv6 VIP",
        async () => (await lab.addresses6("a")).includes(vip),
        10_000,
      );
      monitor = lab.spawn("a", ["ip", "-ts", "-6", "monitor", "address"]);
      await new Promise((r) => setTimeout(r, 300)); // the monitor subscribes
      await lab.must("a", ["ip", "-6", "addr", "del", `${vip}/64`, "dev", "eth0"]);
      await waitUntil(
        "the IPv6 VIP back on eth0",
        async () => (await lab.addresses6("a")).includes(vip),
        2000,
      );
      await new Promise((r) => setTimeout(r, 200));
      const lines = monitor.stdout().split("\n");
      const deleted = lines.find((l) => l.includes("Deleted") && l.includes(`inet6 ${vip}/`));
      const added = lines.find((l) => !l.includes("Deleted") && l.includes(`inet6 ${vip}/`));
      assert.ok(
        deleted && added,
        `ip monitor saw the removal and the repair:\n${monitor.stdout()}`,
      );
      const gapMs = monitorTime(added)! - monitorTime(deleted)!;
      console.log(`IPv6 VIP repaired ${gapMs.toFixed(1)} ms after its removal (ip monitor)`);
      assert.ok(gapMs >= 0 && gapMs <= 100, `repaired after ${gapMs} ms:\n${monitor.stdout()}`);
      assert.match(
        a.stdout() + a.stderr(),
        /VIP fd00:101::151 was removed from eth0 by something else/,
      );

      const s = samples((await httpGet(lab, "a", `http://${METRICS}/metrics`)).body);
      assert.equal(value(s, "vrrp_vip_repairs_total", { iname: "v6" }), 1);
      assert.equal(value(s, "vrrp_vip_present", { ip_address: vip }), 1);
      assert.ok(value(s, "vrrp_neighbour_advertisements_sent_total", { iname: "v6" }) > 0);
      assert.equal(value(s, "vrrp_gratuitous_arps_sent_total", { iname: "v6" }), 0);
      const st = await vrrpStatus(lab, "a", tmp);
      const v6 = st.instances.find((i) => i.name === "v6")!;
      assert.equal(v6.counters?.vipRepairs, 1);
      assert.deepEqual(v6.vips.map((v) => [v.address, v.present]), [[vip, true]]);
    } finally {
      monitor?.kill("SIGTERM");
      await monitor?.status.catch(() => {});
      await a?.stop(5000).catch(() => {});
      await lab.destroy();
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);
