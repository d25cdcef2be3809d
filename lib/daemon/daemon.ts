/**
 * The daemon: owns the interfaces (raw sockets shared by the instances on it), decodes every
 * received message once and dispatches it by (family, VRID), runs one scheduler for all deadlines,
 * and implements the control socket's `DaemonApi` (status, admin down/up, reload).
 */
import type {
  Config,
  InstanceConfig,
  LoadResult,
  SyncGroupConfig,
  VipConfig,
} from "../../config/model.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";
import { hasErrors } from "../../config/load.ts";
import type { DaemonApi, InstanceStatus, Reply, StatusReply } from "../control/types.ts";
import { canonicalAddress, type Family } from "../vrrp/address.ts";
import { decodeAdvert } from "../vrrp/packet.ts";
import { AddressView } from "./address_view.ts";
import { DropLog } from "./drop_log.ts";
import { type GroupChange, GroupStates } from "./group_state.ts";
import {
  type Effects,
  InterfaceError,
  type InterfacePort,
  type MulticastGroups,
  type Received,
} from "./effects.ts";
import { InstanceRuntime, type TransitionInfo } from "./instance.ts";
import type { DropReason, FsmEvent } from "../vrrp/types.ts";
import type { Logger } from "./logger.ts";
import {
  configuredSource,
  instanceFamily,
  instanceGroup,
  instanceParams,
  vipDev,
  wireAddresses,
} from "./params.ts";
import { planReload } from "./reload_diff.ts";
import { Scheduler } from "./scheduler.ts";
import { syncRolePlan } from "./sync_roles.ts";
import { Tracking } from "./tracking.ts";

/** How the daemon is built. */
export interface DaemonOptions {
  effects: Effects;
  logger: Logger;
  /** re-reads the config (SIGHUP, `vrrp reload`) */
  loadConfig: () => Promise<LoadResult>;
  /** the file the config came from, for status */
  configFile: string;
  pid?: number;
  wallClock?: () => Date;
  /** instances an operator took down before the restart (admin-state persistence) */
  adminDownAtStart?: ReadonlySet<string>;
  /** called with every administratively-down name after each admin change, to persist them */
  onAdminChange?: (down: string[]) => Promise<void>;
  /** called after every role change of every instance (notify scripts) */
  onTransition?: (t: TransitionInfo) => void;
  /** called when a `vrrp_sync_group` as a whole enters a state (group notify scripts) */
  onGroupTransition?: (c: GroupChange) => void;
  /** how long a master may lack its VIPs before it gives way (DEFAULT_VIP_FAIL_TIMEOUT_MS) */
  vipFailTimeoutMs?: number;
}

/** How often every open interface is checked for a new index, and missing ones for existing. */
export const INTERFACE_CHECK_MS = 5000;
/**
 * The same check while the rtnetlink link watch runs: link events already trigger it, so this
 * is only a safety net, and an idle daemon should not wake for it every few seconds.
 */
export const INTERFACE_SAFETY_CHECK_MS = 30_000;

/** One opened interface and the instances on it, by {@link instanceKey}. */
interface IfaceEntry {
  port: InterfacePort;
  byKey: Map<string, InstanceRuntime>;
  drops: DropLog;
  /** the interface did not exist when it was wanted: `port` only fails, until it appears */
  missing: boolean;
}

/** A port for an interface that does not exist (yet): every send fails and says why. */
function missingPort(name: string): InterfacePort {
  const fail = () => {
    throw new Error(`interface ${name} does not exist`);
  };
  return {
    name,
    mac: new Uint8Array(6),
    address: () => null,
    // the real port opens the families when the interface appears (#openPort)
    ensureFamily: () => {},
    send: fail,
    sendFrames: fail,
    rebindIfMoved: () => "missing",
    close: () => Promise.resolve(),
  };
}

/** A firing reads the held-back routine adverts when a backup's deadline is this close. */
const ROUTINE_DEADLINE_LOOKAHEAD_MS = 5;

/** Instances are found by (family, VRID): one VRID may exist once per family (RFC 5798 §5.2.3). */
export function instanceKey(family: Family, vrid: number): string {
  return `${family}/${vrid}`;
}

/** A running daemon. Build it with {@link Daemon.start}. */
export class Daemon implements DaemonApi {
  readonly #opts: DaemonOptions;
  readonly #log: Logger;
  readonly #ifaces = new Map<string, IfaceEntry>();
  readonly #instances = new Map<string, InstanceRuntime>();
  /**
   * The instances that expect routine adverts (backups following a master): the only ones a
   * deadline firing has to look at before it drains the quiet sockets. A master of 255 VRIDs has
   * none, and its 2,550 deadlines a second then cost no walk over every instance.
   */
  readonly #routineInstances = new Set<InstanceRuntime>();
  readonly #scheduler: Scheduler<InstanceRuntime>;
  readonly #startedAt: string;
  readonly #tracking: Tracking;
  readonly #groups = new GroupStates();
  readonly #addresses: AddressView;
  #config: Config;
  #reloading: Promise<Reply> | null = null;
  /** >0 while applying a sync-group plan: the changes it causes do not plan again */
  #syncDepth = 0;
  #syncGroups: SyncGroupConfig[];
  #stopping: Promise<void> | null = null;
  #interfaceTimer: number | null = null;
  /** the rtnetlink link watch is delivering events (see #armInterfaceCheck) */
  #linkWatchLive = false;
  /** run() has started the instances: adverts before that are for nobody yet */
  #running = false;
  /** instances being restarted on an interface that appeared: their stop is not reported */
  readonly #quietStops = new Set<string>();

  private constructor(config: Config, opts: DaemonOptions) {
    this.#opts = opts;
    this.#log = opts.logger;
    this.#config = config;
    // an advert already queued when a deadline fires arrived in time: hear it first
    this.#scheduler = new Scheduler(
      opts.effects,
      (inst) => inst.deadlineReached(),
      () => {
        // routine adverts held back (lazy reading) matter to a backup's deadline only
        if (this.#routineDeadlineDue()) {
          for (const { port } of this.#ifaces.values()) port.drainRoutine?.();
        }
        for (const { port } of this.#ifaces.values()) port.drainReceived?.();
      },
    );
    this.#startedAt = this.#wallClock().toISOString();
    const { effects } = opts;
    this.#tracking = new Tracking({
      log: opts.logger,
      dispatch: (name, event) => this.dispatch(name, event),
      linkRunning: effects.linkRunning?.bind(effects),
      // our own sockets hear of links first: re-created interfaces are rebound before
      // tracking clears their fault, and missing ones are opened when they appear
      watchLinks: effects.watchLinks
        ? (onChange, onFailed) => {
          const stop = effects.watchLinks!((names) => {
            void this.#checkInterfaces(names);
            onChange(names);
          }, () => {
            this.#linkWatchLive = false;
            onFailed();
          });
          if (stop === null) return null;
          this.#linkWatchLive = true;
          return () => {
            this.#linkWatchLive = false;
            return stop();
          };
        }
        : undefined,
      setTimer: (ms, fn) => effects.setTimer(ms, fn),
      clearTimer: (id) => effects.clearTimer(id),
    });
    this.#groups.configure(config.syncGroups);
    this.#syncGroups = config.syncGroups;
    this.#addresses = new AddressView({
      effects,
      log: opts.logger,
      onChange: (dev, address, present) => this.#onAddressChange(dev, address, present),
    });
  }

  /**
   * Opens every interface (throws {@link InterfaceError} before anything on the host changes),
   * removes configured VIPs a crashed run left behind, then starts every instance: {@link open}
   * then {@link run}.
   */
  static async start(config: Config, opts: DaemonOptions): Promise<Daemon> {
    const d = await Daemon.open(config, opts);
    await d.run();
    return d;
  }

  /**
   * Opens every interface: the sockets join the VRRP groups and receive from now on, but no
   * instance runs and nothing on the host changes until {@link run}. Throws
   * {@link InterfaceError} (nothing left open) when an interface cannot be used. The daemon
   * starts with this, before its control socket and metrics listener, so the group is joined
   * as early as possible; {@link shutdown} closes it again if one of those refuses the start.
   */
  static async open(config: Config, opts: DaemonOptions): Promise<Daemon> {
    const d = new Daemon(config, opts);
    try {
      await d.#openInterfaces(config.instances);
      d.#checkSources(config.instances);
    } catch (err) {
      await d.#closeUnused(new Set());
      throw err;
    }
    return d;
  }

  /**
   * Starts the instances of an {@link open}ed daemon, after removing configured VIPs a crashed
   * run left behind: no advert and no VIP change comes before that.
   */
  async run(): Promise<void> {
    const config = this.#config;
    this.#running = true;
    await this.#removeLeftovers(config.instances);
    // the host's addresses are followed before any instance adds one
    if (!this.#addresses.start()) {
      this.#log.warn(
        "VIP presence is read per status request; VIPs removed by others are not repaired",
      );
    }
    // trackers first: an instance whose check fails or whose link is down starts that way
    await this.#tracking.reconfigure(config);
    for (const cfg of config.instances) this.#startInstance(cfg, config.global);
    this.#armInterfaceCheck();
    this.#log.info(`started with ${config.instances.length} instance(s)`, {
      instances: config.instances.map((c) => c.name),
    });
    this.#checkVipTool();
  }

  /**
   * Runs `ip` once now, in the background: the first child a Deno process starts costs several
   * ms more than later ones (its child-process machinery starts then; 9 vs 2 ms here, ~230 ms
   * under 8 busy loops), and that cost belongs to the start, not to the first takeover. A tool
   * that cannot run is reported now, not when a VIP is first needed.
   */
  #checkVipTool(): void {
    const probe = this.#opts.effects.probeVipTool;
    if (probe === undefined) return;
    const report = (why: string) =>
      this.#log.error(`cannot run ip (iproute2): ${why}; VIPs cannot be added or removed`);
    probe.call(this.#opts.effects).then(
      (r) => r.ok || report(r.stderr.trim()),
      (err) => report(err instanceof Error ? err.message : String(err)),
    );
  }

  /** The running instances, by name (for tests). */
  get instances(): ReadonlyMap<string, InstanceRuntime> {
    return this.#instances;
  }

  #wallClock(): Date {
    return (this.#opts.wallClock ?? (() => new Date()))();
  }

  /**
   * Opens the interfaces of `instances`. One that does not exist does not stop the others: its
   * instances run in FAULT until it appears (keepalived 2.2.7 refuses the whole config unless
   * `dynamic_interfaces` is set, then it waits like this). Other failures throw.
   */
  async #openInterfaces(instances: InstanceConfig[]): Promise<void> {
    for (const name of new Set(instances.map((c) => c.interface))) {
      const entry = this.#ifaces.get(name);
      // a missing interface is opened when it appears, with all its instances
      if (entry?.missing) continue;
      if (entry) {
        // an open port serves other instances: a failure here leaves it open
        this.#prepareFamilies(entry.port, name, instances);
        continue;
      }
      let port: InterfacePort;
      try {
        port = await this.#openPort(name, instances);
      } catch (err) {
        if (!(err instanceof InterfaceError) || err.kind !== "missing") throw err;
        const names = instances.filter((c) => c.interface === name).map((c) => c.name);
        this.#log.error(
          `interface ${name} does not exist: ${names.join(", ")} stay in FAULT until it ` +
            `appears (keepalived 2.2.7 would refuse to start without dynamic_interfaces)`,
        );
        this.#ifaces.set(name, {
          port: missingPort(name),
          byKey: new Map(),
          drops: new DropLog(),
          missing: true,
        });
        continue;
      }
      this.#ifaces.set(name, { port, byKey: new Map(), drops: new DropLog(), missing: false });
    }
  }

  /** Opens `name` with what its `instances` need on it (IPv6); closed again when that fails. */
  async #openPort(name: string, instances: InstanceConfig[]): Promise<InterfacePort> {
    const port = await this.#opts.effects.openInterface(
      name,
      (r) => this.#onReceive(name, r),
      this.#groups4and6(),
    );
    try {
      this.#prepareFamilies(port, name, instances);
    } catch (err) {
      await port.close();
      throw err;
    }
    return port;
  }

  /** Opens each instance's family on `port` and checks it has a source address there. */
  #prepareFamilies(port: InterfacePort, name: string, instances: InstanceConfig[]): void {
    for (const c of instances) {
      if (c.interface !== name) continue;
      const family = instanceFamily(c);
      port.ensureFamily(family);
      if (configuredSource(c) !== undefined || port.address(family) !== null) continue;
      const what = family === "ipv4" ? "IPv4 address" : "IPv6 link-local address";
      throw new InterfaceError(name, "other", `interface ${name} has no ${what}`);
    }
  }

  /**
   * unicast_src_ip / mcast_src_ip must be an address of the instance's interface: adverts from
   * an address the host does not have would never be answered (checked before anything changes
   * on the host, at start and on reload).
   */
  #checkSources(instances: InstanceConfig[]): void {
    for (const c of instances) {
      const src = configuredSource(c);
      const port = this.#ifaces.get(c.interface)?.port;
      if (src === undefined || port?.hasAddress === undefined) continue;
      if (port.hasAddress(canonicalAddress(src) ?? src)) continue;
      const kw = c.mcastSrcIp !== undefined ? "mcast_src_ip" : "unicast_src_ip";
      throw new InterfaceError(
        c.interface,
        "other",
        `instance ${c.name}: ${kw} ${src} is not an address of interface ${c.interface}`,
      );
    }
  }

  #armInterfaceCheck(): void {
    if (this.#stopping) return;
    const period = this.#linkWatchLive ? INTERFACE_SAFETY_CHECK_MS : INTERFACE_CHECK_MS;
    this.#interfaceTimer = this.#opts.effects.setTimer(period, () => {
      this.#interfaceTimer = null;
      void this.#checkInterfaces(null).finally(() => this.#armInterfaceCheck());
    });
  }

  /**
   * After link changes (`names`, or null for all): an interface re-created with a new index gets
   * new sockets; a missing one that now exists is opened and its instances restarted on it.
   */
  async #checkInterfaces(names: string[] | null): Promise<void> {
    for (const [name, entry] of [...this.#ifaces]) {
      if (this.#stopping || (names !== null && !names.includes(name))) continue;
      if (entry.missing) {
        await this.#openAppeared(name, entry);
        continue;
      }
      let r: "same" | "rebound" | "missing";
      try {
        r = entry.port.rebindIfMoved?.() ?? "same";
      } catch (err) {
        this.#log.error(`interface ${name} came back but its sockets cannot be re-opened: ${err}`);
        continue;
      }
      if (r === "rebound") {
        this.#log.warn(`interface ${name} was re-created (new index): sockets re-opened`);
      }
      const moved: InstanceConfig[] = [];
      for (const inst of entry.byKey.values()) {
        // a re-created interface may bring another IPv6 link-local address: the advert source
        const now = entry.port.address(inst.params.family);
        const src = configuredSource(inst.cfg);
        if (src === undefined && now !== null && now !== inst.params.primaryIp) {
          moved.push(inst.cfg);
        } else if (r === "rebound") inst.portRebound();
      }
      if (moved.length === 0) continue;
      const which = moved.map((c) => c.name).join(", ");
      this.#log.warn(`interface ${name} has a new source address: restarting ${which}`);
      await this.#restartQuietly(moved);
    }
  }

  async #openAppeared(name: string, entry: IfaceEntry): Promise<void> {
    const cfgs = [...this.#instances.values()].filter((i) => i.cfg.interface === name).map((i) =>
      i.cfg
    );
    let port: InterfacePort;
    try {
      port = await this.#openPort(name, cfgs);
    } catch (err) {
      if (!(err instanceof InterfaceError && err.kind === "missing")) {
        this.#log.warn(`interface ${name} appeared but cannot be opened yet: ${String(err)}`);
      }
      return;
    }
    if (this.#stopping || this.#ifaces.get(name) !== entry || !entry.missing) {
      await port.close();
      return;
    }
    entry.port = port;
    entry.missing = false;
    this.#log.info(`interface ${name} appeared: starting ${cfgs.map((c) => c.name).join(", ")}`);
    // restarted: their parameters (the advert source) come from the interface
    await this.#restartQuietly(cfgs);
  }

  /**
   * Restarts instances on their (re-)opened interface, joining their groups again; the stop of
   * an instance that never ran is no transition for hooks (no notify STOP).
   */
  async #restartQuietly(cfgs: InstanceConfig[]): Promise<void> {
    for (const cfg of cfgs) {
      const down = this.#instances.get(cfg.name)?.adminDown ?? false;
      this.#quietStops.add(cfg.name);
      try {
        await this.#stopInstance(cfg.name);
      } finally {
        this.#quietStops.delete(cfg.name);
      }
      if (this.#stopping) return;
      this.#startInstance(cfg, this.#config.global, down);
    }
  }

  async #closeUnused(keep: Set<string>): Promise<void> {
    for (const [name, entry] of [...this.#ifaces]) {
      if (keep.has(name)) continue;
      this.#ifaces.delete(name);
      await entry.port.close();
    }
  }

  /**
   * Removes configured VIPs found on the host before the first election (keepalived does too):
   * one read of the host per device for all `instances` (255 instances: one, not 255).
   */
  async #removeLeftovers(instances: InstanceConfig[]): Promise<void> {
    const { effects } = this.#opts;
    const byDev = new Map<string, VipConfig[]>();
    for (const cfg of instances) {
      for (const v of [...cfg.vips, ...cfg.excludedVips]) {
        const dev = vipDev(cfg, v);
        const vips = byDev.get(dev) ?? [];
        // a VIP two instances share is removed once
        if (!vips.some((w) => w.address === v.address && w.prefixLen === v.prefixLen)) vips.push(v);
        byDev.set(dev, vips);
      }
    }
    for (const [dev, vips] of byDev) {
      let present: boolean[];
      try {
        present = await effects.presentVips(vips, dev);
      } catch (err) {
        this.#log.error(`cannot list addresses on ${dev}: ${String(err)}`);
        continue;
      }
      const left = vips.filter((_, i) => present[i]);
      if (left.length === 0) continue;
      const list = left.map((v) => `${v.address}/${v.prefixLen}`).join(" ");
      const r = await effects.removeVips(left, dev);
      if (r.ok) this.#log.warn(`removed leftover VIPs ${list} from ${dev} (previous run?)`);
      else {
        this.#log.error(`removing leftover VIPs ${list} from ${dev} failed: ${r.stderr.trim()}`);
      }
    }
  }

  /** The multicast groups of the running config (group selection stays a parameter). */
  #groups4and6(): MulticastGroups {
    const g = this.#config.global;
    return { ipv4: g.mcastGroup4, ipv6: g.mcastGroup6 };
  }

  /** The FSM parameters of `cfg` on its (open) interface. */
  #paramsOf(cfg: InstanceConfig, entry: IfaceEntry) {
    const family = instanceFamily(cfg);
    return instanceParams(
      cfg,
      entry.port.address(family) ?? (family === "ipv4" ? "0.0.0.0" : "::"),
    );
  }

  #startInstance(cfg: InstanceConfig, global: Config["global"], adminDown?: boolean): void {
    const entry = this.#ifaces.get(cfg.interface);
    if (!entry) throw new Error(`interface ${cfg.interface} is not open`);
    const family = instanceFamily(cfg);
    const params = this.#paramsOf(cfg, entry);
    const group = instanceGroup(cfg, global);
    // the sockets joined the global groups when the interface opened; mcast_dst_ip adds one
    if (params.unicast === null && group !== this.#groups4and6()[family]) {
      try {
        entry.port.joinGroup?.(family, group);
      } catch (err) {
        this.#log.error(`cannot join ${group} on ${cfg.interface}: ${String(err)}`);
      }
    }
    for (const p of params.unicast?.peers ?? []) {
      if (entry.port.hasAddress?.(p.address)) {
        this.#log.warn(
          `instance ${cfg.name}: unicast_peer ${p.address} is an address of ${cfg.interface} ` +
            `(this host): adverts to it go nowhere`,
        );
      }
    }
    const inst = new InstanceRuntime(cfg, params, {
      wire: wireAddresses(params, group),
      effects: this.#opts.effects,
      // read at each use: the entry's port is replaced when a missing interface appears
      get port() {
        return entry.port;
      },
      vipFailTimeoutMs: this.#opts.vipFailTimeoutMs,
      log: this.#log.forInstance(cfg.name, cfg.vrid, cfg.interface),
      scheduler: this.#scheduler,
      wallClock: () => this.#wallClock(),
      onTransition: (t) => this.#onTransition(t),
      onRoutineChanged: () => this.#routineChanged(entry, params.family),
    });
    this.#instances.set(cfg.name, inst);
    entry.byKey.set(instanceKey(params.family, cfg.vrid), inst);
    this.#tracking.attach(cfg);
    if (entry.missing) {
      inst.feed({ type: "faultRaised", reason: `interface ${cfg.interface} does not exist` });
    }
    inst.start(adminDown ?? this.#opts.adminDownAtStart?.has(cfg.name) ?? false);
  }

  async #stopInstance(name: string): Promise<void> {
    const inst = this.#instances.get(name);
    if (!inst) return;
    this.#tracking.detach(name);
    await inst.stop();
    this.#routineInstances.delete(inst);
    this.#instances.delete(name);
    const entry = this.#ifaces.get(inst.cfg.interface);
    const key = instanceKey(inst.params.family, inst.cfg.vrid);
    if (entry?.byKey.get(key) === inst) entry.byKey.delete(key);
  }

  /**
   * Every role change: the instance hook (notify), the sync groups' own state (group notify),
   * then role following: the group's other members are asked to follow an own-election change.
   */
  #onTransition(t: TransitionInfo): void {
    if (this.#quietStops.has(t.cfg.name)) return;
    this.#opts.onTransition?.(t);
    const roleOf = (n: string) => this.#instances.get(n)?.role;
    const changes = this.#groups.update(t.cfg.name, roleOf, this.#stopping !== null);
    for (const c of changes) {
      this.#log.info(`sync group ${c.group.name} -> ${c.to}`, { group: c.group.name, to: c.to });
      this.#opts.onGroupTransition?.(c);
    }
    if (this.#syncDepth > 0 || this.#stopping) return;
    const plan = syncRolePlan(
      this.#syncGroups,
      { name: t.cfg.name, from: t.from, to: t.to },
      roleOf,
    );
    if (plan.length === 0) return;
    this.#syncDepth++;
    try {
      for (const r of plan) {
        // re-check: an earlier request of this plan may have moved it already
        if (roleOf(r.name) === r.to) continue;
        this.#instances.get(r.name)?.feed({
          type: "syncRoleRequested",
          to: r.to,
          reason: r.reason,
        });
      }
    } finally {
      this.#syncDepth--;
    }
  }

  /**
   * An address changed on the host (either family; addresses are canonical text on both sides):
   * the instances holding it as a VIP on that device hear it.
   */
  #onAddressChange(dev: string, address: string, present: boolean): void {
    if (this.#stopping) return;
    for (const inst of this.#instances.values()) {
      // excluded VIPs are held (and repaired) with the VIPs
      for (const v of [...inst.cfg.vips, ...inst.cfg.excludedVips]) {
        if (v.address === address && vipDev(inst.cfg, v) === dev) {
          inst.vipPresenceChanged(address, dev, present);
          break;
        }
      }
    }
  }

  #onReceive(iface: string, r: Received): void {
    const entry = this.#ifaces.get(iface);
    if (!entry || this.#stopping || !this.#running) return;
    if (!r.ok) {
      this.#dropped(entry, iface, r.family, r.vrid, r.reason, r.detail);
      return;
    }
    // a unicast instance judges the TTL itself (keepalived: not 255 necessarily, per-peer ranges)
    const peek = r.message.length >= 2
      ? entry.byKey.get(instanceKey(r.family, r.message[1]))
      : undefined;
    const wire = { family: r.family, src: r.src, dst: r.dst, hopLimit: r.hopLimit };
    const unicast = peek !== undefined
      ? peek.params.unicast !== null
      : this.#configuredUnicast(iface, r.family, r.message[1]);
    const d = decodeAdvert(r.message, unicast ? { family: r.family, src: r.src, dst: r.dst } : r);
    if (!d.ok) {
      const vrid = r.message.length >= 2 ? r.message[1] : null;
      this.#dropped(entry, iface, r.family, vrid, d.reason, d.detail);
      return;
    }
    const inst = entry.byKey.get(instanceKey(r.family, d.advert.vrid));
    if (!inst) {
      const n = entry.drops.record("unknownVrid", this.#opts.effects.now());
      if (n > 0) {
        this.#log.debug(
          `[${iface}] ignoring ${r.family} advert for VRID ${d.advert.vrid} (not ours)`,
          { iface, family: r.family, vrid: d.advert.vrid, source: r.src, count: n },
        );
      }
      return;
    }
    inst.receiveAdvert(d.advert, r.src, wire, r.atMs);
  }

  /**
   * Whether an instance expecting routine adverts has its deadline due now, or so soon that it
   * may come due while this firing runs.
   */
  #routineDeadlineDue(): boolean {
    const soon = this.#opts.effects.now() + ROUTINE_DEADLINE_LOOKAHEAD_MS;
    for (const inst of this.#routineInstances) {
      if (inst.routineAdvert() === null) {
        this.#routineInstances.delete(inst);
        continue;
      }
      if ((this.#scheduler.get(inst) ?? Infinity) <= soon) return true;
    }
    return false;
  }

  /** Tells `entry`'s port the routine adverts of `family` its instances expect now. */
  #routineChanged(entry: IfaceEntry, family: Family): void {
    if (entry.port.setRoutine === undefined) return;
    const list = [];
    for (const inst of entry.byKey.values()) {
      if (inst.params.family !== family) continue;
      const r = inst.routineAdvert();
      if (r !== null) {
        list.push(r);
        this.#routineInstances.add(inst);
      } else this.#routineInstances.delete(inst);
    }
    entry.port.setRoutine(family, list);
  }

  /**
   * Whether a unicast instance is configured for (`iface`, `family`, `vrid`) though not started
   * yet (start-up, reload): its peers' adverts may carry any TTL.
   */
  #configuredUnicast(iface: string, family: Family, vrid: number | undefined): boolean {
    return this.#config.instances.some((c) =>
      c.interface === iface && c.vrid === vrid && instanceFamily(c) === family &&
      (c.unicastPeers.length > 0 || c.unicastFaultNoPeer)
    );
  }

  /** A packet dropped below the instance: counted on its instance when the VRID tells which. */
  #dropped(
    entry: IfaceEntry,
    iface: string,
    family: Family,
    vrid: number | null,
    reason: DropReason,
    detail: string,
  ): void {
    const inst = vrid === null ? undefined : entry.byKey.get(instanceKey(family, vrid));
    if (inst) {
      inst.codecDrop(reason, detail);
      return;
    }
    const n = entry.drops.record(reason, this.#opts.effects.now());
    if (n > 0) {
      this.#log.warn(`[${iface}] dropped packet: ${reason}: ${detail}`, {
        iface,
        reason,
        count: n,
      });
    }
  }

  /**
   * Hands an event from outside the wire to one instance, e.g. from tracking:
   * `priorityChanged`, `faultRaised`, `faultCleared`. False when no such instance runs.
   */
  dispatch(instance: string, event: FsmEvent): boolean {
    const inst = this.#instances.get(instance);
    if (!inst || this.#stopping) return false;
    inst.feed(event);
    return true;
  }

  /** Drop counters per interface (codec drops not attributable to an instance, unknown VRIDs). */
  interfaceDrops(): Record<string, Record<string, number>> {
    return Object.fromEntries([...this.#ifaces].map(([n, e]) => [n, { ...e.drops.counts }]));
  }

  /**
   * Stops everything like on SIGTERM: masters send a priority-0 advert and every instance
   * removes its VIPs; then the sockets close. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#log.info("shutting down");
      if (this.#interfaceTimer !== null) this.#opts.effects.clearTimer(this.#interfaceTimer);
      await this.#tracking.stop();
      await Promise.all([...this.#instances.keys()].map((n) => this.#stopInstance(n)));
      await this.#addresses.stop();
      this.#scheduler.stop();
      await this.#closeUnused(new Set());
      this.#log.info("stopped");
    })();
    return this.#stopping;
  }

  // --- DaemonApi -------------------------------------------------------------------------------

  /**
   * Every instance (or one), its counters, the track scripts and the interfaces' own drops, read
   * in one synchronous pass: a consistent snapshot (`/metrics` renders exactly this). Whether
   * each VIP is present comes from the live view of the host's addresses; while that view is
   * not live, it is what the daemon believes.
   */
  snapshot(instance?: string): StatusReply | { ok: false; error: string } {
    // adverts held back (lazy reading) count before anything is read
    for (const { port } of this.#ifaces.values()) {
      port.drainRoutine?.();
      port.drainReceived?.();
    }
    let insts = [...this.#instances.values()];
    if (instance !== undefined) {
      insts = insts.filter((i) => i.cfg.name === instance);
      if (insts.length === 0) return { ok: false, error: `no instance named "${instance}"` };
    }
    const list: InstanceStatus[] = insts.map((i) => {
      const st = i.status();
      for (const v of st.vips) v.present = this.#addresses.has(v.dev, v.address) ?? v.present;
      st.priorityAdjustments = this.#tracking.describe(i.cfg.name);
      return st;
    });
    return {
      ok: true,
      version: 1,
      pid: this.#opts.pid ?? Deno.pid,
      configFile: this.#opts.configFile,
      startedAt: this.#startedAt,
      instances: list,
      scripts: this.#tracking.scripts(),
      interfaceDrops: this.interfaceDrops(),
    };
  }

  /**
   * A snapshot of every instance (or one), as `vrrp status` shows it. VIP presence is the
   * host's: the live address view, or, while it is not live, asked of the host now (one listing
   * per device); if the host cannot be asked, the daemon's belief is shown and the failure logged.
   */
  async status(instance?: string): Promise<StatusReply | { ok: false; error: string }> {
    const snap = this.snapshot(instance);
    if (snap.ok && !this.#addresses.live) await this.#hostPresence(snap.instances);
    return snap;
  }

  /** Replaces each VIP's `present` with what the host says, one `presentVips` per device. */
  async #hostPresence(list: InstanceStatus[]): Promise<void> {
    const byDev = new Map<string, { address: string; prefixLen: number }[]>();
    for (const st of list) {
      for (const v of st.vips) {
        const vips = byDev.get(v.dev) ?? [];
        if (!vips.some((x) => x.address === v.address)) vips.push(v);
        byDev.set(v.dev, vips);
      }
    }
    const present = new Map<string, boolean>();
    await Promise.all([...byDev].map(async ([dev, vips]) => {
      try {
        const got = await this.#opts.effects.presentVips(
          vips.map((v) => ({ address: v.address, prefixLen: v.prefixLen, dev })),
          dev,
        );
        vips.forEach((v, i) => present.set(`${dev} ${v.address}`, got[i] === true));
      } catch (err) {
        this.#log.warn(`status: cannot list addresses on ${dev}: ${String(err)}`);
      }
    }));
    for (const st of list) {
      for (const v of st.vips) v.present = present.get(`${v.dev} ${v.address}`) ?? v.present;
    }
  }

  /** Planned maintenance: the instance hands over at once and stays out of the election. */
  adminDown(instance: string): Promise<Reply> {
    return this.#admin(instance, true);
  }

  /** Brings an instance back into the election. */
  adminUp(instance: string): Promise<Reply> {
    return this.#admin(instance, false);
  }

  async #admin(name: string, down: boolean): Promise<Reply> {
    const inst = this.#instances.get(name);
    if (!inst) return { ok: false, error: `no instance named "${name}"` };
    const word = down ? "down" : "up";
    if (inst.adminDown === down) {
      return { ok: true, message: `${name} is already administratively ${word}` };
    }
    inst.log.info(`administratively ${word} (control request)`);
    inst.setAdminDown(down);
    if (this.#opts.onAdminChange) {
      const names = [...this.#instances.values()].filter((i) => i.adminDown).map((i) => i.cfg.name);
      try {
        await this.#opts.onAdminChange(names);
      } catch (err) {
        const error = `${name} is administratively ${word}, but saving that failed ` +
          `(it will not survive a restart): ${err instanceof Error ? err.message : String(err)}`;
        this.#log.error(error);
        return { ok: false, error };
      }
    }
    return { ok: true, message: `${name} is now administratively ${word}` };
  }

  /**
   * Re-reads the config. On errors the running config stays and the reply carries the
   * diagnostics; otherwise only what changed is applied (SIGHUP takes the same path).
   */
  reload(): Promise<Reply> {
    if (this.#stopping) return Promise.resolve({ ok: false, error: "daemon is stopping" });
    // a second request while one runs waits for it, then runs again with the newest file
    const prev = this.#reloading ?? Promise.resolve<Reply>({ ok: true, message: "" });
    const next = prev.then(() => this.#reloadOnce());
    this.#reloading = next;
    return next;
  }

  async #reloadOnce(): Promise<Reply> {
    this.#log.info("reloading config");
    let loaded: LoadResult;
    try {
      loaded = await this.#opts.loadConfig();
    } catch (err) {
      const error = `reload failed, keeping the running config: ${String(err)}`;
      this.#log.error(error);
      return { ok: false, error };
    }
    if (hasErrors(loaded.diagnostics)) {
      const diagnostics = loaded.diagnostics.filter((d) => d.severity === "error").map(
        formatDiagnostic,
      );
      this.#log.error("reload failed, keeping the running config", { diagnostics });
      for (const d of diagnostics) this.#log.error(d);
      return { ok: false, error: "config has errors; the running config is kept", diagnostics };
    }
    for (const d of loaded.diagnostics) this.#log.warn(formatDiagnostic(d));
    const next = loaded.config;
    const g = this.#config.global;
    if (next.global.mcastGroup4 !== g.mcastGroup4 || next.global.mcastGroup6 !== g.mcastGroup6) {
      // the open sockets joined the old groups: applying half of it would split the LAN
      const error = "reload refused, keeping the running config: vrrp_mcast_group4/6 changed; " +
        "restart vrrp to apply";
      this.#log.error(error);
      return { ok: false, error };
    }
    const plan = planReload([...this.#instances.values()].map((i) => i.cfg), next.instances);
    const toStart = [...plan.added, ...plan.changed];
    try {
      await this.#openInterfaces(toStart);
      this.#checkSources(toStart);
    } catch (err) {
      const error = `reload failed, keeping the running config: ${
        err instanceof Error ? err.message : String(err)
      }`;
      this.#log.error(error);
      await this.#closeUnused(new Set([...this.#instances.values()].map((i) => i.cfg.interface)));
      return { ok: false, error };
    }
    for (const name of plan.removed) this.#log.info(`instance ${name} removed from the config`);
    for (const c of plan.changed) this.#log.info(`instance ${c.name} changed: restarting it`);
    // an operator's `vrrp down` survives a reload
    const down = new Set(
      [...this.#instances.values()].filter((i) => i.adminDown).map((i) => i.cfg.name),
    );
    await Promise.all(
      [...plan.removed, ...plan.changed.map((c) => c.name)].map((n) => this.#stopInstance(n)),
    );
    await this.#tracking.reconfigure(next);
    this.#groups.configure(next.syncGroups);
    this.#syncGroups = next.syncGroups;
    await this.#removeLeftovers(plan.added);
    for (const c of toStart) this.#startInstance(c, next.global, down.has(c.name));
    for (const c of plan.peersChanged) {
      const inst = this.#instances.get(c.name);
      const entry = this.#ifaces.get(c.interface);
      if (inst && entry) inst.updatePeers(c, this.#paramsOf(c, entry));
    }
    await this.#closeUnused(new Set(next.instances.map((c) => c.interface)));
    this.#config = next;
    const peers = plan.peersChanged.length;
    const message = `reloaded: ${plan.added.length} added, ${plan.changed.length} changed, ` +
      (peers > 0 ? `${peers} with new unicast peers, ` : "") +
      `${plan.removed.length} removed, ${plan.unchanged.length} unchanged`;
    this.#log.info(message);
    return { ok: true, message };
  }

  /** The config currently running. */
  get config(): Config {
    return this.#config;
  }
}
