/**
 * The `/metrics` page: keepalived-exporter's names, labels and encodings, vrrp's own families,
 * promtool's lint on a page rendered from a running (fake-host) daemon, and the listener.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { escapeLabel, renderMetrics } from "../../lib/metrics/exposition.ts";
import { startMetricsServer } from "../../lib/metrics/server.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { received } from "../_support/adverts.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { DropReason } from "../../lib/vrrp/types.ts";
import { VrrpVersion } from "../../lib/vrrp/constants.ts";
import { AddressWatchingHost, bootDaemon } from "../daemon/fakes.ts";

const CONF = `vrrp_script chk {
  script "/bin/true"
  interval 60
}
vrrp_instance web-1 {
  interface eth0
  virtual_router_id 7
  priority 150
  advert_int 1
  authentication {
    auth_type PASS
    auth_pass secret
  }
  virtual_ipaddress {
    10.0.0.1/24
    10.0.0.2/24
  }
  track_script {
    chk
  }
}
vrrp_instance db {
  interface eth0
  virtual_router_id 8
  priority 90
  advert_int 1
  virtual_ipaddress {
    10.0.0.9/24
  }
  virtual_ipaddress_excluded {
    10.0.0.50/24
  }
}
`;

async function running() {
  const host = new AddressWatchingHost();
  const boot = await bootDaemon(host, CONF);
  await host.advance(masterDownIntervalMs(VrrpVersion.v2, 100, 90) + 10);
  return { host, ...boot };
}

function page(snap: ReturnType<Awaited<ReturnType<typeof running>>["daemon"]["snapshot"]>) {
  assert.ok(snap.ok);
  return renderMetrics(snap, {
    version: "9.9.9",
    notify: [{ kind: "notify_master", runs: 2, failures: 1, timeouts: 1 }],
  });
}

Deno.test("renderMetrics() uses keepalived-exporter's names, labels and state encoding", async () => {
  const { daemon } = await running();
  const text = page(daemon.snapshot());
  const lines = text.split("\n");
  const has = (l: string) => assert.ok(lines.includes(l), `${l}\nnot in:\n${text}`);
  has("keepalived_up 1");
  // one state series per VIP, 2 = MASTER
  has('keepalived_vrrp_state{iname="web-1",intf="eth0",vrid="7",ip_address="10.0.0.1"} 2');
  has('keepalived_vrrp_state{iname="web-1",intf="eth0",vrid="7",ip_address="10.0.0.2"} 2');
  has('keepalived_vrrp_state{iname="db",intf="eth0",vrid="8",ip_address="10.0.0.9"} 2');
  // an excluded VIP has its own family, as with the exporter
  has('keepalived_vrrp_excluded_state{iname="db",intf="eth0",vrid="8",ip_address="10.0.0.50"} 2');
  assert.ok(
    !text.includes('keepalived_vrrp_state{iname="db",intf="eth0",vrid="8",ip_address="10.0.0.50"}'),
  );
  has('keepalived_become_master_total{iname="db",intf="eth0",vrid="8",state="MASTER"} 1');
  has('keepalived_release_master_total{iname="db",intf="eth0",vrid="8",state="MASTER"} 0');
  for (
    const name of [
      "keepalived_advertisements_received_total",
      "keepalived_advertisements_sent_total",
      "keepalived_packet_length_errors_total",
      "keepalived_advertisements_interval_errors_total",
      "keepalived_ip_ttl_errors_total",
      "keepalived_invalid_type_received_total",
      "keepalived_address_list_errors_total",
      "keepalived_authentication_invalid_total",
      "keepalived_authentication_mismatch_total",
      "keepalived_authentication_failure_total",
      "keepalived_priority_zero_received_total",
      "keepalived_priority_zero_sent_total",
      "keepalived_gratuitous_arp_delay_total",
    ]
  ) {
    has(`# TYPE ${name} counter`);
    assert.ok(lines.some((l) => l.startsWith(`${name}{iname="db",intf="eth0",vrid="8",state=`)));
  }
  has('keepalived_script_status{name="chk"} 1');
  assert.ok(lines.some((l) => /^keepalived_script_state\{name="chk"\} [01]$/.test(l)));
  has('vrrp_base_priority{iname="db",intf="eth0",vrid="8"} 90');
  has('vrrp_master_down_interval_seconds{iname="db",intf="eth0",vrid="8"} 3.6484375');
  has('vrrp_skew_time_seconds{iname="db",intf="eth0",vrid="8"} 0.6484375');
  has('vrrp_master_advert_interval_seconds{iname="db",intf="eth0",vrid="8"} 1');
  for (const r of Object.values(DropReason)) {
    has(`vrrp_packets_dropped_total{iname="db",intf="eth0",vrid="8",reason="${r}"} 0`);
  }
  has('vrrp_vip_present{iname="db",intf="eth0",vrid="8",ip_address="10.0.0.9",dev="eth0"} 1');
  has('vrrp_script_runs_total{kind="notify",name="notify_master"} 2');
  has('vrrp_script_timeouts_total{kind="notify",name="notify_master"} 1');
  has('vrrp_build_info{version="9.9.9"} 1');
  await daemon.shutdown();
});

Deno.test("a drop is counted under its reason and its keepalived family; the page follows status", async () => {
  const { host, daemon } = await running();
  host.deliver(
    "eth0",
    received({
      version: 2,
      vrid: 7,
      priority: 100,
      advertIntervalCs: 100,
      authType: 1,
      authData: authDataFromPassword("wrong"),
      addresses: ["10.0.0.1", "10.0.0.2"],
    }, { source: "10.101.1.186" }),
  );
  const snap = daemon.snapshot();
  const text = page(snap);
  const web = 'iname="web-1",intf="eth0",vrid="7"';
  assert.ok(text.includes(`vrrp_packets_dropped_total{${web},reason="authFailure"} 1\n`));
  assert.ok(text.includes(`keepalived_authentication_failure_total{${web},state="MASTER"} 1\n`));
  assert.ok(snap.ok);
  const st = snap.instances.find((i) => i.vrid === 7)!;
  assert.equal(st.drops.authFailure, 1);
  assert.ok(
    text.includes(
      `keepalived_advertisements_received_total{${web},state="MASTER"} ${
        st.counters!.advertsReceived
      }\n`,
    ),
  );
  await daemon.shutdown();
});

Deno.test("the v3/unicast wire on the page: learned interval, NAs, per-peer adverts, notPeer and wrongDestination", async () => {
  const host = new AddressWatchingHost();
  host.linkLocal.set("eth0", "fe80::a:1");
  const { daemon } = await bootDaemon(
    host,
    `global_defs {
  vrrp_version 3
}
vrrp_instance uni {
  interface eth0
  virtual_router_id 9
  priority 100
  advert_int 1
  check_unicast_src
  unicast_peer {
    10.101.1.186
  }
  virtual_ipaddress {
    10.0.0.20/24
  }
}
vrrp_instance six {
  interface eth0
  virtual_router_id 10
  priority 90
  advert_int 0.5
  virtual_ipaddress {
    fd00:101::20/64
  }
}
`,
  );
  const six = 'iname="six",intf="eth0",vrid="10"';
  const uni = 'iname="uni",intf="eth0",vrid="9"';
  // a v3 master at priority 200 advertising every 2 s: we follow it and learn its interval
  // (Master_Down_Interval 3 × 2 s + (256 - 90) × 2 s / 256)
  const master6 = (priority: number) =>
    received({
      version: 3,
      vrid: 10,
      priority,
      advertIntervalCs: 200,
      authType: 0,
      authData: new Uint8Array(0),
      addresses: ["fd00:101::20"],
    }, { source: "fe80::a:2" });
  host.deliver("eth0", master6(200));
  let text = page(daemon.snapshot());
  assert.ok(text.includes(`vrrp_master_advert_interval_seconds{${six}} 2\n`), text);
  assert.ok(text.includes(`vrrp_master_down_interval_seconds{${six}} 7.296875\n`), text);
  // it resigns: we take over and announce fd00:101::20 with neighbour advertisements
  host.deliver("eth0", master6(0));
  await host.advance(masterDownIntervalMs(VrrpVersion.v3, 100, 100) + 10);
  text = page(daemon.snapshot());
  assert.ok(text.includes(`keepalived_vrrp_state{${six},ip_address="fd00:101::20"} 2\n`), text);
  const nas = /vrrp_neighbour_advertisements_sent_total\{iname="six",[^}]*\} (\d+)/.exec(text);
  assert.ok(nas && Number(nas[1]) > 0, text);
  assert.ok(text.includes(`vrrp_gratuitous_arps_sent_total{${six}} 0\n`));
  assert.ok(text.includes(`vrrp_vip_present{${six},ip_address="fd00:101::20",dev="eth0"} 1\n`));
  // the unicast master: one advert counted per interval, and per peer
  const st = daemon.snapshot();
  assert.ok(st.ok);
  const u = st.instances.find((i) => i.name === "uni")!;
  assert.equal(u.state, "master");
  assert.ok(
    text.includes(`keepalived_advertisements_sent_total{${uni},state="MASTER"} ${u.advertsSent}\n`),
  );
  assert.ok(
    text.includes(
      `vrrp_unicast_peer_adverts_sent_total{${uni},peer="10.101.1.186"} ${u.advertsSent}\n`,
    ),
  );
  // a stranger's advert and a multicast one: dropped under unicast's own reasons
  const uniAdvert = {
    version: 3 as const,
    vrid: 9,
    priority: 50,
    advertIntervalCs: 100,
    authType: 0,
    authData: new Uint8Array(0),
    addresses: ["10.0.0.20"],
  };
  host.deliver("eth0", received(uniAdvert, { source: "10.101.1.9", destination: "10.101.1.185" }));
  host.deliver("eth0", received(uniAdvert, { source: "10.101.1.186" }));
  text = page(daemon.snapshot());
  assert.ok(text.includes(`vrrp_packets_dropped_total{${uni},reason="notPeer"} 1\n`), text);
  assert.ok(text.includes(`vrrp_packets_dropped_total{${uni},reason="wrongDestination"} 1\n`));
  await daemon.shutdown();
});

Deno.test("send errors have one source: status' sendErrors and vrrp_send_errors_total agree; give-ways and interface drops are on the page", async () => {
  const host = new AddressWatchingHost();
  // ip fails from the start: each master gives way 3 s after it wanted its VIPs
  host.failNext = 1_000_000;
  host.vipToolWorks = false;
  const { daemon } = await bootDaemon(host, CONF, undefined, { vipFailTimeoutMs: 3000 });
  const db = 'iname="db",intf="eth0",vrid="8"';
  const web = 'iname="web-1",intf="eth0",vrid="7"';
  await host.advance(masterDownIntervalMs(VrrpVersion.v2, 100, 90) + 10);
  // sends fail for a second: counted, too few in a row for a send fault
  host.sendFails.set("eth0", "sendto: Operation not permitted");
  await host.advance(1000);
  // a packet too short to name a VRID: counted on the interface
  host.deliver("eth0", {
    ok: false,
    family: "ipv4",
    reason: DropReason.truncated,
    detail: "1 byte",
    vrid: null,
    atMs: host.nowMs,
  });
  const snap = daemon.snapshot();
  assert.ok(snap.ok);
  const text = page(snap);
  const lines = text.split("\n");
  for (const i of snap.instances) {
    const labels = i.name === "db" ? db : web;
    const advert = i.counters!.advertSendErrors;
    const garp = i.counters!.garpSendErrors;
    assert.ok(advert >= 1, `${i.name}: ${advert} advert send errors`);
    assert.equal(i.sendErrors, advert + garp);
    assert.ok(lines.includes(`vrrp_send_errors_total{${labels},kind="advert"} ${advert}`), text);
    assert.ok(lines.includes(`vrrp_send_errors_total{${labels},kind="garp"} ${garp}`));
    assert.ok(lines.includes(`vrrp_vip_give_ways_total{${labels}} 0`));
  }
  assert.ok(
    lines.includes('vrrp_interface_packets_dropped_total{intf="eth0",reason="truncated"} 1'),
    text,
  );
  host.sendFails.delete("eth0");
  await host.advance(2500);
  const later = daemon.snapshot();
  assert.ok(later.ok);
  const after = page(later).split("\n");
  for (const i of later.instances) {
    assert.equal(i.state, "fault", i.name);
    assert.equal(i.vipGiveWays, 1, i.name);
    assert.equal(i.counters!.vipGiveWays, 1);
    assert.ok(after.includes(`vrrp_vip_give_ways_total{${i.name === "db" ? db : web}} 1`));
  }
  host.failNext = 0;
  host.vipToolWorks = true;
  const stopped = daemon.shutdown();
  await host.advance(5000); // the removal's retry pauses run on the fake clock
  await stopped;
});

Deno.test("escapeLabel() escapes backslash, quote and newline", () => {
  assert.equal(escapeLabel('a\\b"c\nd'), 'a\\\\b\\"c\\nd');
});

testWith(
  "promtool check metrics accepts the page",
  { commands: ["promtool"] },
  async () => {
    const { daemon } = await running();
    const text = page(daemon.snapshot());
    await daemon.shutdown();
    const child = new Deno.Command("promtool", {
      args: ["check", "metrics"],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = child.stdin.getWriter();
    await w.write(new TextEncoder().encode(text));
    await w.close();
    const out = await child.output();
    const said = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    assert.equal(out.code, 0, said);
    assert.equal(said.trim(), "");
  },
);

Deno.test("the listener answers GET /metrics only; everything else is 404", async () => {
  let scrapes = 0;
  const server = await startMetricsServer(
    { hostname: "127.0.0.1", port: 0 },
    () => `keepalived_up ${++scrapes}\n`,
    () => {},
  );
  try {
    const base = `http://${server.address}`;
    const ok = await fetch(`${base}/metrics`);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    assert.equal(await ok.text(), "keepalived_up 1\n");
    for (const [path, method] of [["/", "GET"], ["/metrics/", "GET"], ["/metrics", "POST"]]) {
      const r = await fetch(`${base}${path}`, { method });
      await r.body?.cancel();
      assert.equal(r.status, 404, `${method} ${path}`);
    }
    assert.equal(scrapes, 1);
  } finally {
    await server.close();
  }
});
