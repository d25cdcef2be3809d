/**
 * The unicast keywords in both formats, with keepalived 2.2.7's verdicts (run with
 * `keepalived -t` on the same lines): a prefix on unicast_src_ip, a peer listed twice and a peer
 * that is our own address are accepted silently by keepalived, so they are warnings here, never
 * errors; a peer of the other family is refused.
 */
import assert from "node:assert/strict";
import { loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { toKeepalived, toToml } from "../../config/convert.ts";
import type { LoadResult } from "../../config/model.ts";
import { parseUnicastPeer } from "../../config/entries.ts";
import { unicastParams } from "../../lib/daemon/params.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

function conf(lines: string, global = ""): string {
  return `${global ? `global_defs {\n${global}\n}\n` : ""}vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  virtual_ipaddress {
    10.0.0.100/24
  }
${lines}
}
`;
}

function parse(text: string, format: "keepalived" | "toml" = "keepalived"): LoadResult {
  return parseConfigText(text, "k.conf", format, { configId: "x" });
}

function messages(r: LoadResult): string[] {
  return r.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`);
}

Deno.test("unicast keywords are read into the instance", () => {
  const r = parse(conf(`  unicast_src_ip 10.0.0.1/24
  unicast_ttl 64
  check_unicast_src
  unicast_fault_no_peer
  unicast_peer {
    10.0.0.2
    10.0.0.3 min_ttl 250 max_ttl 255
  }`));
  assert.deepEqual(messages(r), []);
  const i = r.config.instances[0];
  assert.equal(i.unicastSrcIp, "10.0.0.1/24");
  assert.equal(i.unicastTtl, 64);
  assert.equal(i.checkUnicastSrc, true);
  assert.equal(i.unicastFaultNoPeer, true);
  assert.deepEqual(i.unicastPeers, ["10.0.0.2", "10.0.0.3 min_ttl 250 max_ttl 255"]);
  assert.deepEqual(unicastParams(i, "10.0.0.1"), {
    peers: [
      { address: "10.0.0.2", minTtl: 0, maxTtl: 255 },
      { address: "10.0.0.3", minTtl: 250, maxTtl: 255 },
    ],
    checkSource: true,
  });
});

Deno.test("keepalived: a min_ttl/max_ttl on a peer switches the source check on", () => {
  const i = parse(conf(`  unicast_peer {\n    10.0.0.2 max_ttl 255\n  }`)).config.instances[0];
  assert.equal(i.checkUnicastSrc, false);
  assert.equal(unicastParams(i, "10.0.0.1")?.checkSource, true);
});

Deno.test("vrrp_check_unicast_src, vrrp_mcast_group4/6 and mcast_dst_ip", () => {
  const r = parse(
    conf(
      "  mcast_dst_ip 224.0.0.99",
      "  vrrp_check_unicast_src\n  vrrp_mcast_group4 224.0.0.19\n  vrrp_mcast_group6 ff02::1:12",
    ),
  );
  assert.deepEqual(messages(r).filter((m) => / error: /.test(m)), []);
  assert.equal(r.config.global.checkUnicastSrc, true);
  assert.equal(r.config.instances[0].checkUnicastSrc, true, "inherited");
  assert.equal(r.config.global.mcastGroup4, "224.0.0.19");
  assert.equal(r.config.global.mcastGroup6, "ff02::1:12");
  assert.equal(r.config.instances[0].mcastDstIp, "224.0.0.99");
});

Deno.test("keepalived 2.2.7's verdicts: twice and our own address are warnings, the other family an error", () => {
  const r = parse(conf(`  unicast_src_ip 10.0.0.1
  unicast_peer {
    10.0.0.2
    10.0.0.2
    10.0.0.1
    fd00::2
  }`));
  const m = messages(r);
  assert.ok(
    m.some((x) => /warning: .*unicast_peer 10\.0\.0\.2 is listed twice/.test(x)),
    m.join("\n"),
  );
  assert.ok(m.some((x) => /warning: .*unicast_peer 10\.0\.0\.1 is this instance's own/.test(x)));
  assert.ok(m.some((x) => /^12:5 error: .*unicast_peer "fd00::2" is not an IPv4 address/.test(x)));
  const i = r.config.instances[0];
  assert.deepEqual(
    unicastParams({ ...i, unicastPeers: i.unicastPeers.slice(0, 3) }, "10.0.0.1")?.peers.map((p) =>
      p.address
    ),
    ["10.0.0.2"],
    "one advert to a peer listed twice, none to ourselves",
  );
});

Deno.test("a bad peer option is a warning and ignored, as keepalived does; min_ttl > max_ttl warns", () => {
  assert.deepEqual(parseUnicastPeer("10.0.0.2 min_ttl 300 foo 3").warnings, [
    'unicast_peer 10.0.0.2: min_ttl "300" is not 0..255; ignored',
    'unicast_peer 10.0.0.2: unknown option "foo"; ignored with the rest',
  ]);
  const r = parse(conf(`  unicast_peer {\n    10.0.0.2 min_ttl 200 max_ttl 100\n  }`));
  assert.ok(messages(r).some((x) => /warning: .*min_ttl 200 > max_ttl 100: every advert/.test(x)));
  assert.ok(!messages(r).some((x) => / error: /.test(x)));
});

Deno.test("a unicast keyword without peers warns loudly that adverts are multicast (keepalived's deprecated fallback)", () => {
  const m = messages(parse(conf("  unicast_src_ip 10.0.0.1")));
  assert.ok(
    m.some((x) => /warning: .*without any unicast_peer: adverts are MULTICAST/.test(x)),
    m.join("\n"),
  );
  const f = messages(parse(conf("  unicast_src_ip 10.0.0.1\n  unicast_fault_no_peer")));
  assert.ok(!f.some((x) => /MULTICAST/.test(x)), "with unicast_fault_no_peer it is FAULT instead");
});

Deno.test("a bad unicast_src_ip prefix or mcast_dst_ip is reported", () => {
  const m = messages(parse(conf("  unicast_src_ip 10.0.0.1/40\n  mcast_dst_ip 10.0.0.9")));
  assert.ok(
    m.some((x) => /error: .*bad prefix length in unicast_src_ip "10\.0\.0\.1\/40"/.test(x)),
  );
  assert.ok(
    m.some((x) => /warning: .*mcast_dst_ip "10\.0\.0\.9" is not an IPv4 multicast/.test(x)),
  );
});

Deno.test("TOML carries the unicast keys; convert writes them back in both formats", () => {
  const toml = `[global]
check_unicast_src = true

[instance.VI_1]
interface = "eth0"
virtual_router_id = 7
virtual_ipaddress = ["10.0.0.100/24"]
unicast_src_ip = "10.0.0.1"
unicast_peer = ["10.0.0.2", "10.0.0.3 min_ttl 250"]
unicast_ttl = 64
unicast_fault_no_peer = true
`;
  const r = parse(toml, "toml");
  assert.deepEqual(messages(r).filter((m) => / error: /.test(m)), []);
  const i = r.config.instances[0];
  assert.deepEqual(i.unicastPeers, ["10.0.0.2", "10.0.0.3 min_ttl 250"]);
  assert.equal(i.checkUnicastSrc, true);
  assert.equal(i.unicastTtl, 64);
  assert.equal(i.unicastFaultNoPeer, true);
  const k = toKeepalived(r.config);
  assert.match(k, /unicast_peer \{\n\s+10\.0\.0\.2\n\s+10\.0\.0\.3 min_ttl 250\n\s+\}/);
  assert.match(k, /vrrp_check_unicast_src/);
  assert.match(k, /unicast_fault_no_peer/);
  const back = parse(k);
  assert.deepEqual(back.config.instances[0], i);
  assert.deepEqual(parse(toToml(r.config), "toml").config.instances[0], i);
});
