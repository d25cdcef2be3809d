/**
 * Tracking in the running daemon: follows every tracked object of every instance (`track_script`
 * through one shared `ScriptTracker` per `vrrp_script`, `track_interface` and the instance's own
 * interface by polling the link, `track_file` through `FileTracker`), and turns the combined
 * effect into state-machine events: `priorityChanged`, `faultRaised`, `faultCleared`.
 *
 * Members of a `vrrp_sync_group` share faults: while one member's own tracking says FAULT, every
 * other member has the fault `syncGroup G: M in fault` raised too (so the group is in FAULT
 * together and leaves it together).
 *
 * Only differences are sent: the module remembers, per attached instance, what it last told the
 * state machine (its priority and its raised faults).
 */
import type { Config, InstanceConfig, TrackRef } from "../../config/model.ts";
import { FileTracker } from "../track/file.ts";
import {
  effectivePriority,
  fileAdjustment,
  interfaceAdjustment,
  OWNER_PRIORITY,
  resolveWeight,
  scriptAdjustment,
  type TrackEffect,
} from "../track/priority.ts";
import type { ScriptStatus } from "../control/types.ts";
import { ScriptTracker } from "../track/script.ts";
import type { FsmEvent } from "../vrrp/types.ts";
import type { Logger } from "./logger.ts";

/** How often tracked links are polled when link changes cannot be watched, ms. */
export const LINK_POLL_MS = 200;
/** With a link watch (rtnetlink) running: a slow safety poll, in case an event is missed, ms. */
export const LINK_SAFETY_POLL_MS = 30_000;

/** What tracking needs from the daemon. */
export interface TrackingDeps {
  log: Logger;
  /** hands an event to an instance (the daemon's `dispatch`) */
  dispatch: (instance: string, event: FsmEvent) => boolean;
  /**
   * whether `iface` is up with carrier (IFF_RUNNING); a missing interface is down. Without it
   * links are not followed (every link counts as up).
   */
  linkRunning?: (iface: string) => boolean;
  /**
   * starts an event-driven link watch (see `Effects.watchLinks`); with it, links are re-read on
   * each change and polled only every {@link LINK_SAFETY_POLL_MS}
   */
  watchLinks?: (
    onChange: (names: string[] | null) => void,
    onFailed: () => void,
  ) => (() => Promise<void>) | null;
  setTimer: (delayMs: number, fn: () => void) => number;
  clearTimer: (id: number) => void;
  /** file poll period for `track_file` (default 1000 ms; the watcher reports sooner) */
  filePollMs?: number;
}

/** One tracked object's effect on one instance, for status and for the sums. */
export interface TrackedEffect extends TrackEffect {
  /** `script chk_web`, `interface eth1`, `file weight` */
  source: string;
  /** `failing`, `ok`, `down`, `up`, `value 3` */
  condition: string;
}

/** What tracking currently demands of one instance. */
export interface TrackingVerdict {
  priority: number;
  /** fault reasons from its own tracked objects */
  ownFaults: string[];
  /** fault reasons from other members of its sync groups */
  groupFaults: string[];
  effects: TrackedEffect[];
}

/** What was last sent to an instance. */
interface Sent {
  priority: number;
  faults: Set<string>;
}

/** Tracking for one daemon. Build it once; `reconfigure()` on every (re)load. */
export class Tracking {
  readonly #deps: TrackingDeps;
  #config: Config | null = null;
  readonly #scripts = new Map<string, { key: string; tracker: ScriptTracker }>();
  readonly #files = new Map<string, { key: string; tracker: FileTracker }>();
  /** last polled link state */
  readonly #links = new Map<string, boolean>();
  readonly #attached = new Map<string, Sent>();
  #pollTimer: number | null = null;
  /** stops the link watch; null while none runs */
  #stopWatch: (() => Promise<void>) | null = null;
  #stopped = false;

  constructor(deps: TrackingDeps) {
    this.#deps = deps;
  }

  /**
   * Adopts `config`: trackers whose definition did not change keep running (and keep their
   * state, so a reload does not flap a failing check); new ones start, removed ones stop.
   * Resolves once every file was read once. Instances stay attached.
   */
  async reconfigure(config: Config): Promise<void> {
    this.#config = config;
    this.#stopped = false;
    const wantedScripts = new Set(
      config.instances.flatMap((i) => i.trackScripts.map((r) => r.name)),
    );
    const wantedFiles = new Set(config.instances.flatMap((i) => i.trackFiles.map((r) => r.name)));
    const stops: Promise<void>[] = [];
    for (const [name, entry] of [...this.#scripts]) {
      const cfg = config.scripts.find((s) => s.name === name);
      if (!wantedScripts.has(name) || !cfg || JSON.stringify(cfg) !== entry.key) {
        this.#scripts.delete(name);
        stops.push(entry.tracker.stop());
      }
    }
    for (const [name, entry] of [...this.#files]) {
      const cfg = config.trackFiles.find((f) => f.name === name);
      if (!wantedFiles.has(name) || !cfg || JSON.stringify(cfg) !== entry.key) {
        this.#files.delete(name);
        stops.push(entry.tracker.stop());
      }
    }
    await Promise.all(stops);
    const log = (level: "debug" | "info" | "warn" | "error", msg: string) =>
      this.#deps.log.log(level, msg);
    for (const cfg of config.scripts) {
      if (!wantedScripts.has(cfg.name) || this.#scripts.has(cfg.name)) continue;
      const tracker = new ScriptTracker(cfg, () => this.syncAll(), {
        log,
        initFail: cfg.initFail,
        defaultUser: config.global.scriptUser,
        defaultGroup: config.global.scriptGroup,
      });
      this.#scripts.set(cfg.name, { key: JSON.stringify(cfg), tracker });
      tracker.start();
    }
    const starting: Promise<void>[] = [];
    for (const cfg of config.trackFiles) {
      if (!wantedFiles.has(cfg.name) || this.#files.has(cfg.name)) continue;
      const tracker = new FileTracker(cfg, () => this.syncAll(), {
        log,
        pollMs: this.#deps.filePollMs,
      });
      this.#files.set(cfg.name, { key: JSON.stringify(cfg), tracker });
      starting.push(tracker.start());
    }
    await Promise.all(starting);
    this.#startWatch();
    this.#pollLinks(false);
    this.#armPoll();
    this.syncAll();
  }

  /**
   * Starts telling `instance` what tracking demands, from the state a fresh state machine has
   * (base priority, no faults). Call it after building the instance and before its `startup`,
   * so an instance whose link is down starts in FAULT rather than passing through BACKUP.
   */
  attach(cfg: InstanceConfig): void {
    this.#attached.set(cfg.name, {
      priority: cfg.priority >= OWNER_PRIORITY ? OWNER_PRIORITY : cfg.priority,
      faults: new Set(),
    });
    this.#pollLinks(false);
    this.syncAll();
  }

  /** Stops sending events to `instance` (it is being stopped or replaced). */
  detach(name: string): void {
    this.#attached.delete(name);
    // a sync-group peer's fault may have depended on it
    this.syncAll();
  }

  /** Stops every tracker and the link poll. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#pollTimer !== null) this.#deps.clearTimer(this.#pollTimer);
    this.#pollTimer = null;
    const stopWatch = this.#stopWatch;
    this.#stopWatch = null;
    const all = [
      ...(stopWatch ? [stopWatch()] : []),
      ...[...this.#scripts.values()].map((e) => e.tracker.stop()),
      ...[...this.#files.values()].map((e) => e.tracker.stop()),
    ];
    this.#scripts.clear();
    this.#files.clear();
    await Promise.all(all);
  }

  /** Every running `vrrp_script`: its state and run counters, by name. */
  scripts(): ScriptStatus[] {
    return [...this.#scripts.values()].map(({ tracker: t }) => ({
      name: t.name,
      ok: t.ok,
      running: t.running,
      runs: t.runs,
      failures: t.failures,
      timeouts: t.timeouts,
    }));
  }

  /** The `priorityAdjustments` lines of `vrrp status`, e.g. `script chk_web -20 (failing)`. */
  describe(name: string): string[] {
    const v = this.verdict(name);
    if (!v) return [];
    // the address owner's priority never moves: show only what puts it in FAULT
    const owner = v.priority === OWNER_PRIORITY;
    const lines = v.effects.filter((e) => e.fault || (e.delta !== 0 && !owner)).map((e) => {
      const what = e.fault ? "fault" : `${e.delta > 0 ? "+" : ""}${e.delta}`;
      return `${e.source} ${what} (${e.condition})`;
    });
    return [...lines, ...v.groupFaults.map((f) => `${f}: fault`)];
  }

  /** What tracking demands of the instance named `name` right now; null when not configured. */
  verdict(name: string): TrackingVerdict | null {
    const cfg = this.#config?.instances.find((i) => i.name === name);
    if (!cfg) return null;
    const effects = this.#effectsOf(cfg);
    const ownFaults = effects.filter((e) => e.fault).map((e) => `${e.source} ${e.condition}`);
    const groupFaults: string[] = [];
    for (const g of this.#config?.syncGroups ?? []) {
      if (!g.members.includes(name)) continue;
      for (const other of g.members) {
        if (other === name || !this.#attached.has(other)) continue;
        const ocfg = this.#config?.instances.find((i) => i.name === other);
        if (ocfg && this.#effectsOf(ocfg).some((e) => e.fault)) {
          groupFaults.push(`syncGroup ${g.name}: ${other} in fault`);
        }
      }
    }
    const ep = effectivePriority(
      cfg.priority,
      effects.map((e) => ({ source: e.source, delta: e.delta })),
      ownFaults,
    );
    return { priority: ep.priority, ownFaults, groupFaults, effects };
  }

  /** Sends every attached instance the events that bring it in line with tracking. */
  syncAll(): void {
    if (this.#stopped) return;
    for (const name of [...this.#attached.keys()]) this.#sync(name);
  }

  #sync(name: string): void {
    const sent = this.#attached.get(name);
    const v = this.verdict(name);
    if (!sent || !v) return;
    const { dispatch } = this.#deps;
    const wanted = new Set([...v.ownFaults, ...v.groupFaults]);
    // priority first: an instance leaving FAULT then rejoins at the right priority
    if (v.priority !== sent.priority) {
      const reason = v.effects.filter((e) =>
        e.delta !== 0
      ).map((e) => `${e.source} ${e.delta > 0 ? "+" : ""}${e.delta} (${e.condition})`).join(", ") ||
        "tracking back to base priority";
      sent.priority = v.priority;
      dispatch(name, { type: "priorityChanged", effectivePriority: v.priority, reason });
    }
    for (const f of wanted) {
      if (sent.faults.has(f)) continue;
      sent.faults.add(f);
      dispatch(name, { type: "faultRaised", reason: f });
    }
    for (const f of [...sent.faults]) {
      if (wanted.has(f)) continue;
      sent.faults.delete(f);
      dispatch(name, { type: "faultCleared", reason: f });
    }
  }

  #effectsOf(cfg: InstanceConfig): TrackedEffect[] {
    const config = this.#config;
    if (!config) return [];
    const out: TrackedEffect[] = [];
    for (const ref of cfg.trackScripts) {
      const sc = config.scripts.find((s) => s.name === ref.name);
      const tracker = this.#scripts.get(ref.name)?.tracker;
      if (!sc || !tracker) continue;
      const w = resolveWeight(ref, sc.weight, sc.weightReverse);
      out.push({
        source: `script ${ref.name}`,
        condition: tracker.ok ? "ok" : "failing",
        ...scriptAdjustment(w.weight, w.reverse, tracker.ok),
      });
    }
    const ifaces: TrackRef[] = [...cfg.trackInterfaces];
    if (!cfg.dontTrackPrimary && !ifaces.some((r) => r.name === cfg.interface)) {
      // the instance's own interface: down means FAULT, whatever the weights
      ifaces.push({ name: cfg.interface });
    }
    for (const ref of ifaces) {
      const up = this.#links.get(ref.name) ?? true;
      out.push({
        source: `interface ${ref.name}`,
        condition: up ? "up" : "down",
        ...interfaceAdjustment(ref.weight, ref.reverse ?? false, up),
      });
    }
    for (const ref of cfg.trackFiles) {
      const fc = config.trackFiles.find((f) => f.name === ref.name);
      const tracker = this.#files.get(ref.name)?.tracker;
      if (!fc || !tracker) continue;
      const w = resolveWeight(ref, fc.weight, fc.weightReverse);
      out.push({
        source: `file ${ref.name}`,
        condition: `value ${tracker.value}`,
        ...fileAdjustment(tracker.value, w.weight, w.reverse),
      });
    }
    return out;
  }

  /** The interfaces whose link matters to some attached instance. */
  #trackedLinks(): Set<string> {
    const names = new Set<string>();
    for (const cfg of this.#config?.instances ?? []) {
      if (!this.#attached.has(cfg.name)) continue;
      for (const r of cfg.trackInterfaces) names.add(r.name);
      if (!cfg.dontTrackPrimary) names.add(cfg.interface);
    }
    return names;
  }

  /** Reads every tracked link; logs and (when `sync`) reports changes. */
  #pollLinks(sync: boolean): void {
    const linkRunning = this.#deps.linkRunning;
    if (!linkRunning) return;
    let changed = false;
    for (const name of this.#trackedLinks()) {
      let up: boolean;
      try {
        up = linkRunning(name);
      } catch {
        up = false;
      }
      const before = this.#links.get(name);
      if (before === up) continue;
      this.#links.set(name, up);
      if (before !== undefined || !up) {
        this.#deps.log.log(up ? "info" : "warn", `link ${name} is ${up ? "up" : "down"}`);
      }
      changed = true;
    }
    if (changed && sync) this.syncAll();
  }

  /** Starts the link watch once (when the host offers one and some link is tracked). */
  #startWatch(): void {
    const { watchLinks, linkRunning } = this.#deps;
    if (this.#stopWatch !== null || this.#stopped || !watchLinks || !linkRunning) return;
    const stop = watchLinks((names) => {
      if (this.#stopped) return;
      const tracked = this.#trackedLinks();
      if (names === null || names.some((n) => tracked.has(n))) this.#pollLinks(true);
    }, () => {
      // the watch broke down: back to polling often
      this.#stopWatch = null;
      if (this.#stopped) return;
      this.#pollLinks(true);
      if (this.#pollTimer !== null) this.#deps.clearTimer(this.#pollTimer);
      this.#pollTimer = null;
      this.#armPoll();
    });
    this.#stopWatch = stop;
  }

  #armPoll(): void {
    if (this.#pollTimer !== null || this.#stopped || !this.#deps.linkRunning) return;
    const period = this.#stopWatch !== null ? LINK_SAFETY_POLL_MS : LINK_POLL_MS;
    this.#pollTimer = this.#deps.setTimer(period, () => {
      this.#pollTimer = null;
      if (this.#stopped) return;
      this.#pollLinks(true);
      this.#armPoll();
    });
  }
}
