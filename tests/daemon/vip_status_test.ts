import assert from "node:assert/strict";
import { parseConfigText } from "../../config/load.ts";
import type { InstanceStatus } from "../../lib/control/types.ts";
import { Daemon } from "../../lib/daemon/daemon.ts";
import {
  VIP_BACKGROUND_RETRY_MAX_MS,
  VIP_BACKGROUND_RETRY_MIN_MS,
  VIP_RETRY_DELAY_MS,
} from "../../lib/daemon/instance.ts";
import { Logger } from "../../lib/daemon/logger.ts";
import { masterDownIntervalMs } from "../../lib/vrrp/timers.ts";
import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import { received } from "../_support/adverts.ts";
import { FakeHost } from "./fakes.ts";

const CONF = `vrrp_instance vi1 {
  interface eth0
  virtual_router_id 1
  priority 100
  advert_int 1
  virtual_ipaddress {
    10.0.0.1/24
    10.0.0.2/24
    10.0.9.9/24 dev eth1
  }
}
`;

/** A host that counts `presentVips` runs per device. */
class CountingHost extends FakeHost {
  listings: string[] = [];
  override presentVips(vips: Parameters<FakeHost["presentVips"]>[0], dev: string) {
    this.listings.push(dev);
    return super.presentVips(vips, dev);
  }
}

async function boot(host: FakeHost, vipFailTimeoutMs?: number) {
  const lines: string[] = [];
  const logger = new Logger({ level: "debug", format: "text", sink: (l) => lines.push(l) });
  const loaded = parseConfigText(CONF, "test.conf", "keepalived", { configId: "x" });
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === "error"), []);
  host.interfaces.set("eth1", "192.168.9.1");
  const daemon = await Daemon.start(loaded.config, {
    effects: host,
    logger,
    configFile: "test.conf",
    loadConfig: () => Promise.resolve(loaded),
    pid: 1,
    vipFailTimeoutMs,
  });
  return { daemon, lines };
}

async function vi1(d: Daemon): Promise<InstanceStatus> {
  const s = await d.status("vi1");
  if (!s.ok) throw new Error(s.error);
  return s.instances[0];
}

const present = (st: InstanceStatus) => st.vips.map((v) => `${v.address} ${v.present}`);
const addTimes = (host: FakeHost, log: number[]) => () => log.push(host.nowMs);

Deno.test("status asks the host which VIPs are present, one listing per device", async () => {
  const host = new CountingHost();
  const { daemon } = await boot(host);
  await host.advance(masterDownIntervalMs(2, 100, 100));
  host.listings = [];
  assert.deepEqual(present(await vi1(daemon)), [
    "10.0.0.1 true",
    "10.0.0.2 true",
    "10.0.9.9 true",
  ]);
  assert.deepEqual(host.listings.sort(), ["eth0", "eth1"]);
  // someone deletes one address by hand: the daemon still believes it is there, status does not
  host.addresses.get("eth0")!.delete("10.0.0.2");
  const st = await vi1(daemon);
  assert.equal(st.state, "master");
  assert.deepEqual(present(st), ["10.0.0.1 true", "10.0.0.2 false", "10.0.9.9 true"]);
  assert.equal(st.vipError, null);
  await daemon.shutdown();
});

Deno.test("status falls back to the daemon's belief when the host cannot be asked", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await boot(host);
  await host.advance(masterDownIntervalMs(2, 100, 100));
  host.presentVips = () => Promise.reject(new Error("ip: not found"));
  assert.deepEqual(present(await vi1(daemon)).map((l) => l.split(" ")[1]), [
    "true",
    "true",
    "true",
  ]);
  assert.ok(lines.some((l) => l.includes("cannot list addresses on eth0: Error: ip: not found")));
  await daemon.shutdown();
});

Deno.test("a VIP add that finally failed is retried in the background until ip works; status shows the error meanwhile", async () => {
  const host = new FakeHost();
  const { daemon, lines } = await boot(host);
  host.failNext = 1_000_000;
  await host.advance(masterDownIntervalMs(2, 100, 100));
  // the foreground attempts: 3 per device
  await host.advance(2 * VIP_RETRY_DELAY_MS * 3 + 10); // 3 tries on each of 2 devices
  let st = await vi1(daemon);
  assert.equal(st.state, "master");
  assert.match(
    st.vipError ?? "",
    /ip addr add 10\.0\.0\.1\/24 10\.0\.0\.2\/24 dev eth0 failed: RTNETLINK/,
  );
  assert.deepEqual(present(st).map((l) => l.split(" ")[1]), ["false", "false", "false"]);
  // ip starts working: the next background retry reconciles
  host.failNext = 0;
  await host.advance(VIP_BACKGROUND_RETRY_MIN_MS);
  st = await vi1(daemon);
  assert.equal(st.vipError, null);
  assert.deepEqual(present(st).map((l) => l.split(" ")[1]), ["true", "true", "true"]);
  assert.ok(lines.some((l) => l.includes("VIP add succeeded after retries")));
  await daemon.shutdown();
  assert.deepEqual(host.vipsOn(), []);
});

Deno.test("background VIP retries back off from 1 s, doubling, capped at 30 s", async () => {
  const host = new FakeHost();
  host.interfaces.set("eth1", "192.168.9.1");
  const times: number[] = [];
  const orig = host.addVips.bind(host);
  host.addVips = (vips, dev) => {
    if (dev === "eth0") addTimes(host, times)();
    return orig(vips, dev);
  };
  // the master does not give way here (see faults_test.ts): the retries themselves are tested
  const { daemon } = await boot(host, 1e9);
  host.failNext = 1_000_000;
  await host.advance(masterDownIntervalMs(2, 100, 100));
  await host.advance(200_000);
  const gaps = times.slice(3).map((t, i) => Math.round(t - times[i + 2]));
  // the first gap also holds the other device's failed attempts (one try each in background)
  assert.deepEqual(gaps.slice(1, 7), [2000, 4000, 8000, 16000, 30000, 30000]);
  assert.ok(gaps.every((g) => g <= VIP_BACKGROUND_RETRY_MAX_MS));
  host.failNext = 0;
  await daemon.shutdown();
});

Deno.test("background VIP retries stop when the role no longer wants them", async () => {
  const host = new FakeHost();
  const { daemon } = await boot(host);
  host.failNext = 1_000_000;
  await host.advance(masterDownIntervalMs(2, 100, 100));
  await host.advance(2 * VIP_RETRY_DELAY_MS * 3 + 10); // 3 tries on each of 2 devices
  assert.ok((await vi1(daemon)).vipError);
  // a higher-priority peer: we step down, the add is superseded by a remove (which succeeds)
  host.failNext = 0;
  const peer = () =>
    host.deliver(
      "eth0",
      received({
        vrid: 1,
        priority: 200,
        version: 2,
        advertIntervalCs: 100,
        authType: 0,
        authData: authDataFromPassword(""),
        addresses: ["10.0.0.1", "10.0.0.2", "10.0.9.9"],
      }, { source: "10.101.1.186" }),
    );
  peer();
  await host.advance(10);
  const before = host.ipLog.filter((l) => l.startsWith("add")).length;
  for (let i = 0; i < 60; i++) {
    peer();
    await host.advance(1000);
  }
  assert.equal(host.ipLog.filter((l) => l.startsWith("add")).length, before, "no add after backup");
  const st = await vi1(daemon);
  assert.equal(st.state, "backup");
  assert.equal(st.vipError, null);
  assert.deepEqual(host.vipsOn(), []);
  await daemon.shutdown();
});
