/** A fake `DaemonApi` for control tests: two instances, admin down/up, a reload that fails. */
import type { DaemonApi, InstanceStatus, Reply, StatusReply } from "../../lib/control/types.ts";

export function sampleInstance(over: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name: "ha-internal-1",
    interface: "eth0",
    vrid: 51,
    state: "master",
    adminDown: false,
    basePriority: 100,
    effectivePriority: 80,
    priorityAdjustments: ["script chk_nginx -20"],
    masterIp: "10.0.0.1",
    vips: [
      { address: "10.0.0.100", prefixLen: 24, dev: "eth0", present: true },
      { address: "10.0.0.101", prefixLen: 32, dev: "eth0", present: false },
    ],
    lastTransition: {
      from: "backup",
      to: "master",
      reason: "masterDownIntervalElapsed",
      at: "2026-01-02T03:04:05.000Z",
    },
    advertsSent: 120,
    advertsReceived: 3,
    drops: { authFailure: 2, badTtl: 0 },
    splitBrain: null,
    vipError: null,
    ...over,
  };
}

export class FakeDaemon implements DaemonApi {
  down = new Set<string>();
  calls: string[] = [];
  instances: InstanceStatus[] = [
    sampleInstance({
      vipError:
        "ip addr add 10.0.0.101/32 dev eth0 failed: RTNETLINK answers: Operation not permitted",
    }),
    sampleInstance({
      name: "ha-external",
      interface: "eth1",
      vrid: 52,
      state: "backup",
      effectivePriority: 100,
      priorityAdjustments: [],
      masterIp: "10.0.1.2",
      vips: [{ address: "192.0.2.10", prefixLen: 32, dev: "eth1", present: false }],
      splitBrain: { peer: "10.0.1.3", priority: 50, at: "2026-01-02T03:04:06.000Z" },
      adverts: {
        mode: "unicast",
        source: "10.0.1.1",
        checkSource: true,
        peers: [
          {
            address: "10.0.1.2",
            lastHeardAt: "2026-01-02T03:04:07.000Z",
            priority: 100,
            advertsReceived: 37,
            advertsSent: 41,
          },
          {
            address: "10.0.1.4",
            lastHeardAt: null,
            priority: null,
            advertsReceived: 0,
            advertsSent: 0,
          },
        ],
      },
    }),
  ];

  /** Asynchronous like the real daemon's (it asks the host which VIPs are present). */
  async status(instance?: string): Promise<StatusReply | { ok: false; error: string }> {
    this.calls.push(`status ${instance ?? "*"}`);
    await Promise.resolve();
    const list = this.instances.map((i) => ({ ...i, adminDown: this.down.has(i.name) }));
    const picked = instance === undefined ? list : list.filter((i) => i.name === instance);
    if (instance !== undefined && picked.length === 0) {
      return { ok: false, error: `no instance named "${instance}"` };
    }
    return {
      ok: true,
      version: 1,
      pid: 4242,
      configFile: "/etc/vrrp/vrrp.toml",
      startedAt: "2026-01-02T03:00:00.000Z",
      instances: picked,
    };
  }
  adminDown(instance: string): Promise<Reply> {
    this.calls.push(`down ${instance}`);
    if (!this.instances.some((i) => i.name === instance)) {
      return Promise.resolve({ ok: false, error: `no instance named "${instance}"` });
    }
    this.down.add(instance);
    return Promise.resolve({ ok: true, message: `${instance}: administratively down` });
  }
  adminUp(instance: string): Promise<Reply> {
    this.calls.push(`up ${instance}`);
    this.down.delete(instance);
    return Promise.resolve({ ok: true, message: `${instance}: back in the election` });
  }
  reload(): Promise<Reply> {
    this.calls.push("reload");
    return Promise.resolve({
      ok: false,
      error: "config has 1 error; keeping the running config",
      diagnostics: ['/etc/vrrp/vrrp.toml:17:5: error: unknown keyword "advert_intt"'],
    });
  }
}
