import assert from "node:assert/strict";
import { startControlServer } from "../../lib/control/server.ts";
import { controlRequest } from "../../lib/control/client.ts";
import { ControlError } from "../../lib/control/errors.ts";
import { renderStatus, runStatus } from "../../lib/cli/status.ts";
import { runAdmin } from "../../lib/cli/admin.ts";
import { FakeDaemon } from "./_fake.ts";

async function withServer(
  fn: (ctx: { path: string; dir: string; daemon: FakeDaemon }) => Promise<void>,
  opts: { idleTimeoutMs?: number; maxConnections?: number } = {},
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-ctl-" });
  const path = `${dir}/run/vrrp.sock`;
  const daemon = new FakeDaemon();
  const server = await startControlServer(path, daemon, () => {}, opts);
  try {
    await fn({ path, dir, daemon });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
}

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, o: (t: string) => out.push(t), e: (t: string) => err.push(t) };
}

/** Sends raw bytes on one connection and reads `n` reply lines. */
async function rawExchange(path: string, text: string, n: number): Promise<string[]> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(new TextEncoder().encode(text));
    let acc = "";
    const buf = new Uint8Array(65536);
    while (acc.split("\n").length - 1 < n) {
      const got = await conn.read(buf);
      if (got === null) break;
      acc += new TextDecoder().decode(buf.subarray(0, got));
    }
    return acc.split("\n").filter((l) => l !== "");
  } finally {
    conn.close();
  }
}

Deno.test("startControlServer() creates the socket 0600 in a new 0755 directory", async () => {
  await withServer(async ({ path, dir }) => {
    const st = await Deno.lstat(path);
    assert.ok(st.isSocket);
    assert.equal(st.mode! & 0o777, 0o600);
    assert.equal((await Deno.stat(`${dir}/run`)).mode! & 0o777, 0o755);
    assert.equal(st.uid, Deno.uid());
    // no temporary name left behind
    assert.deepEqual([...Deno.readDirSync(`${dir}/run`)].map((e) => e.name), ["vrrp.sock"]);
  });
});

Deno.test("close() is idempotent and removes the socket file", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/vrrp.sock`;
  const server = await startControlServer(path, new FakeDaemon());
  await Promise.all([server.close(), server.close()]);
  await server.close();
  await assert.rejects(Deno.lstat(path), Deno.errors.NotFound);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("startControlServer() replaces a stale socket and refuses a live one", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/vrrp.sock`;
  // a crashed daemon leaves its socket file: bind elsewhere, move it into place, stop listening
  // (Deno unlinks a listener's path on close, so that must not be the final name)
  const stale = Deno.listen({ transport: "unix", path: `${path}.old` });
  await Deno.rename(`${path}.old`, path);
  stale.close();
  assert.ok((await Deno.lstat(path)).isSocket);
  const server = await startControlServer(path, new FakeDaemon());
  try {
    const reply = await controlRequest(path, { op: "status" });
    assert.equal(reply.ok, true);
    await assert.rejects(
      startControlServer(path, new FakeDaemon()),
      (e: unknown) =>
        e instanceof ControlError && e.kind === "inUse" && /another vrrp daemon/.test(e.message),
    );
    // the refused start did not remove the live socket
    assert.equal((await controlRequest(path, { op: "status" })).ok, true);
  } finally {
    await server.close();
  }
  await Deno.writeTextFile(path, "not a socket");
  await assert.rejects(
    startControlServer(path, new FakeDaemon()),
    (e: unknown) => e instanceof ControlError && e.kind === "setup",
  );
  assert.equal(await Deno.readTextFile(path), "not a socket");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("server answers several requests per connection, bad lines with ok:false", async () => {
  await withServer(async ({ path }) => {
    const lines = await rawExchange(
      path,
      '{"op":"status"}\nthis is not json\n\n{"op":"explode"}\n{"op":"down"}\n{"op":"up","instance":"ha-external"}\n',
      5,
    );
    assert.equal(lines.length, 5);
    const [status, bad, unknown, noName, up] = lines.map((l) => JSON.parse(l));
    assert.equal(status.ok, true);
    assert.equal(status.instances.length, 2);
    assert.equal(bad.ok, false);
    assert.match(bad.error, /malformed JSON/);
    assert.equal(unknown.ok, false);
    assert.match(unknown.error, /unknown op "explode"/);
    assert.equal(noName.ok, false);
    assert.deepEqual(up, { ok: true, message: "ha-external: back in the election" });
  });
});

Deno.test("server turns a throwing DaemonApi into an error reply", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/vrrp.sock`;
  const daemon = new FakeDaemon();
  daemon.reload = () => Promise.reject(new Error("boom"));
  const logs: string[] = [];
  const server = await startControlServer(path, daemon, (m) => logs.push(m));
  try {
    assert.deepEqual(await controlRequest(path, { op: "reload" }), {
      ok: false,
      error: "reload failed: boom",
    });
    assert.ok(logs.some((l) => l.includes("boom")));
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server awaits an asynchronous status and turns its rejection into an error reply", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/vrrp.sock`;
  const daemon = new FakeDaemon();
  const server = await startControlServer(path, daemon, () => {});
  try {
    const reply = await controlRequest(path, { op: "status", instance: "ha-internal-1" });
    assert.ok(reply.ok && "instances" in reply);
    assert.equal(reply.instances[0].vipError?.startsWith("ip addr add 10.0.0.101/32"), true);
    daemon.status = () => Promise.reject(new Error("ip -j addr: timed out"));
    assert.deepEqual(await controlRequest(path, { op: "status" }), {
      ok: false,
      error: "status failed: ip -j addr: timed out",
    });
  } finally {
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("server closes an idle client and refuses connections over the limit", async () => {
  await withServer(async ({ path }) => {
    const idle = await Deno.connect({ transport: "unix", path });
    const second = await Deno.connect({ transport: "unix", path });
    try {
      // the third connection is over the limit of 2
      const refused = await rawExchange(path, "", 1);
      assert.match(JSON.parse(refused[0]).error, /too many connections/);
      // the idle one is closed by the server after its timeout: read sees EOF
      const t0 = Date.now();
      assert.equal(await idle.read(new Uint8Array(16)), null);
      assert.ok(Date.now() - t0 < 2000);
    } finally {
      idle.close();
      second.close();
    }
    // once the idle ones are gone, new clients are served again
    assert.equal((await controlRequest(path, { op: "status" })).ok, true);
  }, { idleTimeoutMs: 200, maxConnections: 2 });
});

Deno.test("server cuts off an over-long request line", async () => {
  await withServer(async ({ path }) => {
    const lines = await rawExchange(path, "x".repeat(70_000), 1);
    assert.match(JSON.parse(lines[0]).error, /over 65536 bytes/);
  });
});

Deno.test("controlRequest() reports noDaemon, timeout and protocol errors by kind", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/vrrp.sock`;
  await assert.rejects(
    controlRequest(path, { op: "status" }),
    (e: unknown) => e instanceof ControlError && e.kind === "noDaemon",
  );
  const silent = Deno.listen({ transport: "unix", path });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const c of silent) held.push(c);
  })();
  await assert.rejects(
    controlRequest(path, { op: "status" }, { timeoutMs: 100 }),
    (e: unknown) => e instanceof ControlError && e.kind === "timeout",
  );
  silent.close();
  held.forEach((c) => c.close());
  await accepting;
  await Deno.remove(path).catch(() => {});
  const liar = Deno.listen({ transport: "unix", path });
  const lying = (async () => {
    const c = await liar.accept();
    await c.write(new TextEncoder().encode("hello\n"));
    c.close();
  })();
  await assert.rejects(
    controlRequest(path, { op: "status" }),
    (e: unknown) => e instanceof ControlError && e.kind === "protocol",
  );
  await lying;
  liar.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("vrrp status prints every instance as text", async () => {
  await withServer(async ({ path }) => {
    const c = capture();
    assert.equal(await runStatus(undefined, { socket: path, out: c.o, err: c.e }), 0);
    const text = c.out.join("\n");
    for (
      const want of [
        "vrrp daemon pid 4242, config /etc/vrrp/vrrp.toml",
        "ha-internal-1: MASTER  interface eth0  vrid 51",
        "priority     80 effective, 100 base (script chk_nginx -20)",
        "master       10.0.0.1 (this host)",
        "vips         10.0.0.100/24 dev eth0  present",
        "10.0.0.101/32 dev eth0  absent",
        "last change  backup -> master (masterDownIntervalElapsed) at 2026-01-02T03:04:05.000Z",
        "adverts      sent 120, received 3",
        "drops        authFailure 2",
        "ha-external: BACKUP  interface eth1  vrid 52",
        "master       10.0.1.2\n",
        "SPLIT BRAIN  peer 10.0.1.3 priority 50",
        "VIP ERROR    ip addr add 10.0.0.101/32 dev eth0 failed: RTNETLINK answers: " +
        "Operation not permitted (retrying)",
      ]
    ) assert.ok(text.includes(want), `missing ${JSON.stringify(want)} in\n${text}`);
    assert.ok(!text.includes("badTtl"), "zero drop counters are not shown");
    assert.deepEqual(c.err, []);
  });
});

Deno.test("vrrp status --json prints the StatusReply as is", async () => {
  await withServer(async ({ path, daemon }) => {
    const c = capture();
    assert.equal(
      await runStatus("ha-external", { socket: path, json: true, out: c.o, err: c.e }),
      0,
    );
    assert.deepEqual(JSON.parse(c.out.join("")), await daemon.status("ha-external"));
  });
});

Deno.test("vrrp status NAME with an unknown name exits 1 with the daemon's message", async () => {
  await withServer(async ({ path }) => {
    const c = capture();
    assert.equal(await runStatus("nope", { socket: path, out: c.o, err: c.e }), 1);
    assert.deepEqual(c.err, ['vrrp: no instance named "nope"']);
    assert.deepEqual(c.out, []);
  });
});

Deno.test("vrrp status without a daemon exits 3 with one line", async () => {
  const c = capture();
  const code = await runStatus(undefined, { socket: "/nonexistent/vrrp.sock", out: c.o, err: c.e });
  assert.equal(code, 3);
  assert.deepEqual(c.err, [
    "vrrp: no daemon is running (no control socket at /nonexistent/vrrp.sock)",
  ]);
  const a = capture();
  assert.equal(await runAdmin("reload", undefined, { socket: "/nonexistent/x", err: a.e }), 3);
});

Deno.test("vrrp down/up change the daemon's admin state and print its message", async () => {
  await withServer(async ({ path, daemon }) => {
    const c = capture();
    assert.equal(await runAdmin("down", "ha-internal-1", { socket: path, out: c.o, err: c.e }), 0);
    assert.deepEqual(c.out, ["ha-internal-1: administratively down"]);
    assert.ok(daemon.down.has("ha-internal-1"));
    const s = capture();
    await runStatus("ha-internal-1", { socket: path, out: s.o });
    assert.match(s.out.join(""), /MASTER \(admin down\)/);
    assert.equal(await runAdmin("up", "ha-internal-1", { socket: path, out: c.o, err: c.e }), 0);
    assert.equal(c.out[1], "ha-internal-1: back in the election");
    assert.ok(!daemon.down.has("ha-internal-1"));
    assert.equal(await runAdmin("down", "ghost", { socket: path, out: c.o, err: c.e }), 1);
    assert.deepEqual(c.err, ['vrrp down: no instance named "ghost"']);
  });
});

Deno.test("vrrp reload prints the error and each diagnostic, exit 1", async () => {
  await withServer(async ({ path }) => {
    const c = capture();
    assert.equal(await runAdmin("reload", undefined, { socket: path, out: c.o, err: c.e }), 1);
    assert.deepEqual(c.err, [
      "vrrp reload: config has 1 error; keeping the running config",
      '/etc/vrrp/vrrp.toml:17:5: error: unknown keyword "advert_intt"',
    ]);
  });
});

Deno.test("vrrp status --watch redraws only when the reply changes", async () => {
  await withServer(async ({ path, daemon }) => {
    const frames: string[] = [];
    let polls = 0;
    const orig = daemon.status.bind(daemon);
    daemon.status = (i?: string) => {
      polls++;
      if (polls === 3) daemon.instances[1].state = "master";
      return orig(i);
    };
    const code = await runStatus(undefined, {
      socket: path,
      watch: true,
      watchIterations: 4,
      watchIntervalMs: 10,
      out: (t) => frames.push(t),
    });
    assert.equal(code, 0);
    assert.equal(polls, 4);
    assert.equal(frames.length, 2);
    assert.ok(frames.every((f) => f.startsWith("\x1b[2J\x1b[H")));
    assert.match(frames[0], /ha-external: BACKUP/);
    assert.match(frames[1], /ha-external: MASTER/);
  });
});

Deno.test("vrrp status shows the unicast peers: when each was last heard, at what priority", async () => {
  const d = new FakeDaemon();
  const reply = await d.status();
  assert.ok(reply.ok);
  const text = renderStatus(reply, new Date("2026-01-02T03:04:07.400Z"));
  for (
    const want of [
      "unicast      from 10.0.1.1 to 2 peers, other sources dropped",
      "peer         10.0.1.2  heard 0.4 s ago at priority 100 (37 adverts)",
      "peer         10.0.1.4  never heard",
    ]
  ) assert.ok(text.includes(want), `missing ${JSON.stringify(want)} in\n${text}`);
});

Deno.test("a flood of refused connections logs a bounded number of lines; the client says busy", async () => {
  const dir = await Deno.makeTempDir({ prefix: "vrrp-ctl-" });
  const path = `${dir}/vrrp.sock`;
  const logged: string[] = [];
  const server = await startControlServer(path, new FakeDaemon(), (m) => logged.push(m), {
    maxConnections: 2,
  });
  const held = [
    await Deno.connect({ transport: "unix", path }),
    await Deno.connect({ transport: "unix", path }),
  ];
  try {
    // 500 connections over the limit, 50 at a time
    let refused = 0;
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 50 }, async () => {
        const c = await Deno.connect({ transport: "unix", path });
        const got = await c.read(new Uint8Array(256));
        if (got !== null) refused++;
        c.close();
      }));
    }
    assert.equal(refused, 500);
    const refusals = logged.filter((l) => /refused \d+ connection/.test(l));
    assert.equal(refusals.length, 1, refusals.join("\n"));
    assert.match(refusals[0], /refused 1 connection\(s\): 2 already open \(1 refused since start/);
    // a CLI request is told why, not "Broken pipe"
    const reply = await controlRequest(path, { op: "status" });
    assert.deepEqual(reply, {
      ok: false,
      error: "daemon busy: too many connections (limit 2)",
    });
  } finally {
    for (const c of held) c.close();
    await server.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("vrrp status shows send errors, give-ways and interface drops when there are any", () => {
  const text = renderStatus({
    ok: true,
    version: 1,
    pid: 7,
    configFile: "c.conf",
    startedAt: "2026-01-01T00:00:00.000Z",
    instances: [{
      name: "vi1",
      interface: "eth0",
      vrid: 1,
      state: "fault",
      adminDown: false,
      basePriority: 100,
      effectivePriority: 100,
      priorityAdjustments: [],
      masterIp: null,
      vips: [],
      lastTransition: null,
      advertsSent: 9,
      advertsReceived: 0,
      drops: { ownAdvert: 3 },
      splitBrain: null,
      sendErrors: 4,
      lastSendError: "advert: sendto: No such device",
      vipGiveWays: 1,
    }],
    interfaceDrops: { eth0: { truncated: 2 }, eth1: {} },
  });
  assert.match(text, /SEND ERRORS {2}4 \(last: advert: sendto: No such device\)/);
  assert.match(text, /gave way {5}1 time\(s\): VIPs not configured in time/);
  assert.match(text, /drops {8}ownAdvert 3/);
  assert.match(text, /dropped before any instance.*\n {2}eth0 {9}truncated 2$/);
});
