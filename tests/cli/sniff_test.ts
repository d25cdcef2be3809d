import { captured } from "../_support/console.ts";
import { tutorialAdvert } from "../_support/adverts.ts";
import assert from "node:assert/strict";
import process from "node:process";
import { testWith } from "../_support/env.ts";
import { main } from "../../main.ts";
import {
  openErrorText,
  parseDurationMs,
  runSniff,
  sniffSession,
  type SniffSessionOptions,
} from "../../lib/cli/sniff.ts";
import { type SniffedVrrp, vrrpFromFrame, type VrrpSource } from "../../lib/sniff/live.ts";
import { OsError } from "../../ffi/errors.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { ipv4Packet as encodeIpv4Packet } from "../_support/adverts.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";

const REPO = new URL("../../", import.meta.url).pathname;

const advert = tutorialAdvert;

/** A live packet as the socket would deliver it. */
function sniffed(
  source: string,
  atMs: number,
  over: Partial<Advertisement> = {},
  ttl = 255,
): SniffedVrrp {
  const ip = encodeIpv4Packet(advert(over), { source, ttl });
  const frame = new Uint8Array(14 + ip.length);
  frame.set([0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x00, 0x00, 0x5e, 0x00, 0x01, 0x01, 0x08, 0x00]);
  frame.set(ip, 14);
  return { ...vrrpFromFrame(frame)!, atMs, wallMs: 1_795_662_607_000 + atMs, outgoing: false };
}

/** Delivers `packets` at once, then waits for close() (or fails when `failWith` is set). */
class FakeSource implements VrrpSource {
  closed = 0;
  #release = () => {};
  constructor(readonly packets: SniffedVrrp[], readonly failWith?: Error) {}
  run(onPacket: (p: SniffedVrrp) => void): Promise<void> {
    for (const p of this.packets) onPacket(p);
    if (this.failWith) return Promise.reject(this.failWith);
    return new Promise((r) => (this.#release = r));
  }
  close(): Promise<void> {
    this.closed++;
    this.#release();
    return Promise.resolve();
  }
}

async function session(source: VrrpSource, opts: Partial<SniffSessionOptions>) {
  const printed: string[] = [];
  const code = await sniffSession(source, {
    iface: "eth0",
    json: false,
    terminal: false,
    durationMs: 50,
    print: (t) => printed.push(t),
    ...opts,
  });
  return { code, printed };
}

Deno.test("vrrp sniff without an interface is a usage error (exit 2)", async () => {
  // commander prints its usage text through process.stderr
  const write = process.stderr.write;
  const usage: string[] = [];
  process.stderr.write = ((chunk: string) => usage.push(String(chunk)) > 0) as typeof write;
  let code: number;
  try {
    code = await main(["sniff"]);
  } finally {
    process.stderr.write = write;
  }
  assert.equal(code, 2);
  assert.match(usage.join(""), /missing required argument 'IFACE'/);
  const blank = await captured(() => runSniff("", {}));
  assert.equal(blank.code, 2);
  assert.match(blank.err.join("\n"), /^vrrp sniff: missing interface name/);
});

Deno.test("vrrp sniff --duration takes positive seconds only (exit 2 before opening anything)", async () => {
  assert.equal(parseDurationMs("3"), 3000);
  assert.equal(parseDurationMs("0.5"), 500);
  for (const bad of ["0", "-1", "abc", "", "1e3", "Infinity"]) {
    assert.equal(parseDurationMs(bad), null, bad);
    const r = await captured(() => runSniff("eth0", { duration: bad }));
    assert.equal(r.code, 2, bad);
    assert.deepEqual(r.err, [
      `vrrp sniff: --duration must be a positive number of seconds, got "${bad}"`,
    ]);
  }
});

Deno.test("vrrp sniff on a missing interface: one line, exit 1", async () => {
  const r = await captured(() => runSniff("vrrpnosuch0", { duration: "1" }));
  assert.equal(r.code, 1);
  assert.deepEqual(r.err, ['vrrp sniff: no interface named "vrrpnosuch0"']);
  assert.deepEqual(r.out, []);
});

Deno.test("openErrorText() names the cause: missing interface, no privilege, other", () => {
  assert.equal(
    openErrorText("x0", new OsError("if_nametoindex", 19)),
    'vrrp sniff: no interface named "x0"',
  );
  assert.match(
    openErrorText("eth0", new OsError("socket", 1)),
    /run as root \(needs CAP_NET_RAW\)$/,
  );
  assert.match(
    openErrorText("eth0", new OsError("bind", 100)),
    /^vrrp sniff: cannot listen on eth0: bind: /,
  );
});

testWith(
  "vrrp sniff without CAP_NET_RAW: one line, exit 1, no stack trace",
  { root: true, commands: ["ip", "setpriv"] },
  async () => {
    const ns = `vt${crypto.getRandomValues(new Uint32Array(1))[0].toString(16)}-sniff`;
    const run = (args: string[]) =>
      new Deno.Command("ip", { args, stdout: "piped", stderr: "piped" }).output();
    assert.equal((await run(["netns", "add", ns])).code, 0);
    try {
      await run(["-n", ns, "link", "set", "lo", "up"]);
      // root without CAP_NET_RAW in the bounding set: the exec'd process cannot have it
      const out = await run([
        "netns",
        "exec",
        ns,
        "setpriv",
        "--bounding-set",
        "-net_raw",
        Deno.execPath(),
        "run",
        "-A",
        `${REPO}main.ts`,
        "sniff",
        "lo",
        "--duration",
        "1",
      ]);
      const stderr = new TextDecoder().decode(out.stderr);
      assert.equal(out.code, 1, stderr);
      assert.equal(
        stderr,
        "vrrp sniff: not allowed to open a packet socket on lo: run as root (needs CAP_NET_RAW)\n",
      );
    } finally {
      await run(["netns", "del", ns]);
    }
  },
);

Deno.test("sniffSession --json: one object per advert, then the snapshot; closes the source", async () => {
  const src = new FakeSource([
    sniffed("10.101.1.185", 0),
    sniffed("10.101.1.186", 10, { vrid: 2, authData: authDataFromPassword("2-internal-ha") }),
    sniffed("10.101.1.187", 20, { priority: 50 }, 64),
  ]);
  const { code, printed } = await session(src, { json: true });
  assert.equal(code, 0);
  assert.ok(src.closed >= 1);
  const objs = printed.map((l) => JSON.parse(l));
  assert.equal(objs.length, 4);
  assert.deepEqual(objs.slice(0, 3).map((o) => [o.source, o.vrid, o.valid, o.ttl]), [
    ["10.101.1.185", 1, true, 255],
    ["10.101.1.186", 2, true, 255],
    ["10.101.1.187", 1, false, 64],
  ]);
  assert.equal(objs[0].time, "2026-11-26T03:10:07.000000Z");
  assert.equal(objs[0].password, "1-intern");
  const snap = objs[3];
  assert.equal(snap.kind, "snapshot");
  assert.equal(snap.adverts, 3);
  assert.deepEqual(snap.vrids.map((v: { vrid: number }) => v.vrid), [1, 2]);
  assert.ok(snap.durationMs >= 40);
  const v1 = snap.vrids[0];
  assert.deepEqual(v1.routers.map((r: { source: string }) => r.source), [
    "10.101.1.185",
    "10.101.1.187",
  ]);
  assert.ok(v1.warnings.some((w: string) => w.startsWith("10.101.1.187 sends IP TTL 64")));
});

Deno.test("sniffSession to a pipe: one line per advert, the grouped view at the end", async () => {
  const { code, printed } = await session(new FakeSource([sniffed("10.101.1.185", 0)]), {});
  assert.equal(code, 0);
  assert.match(
    printed[0],
    /^2026-11-26T03:10:07\.000000Z VRRP 10\.101\.1\.185 > 224\.0\.0\.18 ttl 255 vrid 1 prio 100 .* valid$/,
  );
  assert.equal(printed[1], "");
  assert.match(
    printed[2],
    /^VRID 1 {2}master 10\.101\.1\.185\n {2}10\.101\.1\.185 +prio 100 .* MASTER$/,
  );
});

Deno.test("sniffSession on a terminal redraws the view, throttled, and stops on `stop`", async () => {
  let stop = () => {};
  const stopped = new Promise<void>((r) => (stop = r));
  const packets = Array.from({ length: 20 }, (_, i) => sniffed("10.101.1.185", i));
  const run = session(new FakeSource(packets), {
    terminal: true,
    durationMs: undefined,
    stop: stopped,
  });
  setTimeout(stop, 400);
  const { code, printed } = await run;
  assert.equal(code, 0);
  // the first empty screen, at most two throttled redraws in 400 ms, the final screen
  assert.ok(printed.length >= 3 && printed.length <= 4, `${printed.length} screens`);
  for (const p of printed) assert.ok(p.startsWith("\x1b[H\x1b[2Jvrrp sniff eth0: "));
  assert.match(printed.at(-1)!, /20 adverts in 0\.\ds[\s\S]*VRID 1 {2}master 10\.101\.1\.185/);
  assert.ok(!printed.some((p) => p.includes("VRRP 10.101.1.185 >")), "no per-advert lines");
});

Deno.test("sniffSession: a failing socket ends the session with exit 1 after the final view", async () => {
  const r = await captured(() =>
    sniffSession(new FakeSource([sniffed("10.101.1.185", 0)], new Error("recvfrom: ENETDOWN")), {
      iface: "eth0",
      json: true,
      terminal: false,
      print: (t) => console.log(t),
    })
  );
  assert.equal(r.code, 1);
  assert.equal(JSON.parse(r.out.at(-1)!).kind, "snapshot");
  assert.deepEqual(r.err, ["vrrp sniff: receiving on eth0 failed: recvfrom: ENETDOWN"]);
});
