/** Fake ports for driving the daemon in tests: a manual clock, recorded sends, an in-memory host. */
import assert from "node:assert/strict";
import { parseConfigText } from "../../config/load.ts";
import type { VipConfig } from "../../config/model.ts";
import { Daemon } from "../../lib/daemon/daemon.ts";
import type { GroupChange } from "../../lib/daemon/group_state.ts";
import { Logger } from "../../lib/daemon/logger.ts";
import type {
  AddressChange,
  Effects,
  HostAddress,
  InterfacePort,
  Received,
  RoutineAdvert,
  SendTo,
  VipOutcome,
} from "../../lib/daemon/effects.ts";
import { decodeAdvert } from "../../lib/vrrp/packet.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";
import { InterfaceError } from "../../lib/daemon/effects.ts";

interface Timer {
  id: number;
  at: number;
  fn: () => void;
}

/** A host in memory: interfaces, their addresses, and what was sent on them. */
export class FakeHost implements Effects {
  nowMs = 0;
  #timers: Timer[] = [];
  #nextId = 1;
  /** interface name -> primary IP (absent: the interface does not exist) */
  interfaces = new Map<string, string>([["eth0", "10.101.1.185"]]);
  /** interface name -> IPv6 link-local address (absent: none) */
  linkLocal = new Map<string, string>();
  /** dev -> addresses configured on it (VIPs only) */
  addresses = new Map<string, Set<string>>();
  /** every VRRP message sent, with the interface, the time and where it went */
  adverts: { iface: string; at: number; message: Uint8Array; to: SendTo }[] = [];
  frames: { iface: string; at: number; frame: Uint8Array }[] = [];
  /** every `ip` run, in order */
  ipLog: string[] = [];
  /** the next N add/remove runs fail with this stderr */
  failNext = 0;
  failStderr = "RTNETLINK answers: Operation not permitted";
  /** when set, VIP runs wait for this promise (a slow `ip`) */
  gate: Promise<void> | null = null;
  permissionDenied = false;
  receivers = new Map<string, (r: Received) => void>();
  /** interfaces whose sends fail (a deleted interface, a firewall), with the error text */
  sendFails = new Map<string, string>();
  /** destinations (unicast peers, groups) whose sends fail, with the error text */
  sendFailsTo = new Map<string, string>();
  /** interface name -> its index; bump it to model a deleted and re-created interface */
  ifindex = new Map<string, number>();
  /** `ip -batch -` probe outcome (see Effects.probeVipTool) */
  vipToolWorks = true;
  /** packets the "kernel" holds for an interface, not yet handed over (see {@link queue}) */
  queued = new Map<string, Received[]>();
  /** the routine adverts each port was told last, by "iface family" (see setRoutine) */
  routine = new Map<string, RoutineAdvert[]>();
  closed: string[] = [];
  /** interface name -> more addresses on it than the primary (unicast_src_ip checks) */
  extraAddresses = new Map<string, string[]>();
  /** multicast groups joined: `iface family group` (again after each rebind) */
  joined: string[] = [];
  /** ensureFamily calls: `iface family` */
  families: string[] = [];

  now(): number {
    return this.nowMs;
  }
  setTimer(delayMs: number, fn: () => void): number {
    const id = this.#nextId++;
    this.#timers.push({ id, at: this.nowMs + Math.max(0, delayMs), fn });
    return id;
  }
  clearTimer(id: number): void {
    this.#timers = this.#timers.filter((t) => t.id !== id);
  }
  /** Advances the clock by `ms`, firing every timer due on the way, in time order. */
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (;;) {
      await flush();
      const due = this.#timers.filter((t) => t.at <= end).sort((a, b) =>
        a.at - b.at || a.id - b.id
      );
      if (due.length === 0) break;
      const t = due[0];
      this.#timers = this.#timers.filter((x) => x !== t);
      this.nowMs = Math.max(this.nowMs, t.at);
      t.fn();
    }
    this.nowMs = end;
    await flush();
  }

  openInterface(name: string, onPacket: (r: Received) => void): Promise<InterfacePort> {
    if (this.permissionDenied) {
      return Promise.reject(new InterfaceError(name, "permission", `no permission on ${name}`));
    }
    const ip = this.interfaces.get(name);
    if (ip === undefined) {
      return Promise.reject(
        new InterfaceError(name, "missing", `interface ${name} does not exist`),
      );
    }
    this.receivers.set(name, onPacket);
    let boundIndex = this.ifindex.get(name) ?? 1;
    /** the groups this port joined (beside the defaults) */
    const groups: string[] = [];
    const failure = () => {
      const stale = (this.ifindex.get(name) ?? 1) !== boundIndex;
      const why = stale ? "sendto: No such device" : this.sendFails.get(name);
      if (why !== undefined) throw new Error(why);
    };
    return Promise.resolve({
      name,
      mac: new Uint8Array([2, 0, 0, 0, 0, 0xa]),
      address: (family) => family === "ipv4" ? ip : this.linkLocal.get(name) ?? null,
      ensureFamily: (family) => void this.families.push(`${name} ${family}`),
      hasAddress: (a) =>
        a === ip || a === this.linkLocal.get(name) ||
        (this.extraAddresses.get(name) ?? []).includes(a),
      joinGroup: (family, group) => {
        const g = `${name} ${family} ${group}`;
        if (!groups.includes(g)) groups.push(g);
        this.joined.push(g);
      },
      send: (message, to) => {
        failure();
        const why = this.sendFailsTo.get(to.dst);
        if (why !== undefined) throw new Error(why);
        this.adverts.push({ iface: name, at: this.nowMs, message, to });
      },
      sendFrames: (frames) => {
        failure();
        for (const frame of frames) this.frames.push({ iface: name, at: this.nowMs, frame });
      },
      rebindIfMoved: () => {
        if (!this.interfaces.has(name)) return "missing";
        const now = this.ifindex.get(name) ?? 1;
        if (now === boundIndex) return "same";
        boundIndex = now;
        // new sockets: the groups are joined again
        this.joined.push(...groups);
        return "rebound";
      },
      setRoutine: (family, adverts) => void this.routine.set(`${name} ${family}`, adverts),
      drainReceived: () => {
        const list = this.queued.get(name) ?? [];
        this.queued.delete(name);
        for (const p of list) onPacket(p);
      },
      close: () => {
        this.closed.push(name);
        this.receivers.delete(name);
        return Promise.resolve();
      },
    });
  }

  /**
   * Queues a packet as if it had reached `iface`'s socket but the receive loop had not woken
   * yet: only the port's drainReceived() hands it over.
   */
  queue(iface: string, packet: Received): void {
    // it arrived now, whenever it is read (a real port stamps the kernel's arrival time)
    this.queued.set(iface, [...(this.queued.get(iface) ?? []), { ...packet, atMs: this.nowMs }]);
  }

  /** Delivers a packet as if received on `iface` now. */
  deliver(iface: string, packet: Received): void {
    this.receivers.get(iface)?.({ ...packet, atMs: this.nowMs });
  }

  /** The adverts sent (on `iface`, when given) that decode, in order. */
  sentAdverts(iface?: string): Advertisement[] {
    return this.adverts.filter((a) => iface === undefined || a.iface === iface)
      .map((a) => decodeAdvert(a.message, a.to))
      .flatMap((r) => r.ok ? [r.advert] : []);
  }

  async #vipRun(op: "add" | "remove", vips: VipConfig[], dev: string): Promise<VipOutcome> {
    if (this.gate) await this.gate;
    this.ipLog.push(`${op} ${vips.map((v) => v.address).join(",")} ${dev}`);
    if (this.failNext > 0) {
      this.failNext--;
      return { ok: false, stderr: this.failStderr };
    }
    const set = this.addresses.get(dev) ?? new Set();
    for (const v of vips) op === "add" ? set.add(v.address) : set.delete(v.address);
    this.addresses.set(dev, set);
    return { ok: true };
  }
  addVips(vips: VipConfig[], dev: string): Promise<VipOutcome> {
    return this.#vipRun("add", vips, dev);
  }
  removeVips(vips: VipConfig[], dev: string): Promise<VipOutcome> {
    return this.#vipRun("remove", vips, dev);
  }
  probeVipTool(): Promise<VipOutcome> {
    return Promise.resolve(this.vipToolWorks ? { ok: true } : { ok: false, stderr: "ip: failing" });
  }
  presentVips(vips: VipConfig[], dev: string): Promise<boolean[]> {
    const set = this.addresses.get(dev) ?? new Set();
    return Promise.resolve(vips.map((v) => set.has(v.address)));
  }
  /** link state by interface (absent: running when the interface exists) */
  links = new Map<string, boolean>();
  linkRunning(iface: string): boolean {
    return this.links.get(iface) ?? this.interfaces.has(iface);
  }
  /** The VIPs on `dev`, sorted. */
  vipsOn(dev = "eth0"): string[] {
    return [...(this.addresses.get(dev) ?? [])].sort();
  }
}

/** Lets pending promise callbacks run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

/** A FakeHost that also offers the event-driven link watch (rtnetlink in the real daemon). */
export class WatchingHost extends FakeHost {
  #watchers = new Set<{ onChange: (names: string[] | null) => void; onFailed: () => void }>();
  /** how many watches were started and stopped */
  watchesStarted = 0;
  watchesStopped = 0;

  watchLinks(
    onChange: (names: string[] | null) => void,
    onFailed: () => void,
  ): (() => Promise<void>) | null {
    const w = { onChange, onFailed };
    this.#watchers.add(w);
    this.watchesStarted++;
    return () => {
      if (this.#watchers.delete(w)) this.watchesStopped++;
      return Promise.resolve();
    };
  }

  /** Sets a link's state and announces it like the kernel would (`null`: messages lost). */
  announce(iface: string, running: boolean, lost = false): void {
    this.links.set(iface, running);
    for (const w of this.#watchers) w.onChange(lost ? null : [iface]);
  }

  /** The watch breaks down (e.g. the socket failed). */
  breakWatch(): void {
    const all = [...this.#watchers];
    this.#watchers.clear();
    for (const w of all) w.onFailed();
  }
}

/**
 * A FakeHost whose addresses are watched like rtnetlink does in the real daemon: every change,
 * ours (`ip addr`) or someone else's ({@link remove}, {@link add}), is announced.
 */
export class AddressWatchingHost extends FakeHost {
  #watchers = new Set<{ onChange: (c: AddressChange[] | null) => void; onFailed: () => void }>();
  listings = 0;
  presentCalls = 0;

  watchAddresses(
    onChange: (c: AddressChange[] | null) => void,
    onFailed: () => void,
  ): (() => Promise<void>) | null {
    const w = { onChange, onFailed };
    this.#watchers.add(w);
    return () => {
      this.#watchers.delete(w);
      return Promise.resolve();
    };
  }

  listAddresses(): HostAddress[] {
    this.listings++;
    return [...this.addresses].flatMap(([dev, set]) =>
      [...set].map((address) => ({ dev, address, prefixLen: 24 }))
    );
  }

  override presentVips(vips: VipConfig[], dev: string): Promise<boolean[]> {
    this.presentCalls++;
    return super.presentVips(vips, dev);
  }

  override addVips(vips: VipConfig[], dev: string): Promise<VipOutcome> {
    return this.#announced(dev, () => super.addVips(vips, dev));
  }

  override removeVips(vips: VipConfig[], dev: string): Promise<VipOutcome> {
    return this.#announced(dev, () => super.removeVips(vips, dev));
  }

  /** Something else removes `address` from `dev` (`lost`: the kernel drops the message). */
  remove(dev: string, address: string, lost = false): void {
    this.addresses.get(dev)?.delete(address);
    this.#announce(lost ? null : [{ dev, address, prefixLen: 24, deleted: true }]);
  }

  /** Something else adds `address` on `dev`. */
  add(dev: string, address: string): void {
    const set = this.addresses.get(dev) ?? new Set();
    set.add(address);
    this.addresses.set(dev, set);
    this.#announce([{ dev, address, prefixLen: 24, deleted: false }]);
  }

  async #announced(dev: string, run: () => Promise<VipOutcome>): Promise<VipOutcome> {
    const before = new Set(this.addresses.get(dev) ?? []);
    const r = await run();
    const after = this.addresses.get(dev) ?? new Set();
    const changes: AddressChange[] = [
      ...[...before].filter((a) => !after.has(a)).map((address) => ({ address, deleted: true })),
      ...[...after].filter((a) => !before.has(a)).map((address) => ({ address, deleted: false })),
    ].map((c) => ({ dev, prefixLen: 24, ...c }));
    if (changes.length > 0) this.#announce(changes);
    return r;
  }

  #announce(changes: AddressChange[] | null): void {
    for (const w of this.#watchers) w.onChange(changes);
  }
}

/**
 * Starts a daemon on `host` with the keepalived-style config `text` (which must have no errors),
 * logging at debug level into `lines`; a reload reads what `reloadText()` returns then (default:
 * `text` again).
 */
export async function bootDaemon(
  host: FakeHost,
  text: string,
  reloadText?: () => string,
  opts: { vipFailTimeoutMs?: number } = {},
) {
  const lines: string[] = [];
  const groups: GroupChange[] = [];
  const transitions: string[] = [];
  const logger = new Logger({ level: "debug", format: "text", sink: (l) => lines.push(l) });
  const parse = (t: string) => parseConfigText(t, "test.conf", "keepalived", { configId: "x" });
  const loaded = parse(text);
  assert.deepEqual(loaded.diagnostics.filter((d) => d.severity === "error"), []);
  const daemon = await Daemon.start(loaded.config, {
    effects: host,
    logger,
    configFile: "test.conf",
    loadConfig: () => Promise.resolve(parse(reloadText?.() ?? text)),
    pid: 1,
    onGroupTransition: (c) => groups.push(c),
    onTransition: (t) => transitions.push(`${t.cfg.name} ${t.from} -> ${t.to}`),
    vipFailTimeoutMs: opts.vipFailTimeoutMs,
  });
  return { daemon, lines, groups, transitions };
}
