/** The reload's parser: a Worker with a time limit, so the daemon's event loop never waits. */
import assert from "node:assert/strict";
import { loadConfigInWorker } from "../../lib/daemon/config_loader.ts";
import { loadConfigSync } from "../../config/load.ts";

const EX = new URL("../../examples/", import.meta.url).pathname;

Deno.test("loadConfigInWorker() parses in a worker and returns the same result", async () => {
  const r = await loadConfigInWorker(`${EX}seed-10.101.1.186.conf`, "h");
  assert.equal(r.config.instances.length, 2);
  assert.ok(r.positions instanceof Map && r.positions.size > 0);
});

Deno.test("loadConfigInWorker() keeps the event loop free while a bomb is parsed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-worker-" });
  try {
    const bomb = ["$A0=xxxxxxxxxx"];
    for (let i = 1; i <= 40; i++) bomb.push(`$A${i}=\${A${i - 1}}\${A${i - 1}}`);
    bomb.push("global_defs {", "  router_id ${A40}", "}");
    await Deno.writeTextFile(`${dir}/bomb.conf`, bomb.join("\n") + "\n");
    // a 10 ms tick keeps running during the parse: the longest gap between ticks is small
    let last = performance.now();
    let worst = 0;
    const tick = setInterval(() => {
      const now = performance.now();
      worst = Math.max(worst, now - last);
      last = now;
    }, 10);
    const r = await loadConfigInWorker(`${dir}/bomb.conf`, "h");
    clearInterval(tick);
    assert.ok(r.diagnostics.some((d) => /grows past/.test(d.message)));
    assert.ok(worst < 150, `the event loop stalled ${worst.toFixed(0)} ms`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadConfigInWorker() gives up past its time limit and terminates the worker", async () => {
  await assert.rejects(
    () => loadConfigInWorker(`${EX}seed-10.101.1.186.conf`, "h", 1),
    /took longer than 1 ms/,
  );
});

Deno.test("loadConfigInWorker(): VRRPv3, IPv6 and unicast settings survive the worker's structured clone", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-worker-" });
  try {
    const file = `${dir}/v3.conf`;
    await Deno.writeTextFile(
      file,
      `global_defs {
  vrrp_version 3
  vrrp_mcast_group4 224.0.0.19
  vrrp_mcast_group6 ff02::13
}
vrrp_instance V4 {
  interface eth0
  virtual_router_id 7
  priority 120
  advert_int 0.5
  unicast_src_ip 10.0.0.1
  unicast_ttl 3
  unicast_peer {
    10.0.0.2
    10.0.0.3
  }
  virtual_ipaddress {
    10.0.0.100/24
  }
}
vrrp_instance V6 {
  interface eth0
  virtual_router_id 7
  priority 100
  mcast_dst_ip ff02::14
  virtual_ipaddress {
    fd00::100/64
  }
}
`,
    );
    const inWorker = await loadConfigInWorker(file, "h");
    const direct = loadConfigSync(file, { configId: "h" });
    assert.deepEqual(inWorker.diagnostics, direct.diagnostics);
    assert.deepEqual(inWorker.config, direct.config);
    const [v4, v6] = inWorker.config.instances;
    assert.deepEqual(v4.unicastPeers, ["10.0.0.2", "10.0.0.3"]);
    assert.equal(v4.version, 3);
    assert.equal(v4.unicastTtl, 3);
    assert.equal(v6.mcastDstIp, "ff02::14");
    assert.equal(inWorker.config.global.mcastGroup6, "ff02::13");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
