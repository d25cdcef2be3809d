/**
 * VRRPv3 and IPv6 in the config, as keepalived 2.2.7 reads them (each case was run through
 * `keepalived -t` in a namespace; its messages are quoted where vrrp follows them).
 */
import assert from "node:assert/strict";
import { loadTomlFrontEnd, parseConfigText } from "../../config/load.ts";
import { toKeepalived, toToml } from "../../config/convert.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";
import type { LoadResult } from "../../config/model.ts";

// the TOML front end loads on demand (config/load.ts)
await loadTomlFrontEnd();

const noFiles = { configId: "testhost", readFile: () => null, listDir: () => null };

function parse(text: string, format: "keepalived" | "toml" = "keepalived"): LoadResult {
  return parseConfigText(text, `t.${format === "toml" ? "toml" : "conf"}`, format, noFiles);
}

function diags(r: LoadResult, severity = "error"): string[] {
  return r.diagnostics.filter((d) => d.severity === severity).map(formatDiagnostic);
}

const DUAL = `global_defs {
    vrrp_version 3
}
vrrp_instance v4 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.1
    virtual_ipaddress {
        10.101.0.151/24
    }
}
vrrp_instance v6 {
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 0.1
    virtual_ipaddress {
        FD00:0101:0:0::151/64
        fd00:101::152
    }
    virtual_ipaddress_excluded {
        10.101.0.200/24
    }
}
`;

Deno.test("a dual-stack VRRPv3 config: both families, the same VRID once per family", () => {
  const r = parse(DUAL);
  assert.deepEqual(diags(r), []);
  assert.deepEqual(diags(r, "warning"), []);
  const [v4, v6] = r.config.instances;
  assert.equal(v4.version, 3);
  assert.equal(v4.advertIntervalSec, 0.1);
  assert.equal(v6.version, 3);
  // canonical text (RFC 5952); a bare IPv6 address is a /128
  assert.deepEqual(v6.vips, [
    { address: "fd00:101::151", prefixLen: 64 },
    { address: "fd00:101::152", prefixLen: 128 },
  ]);
  // excluded addresses may be of either family (keepalived -t: no complaint)
  assert.deepEqual(v6.excludedVips.map((v) => v.address), ["10.101.0.200"]);
});

Deno.test("an IPv6 instance speaks VRRPv3 without being told; `version 2` with IPv6 is refused", () => {
  const r = parse(DUAL.replace("vrrp_version 3", "vrrp_version 2"));
  assert.equal(r.config.instances[0].version, 2);
  assert.equal(r.config.instances[1].version, 3);
  const v2 = parse(
    DUAL.replace(
      "advert_int 0.1\n    virtual_ipaddress {\n        FD00",
      "version 2\n    virtual_ipaddress {\n        FD00",
    ),
  );
  assert.match(diags(v2).join("\n"), /t\.conf:17:5: error: .*version 2 with IPv6 addresses/);
});

Deno.test("advert_int: keepalived's range and rounding, per version", () => {
  const cases: [string, string, number, RegExp | null][] = [
    // VRRPv3: 10 ms steps, rounded half up ("must be in units of 10ms - rounding")
    ["3", "0.1", 0.1, null],
    ["3", "0.01", 0.01, null],
    ["3", "0.125", 0.13, /0\.125 rounded to 0\.13/],
    ["3", "0.124", 0.12, /0\.124 rounded to 0\.12/],
    ["3", "0.014", 0.01, /rounded to 0\.01/],
    // "is out of range. Must be less than 40.96s. Setting to 40.95s"
    ["3", "41", 40.95, /41 set to 40\.95/],
    ["3", "40.95", 40.95, null],
    // VRRPv2: whole seconds ("must be an integer. rounding"), at least 1
    ["2", "1.5", 2, /1\.5 rounded to 2/],
    ["2", "1.4", 1, /1\.4 rounded to 1/],
    ["2", "0.5", 1, /0\.5 rounded to 1/],
    ["2", "0.1", 1, /0\.1 rounded to 1/],
  ];
  for (const [version, text, want, warning] of cases) {
    const r = parse(
      `vrrp_instance a {\n interface eth0\n virtual_router_id 1\n version ${version}\n` +
        ` advert_int ${text}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`,
    );
    assert.deepEqual(diags(r), [], `v${version} ${text}`);
    assert.equal(r.config.instances[0].advertIntervalSec, want, `v${version} ${text}`);
    const w = diags(r, "warning").join("\n");
    if (warning) assert.match(w, warning);
    else assert.equal(w, "", `v${version} ${text}`);
  }
  // "number '0.005' outside range [0.010000, 255.000000]"
  for (const bad of ["0.005", "256", "0"]) {
    const r = parse(
      `vrrp_instance a {\n interface eth0\n virtual_router_id 1\n version 3\n` +
        ` advert_int ${bad}\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n`,
    );
    assert.match(diags(r).join("\n"), /t\.conf:5:2: error: .*advert_int must be/, bad);
  }
});

Deno.test("authentication on a VRRPv3 instance is refused (keepalived: 'does not support authentication')", () => {
  const r = parse(
    "vrrp_instance a {\n interface eth0\n virtual_router_id 1\n version 3\n" +
      " authentication {\n  auth_type PASS\n  auth_pass x\n }\n virtual_ipaddress {\n  10.0.0.1\n }\n}\n",
  );
  assert.match(diags(r).join("\n"), /t\.conf:5:2: error: .*VRRPv3 has no authentication/);
});

Deno.test("addresses of the other family are ignored with a warning, as keepalived does", () => {
  const r = parse(
    "vrrp_instance a {\n interface eth0\n virtual_router_id 1\n version 3\n" +
      " virtual_ipaddress {\n  fd00::1/64\n  10.0.0.1/24\n }\n}\n",
  );
  assert.deepEqual(diags(r), []);
  assert.match(
    diags(r, "warning").join("\n"),
    /t\.conf:7:3: warning: .*10\.0\.0\.1 is IPv4 but the instance is IPv6/,
  );
  assert.deepEqual(r.config.instances[0].vips.map((v) => v.address), ["fd00::1"]);
});

Deno.test("native_ipv6: an IPv6 VRRPv3 instance; with IPv4 addresses it is ignored", () => {
  const six = parse(
    "vrrp_instance a {\n interface eth0\n virtual_router_id 1\n native_ipv6\n" +
      " virtual_ipaddress {\n  fd00::1/64\n }\n}\n",
  );
  assert.deepEqual(diags(six), []);
  assert.equal(six.config.instances[0].nativeIpv6, true);
  assert.equal(six.config.instances[0].version, 3);
  const four = parse(
    "vrrp_instance a {\n interface eth0\n virtual_router_id 1\n native_ipv6\n" +
      " virtual_ipaddress {\n  10.0.0.1/24\n }\n}\n",
  );
  assert.match(diags(four, "warning").join("\n"), /native_ipv6 with IPv4 addresses is ignored/);
  assert.equal(four.config.instances[0].version, 2);
});

Deno.test("vrrp convert carries VRRPv3 and IPv6 both ways", () => {
  const r = parse(DUAL);
  const toml = toToml(r.config);
  assert.match(toml, /version = 3/);
  assert.match(toml, /advert_int = 0\.1/);
  assert.match(toml, /fd00:101::151\/64/);
  const back = parse(toml, "toml");
  assert.deepEqual(diags(back), []);
  assert.deepEqual(back.config, r.config);
  const ka = toKeepalived(back.config);
  const again = parse(ka);
  assert.deepEqual(diags(again), []);
  assert.deepEqual(again.config, r.config);
});
