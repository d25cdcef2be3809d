/** The reload's parser: a Worker with a time limit, so the daemon's event loop never waits. */
import assert from "node:assert/strict";
import { loadConfigInWorker } from "../../lib/daemon/config_loader.ts";

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
