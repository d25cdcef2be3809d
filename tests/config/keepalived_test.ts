/** The keepalived-style grammar: comments, quoting, braces, includes, parameters, conditionals. */
import assert from "node:assert/strict";
import { loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { toKeepalived, toToml } from "../../config/convert.ts";
import type { LoadResult } from "../../config/model.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

const INSTANCE = `vrrp_instance VI_1 {
  interface eth0
  virtual_router_id 7
  virtual_ipaddress {
    10.0.0.1
  }
}
`;

function parse(text: string, files: Record<string, string> = {}, configId = "alpha"): LoadResult {
  return parseConfigText(text, "/etc/k/main.conf", "keepalived", {
    configId,
    readFile: (p) => files[p] ?? null,
    listDir: (d) => {
      const names = Object.keys(files).filter((p) => p.startsWith(d + "/"))
        .map((p) => p.slice(d.length + 1)).filter((n) => !n.includes("/"));
      return names.length > 0 ? names : null;
    },
  });
}

function messages(r: LoadResult): string[] {
  return r.diagnostics.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`);
}

Deno.test("parseConfigText() applies keepalived defaults and VIP /32", () => {
  const r = parse(INSTANCE);
  const i = r.config.instances[0];
  assert.equal(i.priority, 100);
  assert.equal(i.advertIntervalSec, 1);
  assert.equal(i.preempt, true);
  assert.equal(i.preemptDelaySec, 0);
  assert.deepEqual(i.vips, [{ address: "10.0.0.1", prefixLen: 32 }]);
  assert.deepEqual(i.auth, { type: "none" });
  assert.equal(i.initialState, "BACKUP");
  assert.deepEqual(messages(r), []);
});

Deno.test("parseConfigText() accepts a brace on the next line and blocks on one line", () => {
  const r = parse(`vrrp_instance VI_1
{
  interface eth0
  virtual_router_id 7
  virtual_ipaddress { 10.0.0.1/24 brd 10.0.0.255 dev eth0 scope global label eth0:1 }
  unicast_peer
  {
    10.0.0.2
  }
}`);
  const i = r.config.instances[0];
  assert.deepEqual(i.vips, [{
    address: "10.0.0.1",
    prefixLen: 24,
    brd: "10.0.0.255",
    dev: "eth0",
    scope: "global",
    label: "eth0:1",
  }]);
  assert.deepEqual(i.unicastPeers, ["10.0.0.2"]);
  assert.deepEqual(messages(r), []);
});

Deno.test("parseConfigText() strips ! and # comments and reads quoted strings", () => {
  const r = parse(`! header
vrrp_script chk { # trailing
  script "/usr/bin/check --port 80"
  weight -20 reverse
}
vrrp_instance VI_1 {
  interface eth0 ! trailing bang
  virtual_router_id 7
  virtual_ipaddress {
    10.0.0.1
  }
  notify_master '/bin/notify "master"'
  track_script {
    chk weight 5
  }
}`);
  assert.deepEqual(messages(r), []);
  assert.equal(r.config.scripts[0].script, "/usr/bin/check --port 80");
  assert.equal(r.config.scripts[0].weight, -20);
  assert.equal(r.config.scripts[0].weightReverse, true);
  // keepalived: a script without timeout gets its interval
  assert.equal(r.config.scripts[0].timeoutSec, 1);
  assert.deepEqual(r.config.instances[0].notify.master, { command: '/bin/notify "master"' });
  assert.deepEqual(r.config.instances[0].trackScripts, [{ name: "chk", weight: 5 }]);
});

Deno.test("parseConfigText() warns at each // comment, whole-line and trailing", () => {
  const r = parse(`// note\n${INSTANCE.replace("interface eth0", "interface eth0 // here")}`);
  assert.deepEqual(messages(r).map((m) => m.split(" ")[0]), ["1:1", "3:18"]);
  assert.ok(r.diagnostics.every((d) => d.message.includes("keepalived does not treat")));
  assert.equal(r.config.instances[0].interface, "eth0");
});

Deno.test("parseConfigText() suggests the closest keyword for an unknown one and goes on", () => {
  const r = parse(INSTANCE.replace("interface eth0", "interface eth0\n  advert_intt 3"));
  assert.deepEqual(messages(r), [
    `3:3 warning: unknown keyword "advert_intt" in vrrp_instance VI_1, skipped; did you mean "advert_int"?`,
  ]);
  assert.equal(r.config.instances[0].vrid, 7);
});

Deno.test("parseConfigText() skips LVS blocks with one note", () => {
  const r = parse(`${INSTANCE}virtual_server 10.0.0.1 80 {
  real_server 10.0.0.5 80 {
    TCP_CHECK { connect_timeout 3 }
  }
}
virtual_server_group g { 10.0.0.1 80 }
`);
  assert.deepEqual(messages(r), [
    `8:1 note: LVS configuration ("virtual_server" and the like) skipped: vrrp only does VRRP`,
  ]);
  assert.equal(r.config.instances.length, 1);
});

Deno.test("parseConfigText() reads includes relative to the including file, with globs", () => {
  const r = parse(`include conf.d/*.conf\ninclude ../shared/global.conf`, {
    "/etc/k/conf.d/a.conf": INSTANCE,
    "/etc/k/conf.d/b.conf": INSTANCE.replace("VI_1", "VI_2").replace("id 7", "id 8"),
    "/etc/k/conf.d/skip.txt": "garbage",
    "/etc/shared/global.conf": "global_defs {\n  router_id r1\n}\n",
  });
  assert.deepEqual(messages(r), []);
  assert.deepEqual(r.config.instances.map((i) => i.name), ["VI_1", "VI_2"]);
  assert.equal(r.config.global.routerId, "r1");
  assert.equal(r.positions.get("instance:VI_2")?.file, "/etc/k/conf.d/b.conf");
});

Deno.test("parseConfigText() detects include cycles", () => {
  const r = parse(`include a.conf\n${INSTANCE}`, {
    "/etc/k/a.conf": "include b.conf\n",
    "/etc/k/b.conf": "include a.conf\n",
  });
  const cyc = r.diagnostics.filter((d) => d.message.startsWith("include cycle"));
  assert.equal(cyc.length, 1);
  assert.equal(cyc[0].file, "/etc/k/b.conf");
  assert.match(
    cyc[0].message,
    /main\.conf -> \/etc\/k\/a\.conf -> \/etc\/k\/b\.conf -> \/etc\/k\/a\.conf/,
  );
  assert.equal(r.config.instances.length, 1);
});

Deno.test("parseConfigText() substitutes $NAME and ${NAME} parameters", () => {
  const r = parse(`$IF=eth1
$VRID=42
vrrp_instance VI_\${VRID} {
  interface $IF
  virtual_router_id $VRID
  virtual_ipaddress {
    10.0.0.1
  }
}`);
  assert.deepEqual(messages(r), []);
  const i = r.config.instances[0];
  assert.equal(i.name, "VI_42");
  assert.equal(i.interface, "eth1");
  assert.equal(i.vrid, 42);
});

Deno.test("parseConfigText() keeps @ID lines only on that host and @^ID lines elsewhere", () => {
  const text = INSTANCE.replace(
    "interface eth0",
    "interface eth0\n  @alpha priority 150\n  @^alpha priority 50",
  );
  assert.equal(parse(text, {}, "alpha").config.instances[0].priority, 150);
  assert.equal(parse(text, {}, "beta").config.instances[0].priority, 50);
});

Deno.test("global_defs garp settings become each instance's default unless it sets its own", () => {
  const r = parse(`global_defs {
  vrrp_garp_master_delay 2
  vrrp_garp_master_refresh 60
  vrrp_higher_prio_send_advert false
}
${INSTANCE.replace("interface eth0", "interface eth0\n  garp_master_delay 9")}`);
  const i = r.config.instances[0];
  assert.equal(i.garpMasterDelaySec, 9);
  assert.equal(i.garpMasterRefreshSec, 60);
  assert.equal(i.higherPrioSendAdvert, false);
  assert.equal(i.garpMasterRepeat, 5);
});

Deno.test("validate() places semantic errors at the keyword that caused them", () => {
  const r = parse(INSTANCE.replace("virtual_router_id 7", "virtual_router_id 300"));
  assert.deepEqual(messages(r), [
    `3:3 error: instance "VI_1": virtual_router_id must be 1..255, got 300`,
  ]);
});

Deno.test("vrrp_script init_fail starts the script as failing and survives convert", () => {
  const text = `vrrp_script chk {\n  script "/bin/true"\n  init_fail\n}\n`;
  const r = parseConfigText(text, "k.conf", "keepalived", { configId: "x" });
  assert.deepEqual(r.diagnostics, []);
  assert.equal(r.config.scripts[0].initFail, true);
  const again = parseConfigText(toToml(r.config), "k.toml", "toml", { configId: "x" });
  assert.equal(again.config.scripts[0].initFail, true);
  assert.match(toKeepalived(r.config), /^\s+init_fail$/m);
});
