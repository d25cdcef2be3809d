/**
 * One running VRRP instance: feeds events to the pure state machine and executes the actions it
 * returns, in order. Adverts go out at once; VIP changes are serialized on a per-instance queue
 * so an add and a later remove never reorder, and a slow `ip` never delays an advert.
 */
import type { InstanceConfig, VipConfig } from "../../config/model.ts";
import type { InstanceCounters, InstanceStatus, PeerStatus } from "../control/types.ts";
import {
  currentMasterDownIntervalMs,
  currentSkewTimeMs,
  initialState,
  type InstanceState,
  nextDeadlineMs,
  step,
} from "../vrrp/fsm.ts";
import { advertIntervalMs } from "../vrrp/timers.ts";
import { VRRP_TTL } from "../vrrp/constants.ts";
import { encodeAdvert } from "../vrrp/packet.ts";
import { Family, familyOf } from "../vrrp/address.ts";
import type {
  Advertisement,
  DropReason,
  FsmAction,
  FsmEvent,
  InstanceParams,
  ReceivedAddresses,
  Role,
  WireAddresses,
} from "../vrrp/types.ts";
import { DropLog } from "./drop_log.ts";
import type { Effects, InterfacePort, RoutineAdvert, VipOutcome } from "./effects.ts";
import { garpFrames } from "./garp.ts";
import type { Logger } from "./logger.ts";
import { vipDev, wireAddresses } from "./params.ts";
import type { Scheduler } from "./scheduler.ts";
import { routineAdvert, sameRoutine } from "./routine.ts";

/** How often a failed `ip addr` is tried in all before the failure is surfaced as an error. */
export const VIP_ATTEMPTS = 3;
/** Pause between two attempts, ms (times the attempt number). */
export const VIP_RETRY_DELAY_MS = 200;
/** After the attempts failed: background retries start this far apart, doubling... */
export const VIP_BACKGROUND_RETRY_MIN_MS = 1000;
/** ...up to this. They go on while the role still wants the change and nothing newer is queued. */
export const VIP_BACKGROUND_RETRY_MAX_MS = 30_000;

/**
 * Consecutive failed sends (adverts or gratuitous ARP) after which the instance steps back to
 * FAULT: a master that cannot send is not a master (OpenBSD CARP demotes itself on send errors).
 */
export const SEND_FAULT_AFTER_ERRORS = 3;
/** After a send fault, this many sends in a row must succeed before one failure is tolerated again. */
export const SEND_RECOVER_SUCCESSES = 3;
/** A self-raised fault (sends, VIPs) is retried this long after it was raised, doubling... */
export const SELF_FAULT_RETRY_MIN_MS = 2000;
/** ...up to this, until the instance has worked again. */
export const SELF_FAULT_RETRY_MAX_MS = 60_000;
/**
 * Default time a master may go on without its VIPs configured (`ip` failing, missing or hung)
 * before it gives way (FAULT) to a backup that can serve; `vrrp run --vip-fail-timeout`.
 */
export const DEFAULT_VIP_FAIL_TIMEOUT_MS = 5000;

/** What a send carried: an advert, or an announcement burst (gratuitous ARP, or NA for IPv6). */
type SendKind = "advert" | "garp";
const SEND_KIND_NAME: Record<SendKind, string> = { advert: "advert", garp: "gratuitous ARP" };

/** The reasons of the faults an instance raises itself (beside tracking's). */
const SEND_FAULT = "sendFailed";
const VIP_FAULT = "vipsNotConfigured";

/** A fault the instance raised itself: the FSM's reason string and the retry that may clear it. */
interface SelfFault {
  reason: string;
  timer: number | null;
}

/** What an instance needs from the daemon around it. */
export interface InstanceDeps {
  effects: Effects;
  port: InterfacePort;
  log: Logger;
  scheduler: Scheduler<InstanceRuntime>;
  /** wall clock for status timestamps */
  wallClock?: () => Date;
  /** called after each role change (notify scripts hook here) */
  onTransition?: (t: TransitionInfo) => void;
  /** where adverts go (default: the family's multicast group from our primary address) */
  wire?: WireAddresses;
  /** how long a master may lack its VIPs before it gives way (default DEFAULT_VIP_FAIL_TIMEOUT_MS) */
  vipFailTimeoutMs?: number;
  /** called when routineAdvert() changed (the port's lazy reading follows it) */
  onRoutineChanged?: () => void;
}

/** One role change, as hooks see it. */
export interface TransitionInfo {
  cfg: InstanceConfig;
  from: Role;
  to: Role;
  reason: string;
  /** the priority we advertise after the change */
  effectivePriority: number;
}

/** The fault an instance with unicast_fault_no_peer is in while it has no peer. */
export const NO_UNICAST_PEER = "no unicast peer";

/** The runtime of one configured instance. */
export class InstanceRuntime {
  #cfg: InstanceConfig;
  #params: InstanceParams;
  readonly log: Logger;
  /** unicast peers heard, by address: when (monotonic ms) and at what priority */
  readonly #heard = new Map<string, { atMs: number; priority: number; count: number }>();
  #deps: InstanceDeps;
  #state: InstanceState;
  #lastTransition: InstanceStatus["lastTransition"] = null;
  readonly #counters: InstanceCounters = newCounters();
  /** unicast adverts each peer's address took (sendto succeeded) */
  readonly #sentTo = new Map<string, number>();
  /** when the split brain in progress began (monotonic ms), null when none */
  #dualMasterSinceMs: number | null = null;
  /** a repair add is queued and has not run yet: more removals join it */
  #repairQueued = false;
  readonly #wire: WireAddresses;
  /** the last message encoded per send target (see #encoded) */
  readonly #encodedCache: { advert: Advertisement; to: WireAddresses; message: Uint8Array }[] = [];
  readonly #drops = new DropLog();
  /** whether our VIPs are (to our knowledge) configured on the host */
  #vipsPresent = false;
  #vipChain: Promise<void> = Promise.resolve();
  /** bumped on every queued VIP change: a retry loop gives up when a newer change is queued */
  #vipGeneration = 0;
  #lastQueued: "add" | "remove" | null = null;
  /** why the last VIP change finally failed; null once it succeeded */
  #vipError: string | null = null;
  #vipRetryTimer: number | null = null;
  #stopped = false;
  /** the advert we expect over and over (see routine.ts), as last reported */
  #routine: RoutineAdvert | null = null;
  /** the time of the last step: a late-read advert is never judged before it */
  #lastStepMs = -Infinity;
  /** the last failed send (the counts are in #counters) */
  #lastSendError: string | null = null;
  /** failed sends in a row, and successful ones in a row */
  #sendErrorStreak = 0;
  #sendOkStreak = 0;
  /** after a send fault: until SEND_RECOVER_SUCCESSES sends succeed, one failure faults again */
  #sendProbation = false;
  /** whether the last queued add fully succeeded */
  #vipAddOk = false;
  #vipGiveWayTimer: number | null = null;
  readonly #selfFaults = new Map<string, SelfFault>();
  /** the next retry delay per self-fault kind (doubles while the fault keeps coming back) */
  readonly #selfRetryMs = new Map<string, number>();

  constructor(cfg: InstanceConfig, params: InstanceParams, deps: InstanceDeps) {
    this.#cfg = cfg;
    this.#params = params;
    this.#deps = deps;
    this.log = deps.log;
    this.#state = initialState(params);
    this.#wire = deps.wire ?? wireAddresses(params);
  }

  /** The configuration it runs with. */
  get cfg(): InstanceConfig {
    return this.#cfg;
  }

  /** The state machine's parameters. */
  get params(): InstanceParams {
    return this.#params;
  }

  /**
   * A reload that changed only the unicast peers: the new peer list takes effect for the next
   * advert and the next receive check, the role, timers and VIPs stay. With
   * unicast_fault_no_peer, losing the last peer raises the Fault, gaining one clears it.
   */
  updatePeers(cfg: InstanceConfig, params: InstanceParams): void {
    const before = this.#params.unicast?.peers.length ?? 0;
    this.#cfg = cfg;
    this.#params = params;
    const now = params.unicast?.peers ?? [];
    for (const a of [...this.#heard.keys()]) {
      if (!now.some((p) => p.address === a)) this.#heard.delete(a);
    }
    this.log.info(`unicast peers now ${now.map((p) => p.address).join(", ") || "none"}`);
    if (before > 0 && now.length === 0) this.feed({ type: "faultRaised", reason: NO_UNICAST_PEER });
    if (before === 0 && now.length > 0) {
      this.feed({ type: "faultCleared", reason: NO_UNICAST_PEER });
    }
  }

  /** The addresses our adverts travel between. */
  get wire(): WireAddresses {
    return this.#wire;
  }

  /** Current role. */
  get role(): Role {
    return this.#state.role;
  }

  /** Whether the instance was administratively taken out of the election. */
  get adminDown(): boolean {
    return this.#state.adminDown;
  }

  /** Why the VIPs are not as the role wants (the last failed `ip addr` change), or null. */
  get vipError(): string | null {
    return this.#vipError;
  }

  /** Resolves when every queued VIP change has run. */
  vipsSettled(): Promise<void> {
    return this.#vipChain;
  }

  /** Enters the election (the FSM's `startup`); `adminDown` keeps it out from the start. */
  start(adminDown = false): void {
    if (adminDown) this.feed({ type: "adminDownRequested" });
    if (this.#params.unicast?.peers.length === 0) {
      // unicast_fault_no_peer: Fault, never a silent fall-back to multicast
      this.log.warn("unicast without any peer: staying in FAULT (unicast_fault_no_peer)");
      this.feed({ type: "faultRaised", reason: NO_UNICAST_PEER });
    }
    this.feed({ type: "startup" });
  }

  /**
   * A decoded advert for our VRID arrived from `source` (between `wire`'s addresses) at `atMs`
   * (monotonic ms; default now). An advert read late (lazy_read.ts) is judged at its arrival:
   * Master_Down restarts from then, not from when it was read.
   */
  receiveAdvert(
    advert: Advertisement,
    source: string,
    wire?: ReceivedAddresses,
    atMs?: number,
  ): void {
    const now = this.#deps.effects.now();
    // never in the future, never before what this instance already stepped through
    const at = atMs === undefined ? now : Math.min(now, Math.max(atMs, this.#lastStepMs));
    this.#counters.advertsReceived++;
    if (advert.priority === 0) this.#counters.priorityZeroReceived++;
    if (this.#params.unicast?.peers.some((p) => p.address === source)) {
      const h = this.#heard.get(source);
      this.#heard.set(source, {
        atMs: at,
        priority: advert.priority,
        count: (h?.count ?? 0) + 1,
      });
    }
    this.feed({ type: "advertReceived", advert, source, wire }, at);
  }

  /** The advert this instance expects over and over now (see routine.ts), or null. */
  routineAdvert(): RoutineAdvert | null {
    return this.#routine;
  }

  /** A packet for our VRID the codec rejected. */
  codecDrop(reason: DropReason, detail: string): void {
    this.#countDrop(reason, detail);
  }

  /** Administratively leave (true) or rejoin (false) the election. */
  setAdminDown(down: boolean): void {
    if (down === this.#state.adminDown) return;
    this.feed({ type: down ? "adminDownRequested" : "adminUpRequested" });
  }

  /**
   * Leaves the election like on SIGTERM: a master sends a priority-0 advert and removes its VIPs.
   * Resolves when the VIPs are gone (or their removal failed and was logged).
   */
  async stop(): Promise<void> {
    if (this.#stopped) return this.#vipChain;
    this.feed({ type: "shutdownRequested" });
    this.#stopped = true;
    this.#reportRoutine();
    this.#deps.scheduler.set(this, null);
    this.#cancelVipRetry();
    this.#cancelVipGiveWay();
    for (const f of this.#selfFaults.values()) {
      if (f.timer !== null) this.#deps.effects.clearTimer(f.timer);
    }
    // whatever the FSM decided, never leave our addresses behind
    if (this.#lastQueued === "add" || (this.#lastQueued === null && this.#vipsPresent)) {
      this.#queueVips("remove");
    }
    await this.#vipChain;
  }

  /**
   * Hands one event to the state machine, as of `atMs` (default now), and executes its actions;
   * re-arms the deadline.
   */
  feed(event: FsmEvent, atMs?: number): void {
    if (this.#stopped) return;
    const now = atMs ?? this.#deps.effects.now();
    this.#lastStepMs = now;
    let result;
    try {
      result = step(this.params, this.#state, event, now);
    } catch (err) {
      // the core must not throw; if it does, say so loudly and keep the old state
      this.log.error(`state machine threw on ${event.type}: ${String(err)}`);
      return;
    }
    this.#state = result.state;
    this.#trackDualMaster(now);
    for (const action of result.actions) this.#execute(action);
    for (const a of result.actions) {
      if (a.type !== "stateChanged" || !this.#deps.onTransition) continue;
      try {
        this.#deps.onTransition({
          cfg: this.cfg,
          from: a.from,
          to: a.to,
          reason: a.reason,
          effectivePriority: this.#state.effectivePriority,
        });
      } catch (err) {
        this.log.error(`transition hook failed: ${String(err)}`);
      }
    }
    this.#deps.scheduler.set(this, nextDeadlineMs(this.#state));
    this.#reportRoutine();
  }

  #reportRoutine(): void {
    const next = this.#stopped ? null : routineAdvert(this.#params, this.#state);
    if (sameRoutine(next, this.#routine)) return;
    this.#routine = next;
    try {
      this.#deps.onRoutineChanged?.();
    } catch (err) {
      this.log.error(`routine advert hook failed: ${String(err)}`);
    }
  }

  /** Counts split-brain episodes and their length as the state machine marks and clears them. */
  #trackDualMaster(nowMs: number): void {
    const active = this.#state.splitBrain !== null;
    if (active && this.#dualMasterSinceMs === null) {
      this.#dualMasterSinceMs = nowMs;
      this.#counters.dualMasterEpisodes++;
    } else if (!active && this.#dualMasterSinceMs !== null) {
      this.#counters.dualMasterSeconds += (nowMs - this.#dualMasterSinceMs) / 1000;
      this.#dualMasterSinceMs = null;
    }
  }

  /**
   * The host's address watch saw one of our VIPs appear (`present`) or disappear on `dev`.
   * Removed while we are master (and our last change was an add): put back at once, logged and
   * counted. Appeared while we are not master and did not add it: reported and counted.
   */
  vipPresenceChanged(address: string, dev: string, present: boolean): void {
    if (this.#stopped) return;
    const master = this.#state.role === "master";
    if (!present && master && this.#lastQueued === "add") {
      this.#counters.vipRepairs++;
      this.log.warn(`VIP ${address} was removed from ${dev} by something else; adding it back`, {
        vip: address,
        dev,
      });
      if (this.#repairQueued) return; // the queued repair puts back every missing VIP
      this.#repairQueued = true;
      this.#queueVips("add");
      // neighbours may have dropped the address: announce it again once it is back
      this.#vipChain = this.#vipChain.then(() => this.#sendGarp("repair", 1));
    } else if (present && !master && this.#lastQueued !== "add") {
      this.#counters.vipsFoundOnBackup++;
      this.log.warn(
        `VIP ${address} appeared on ${dev} while ${this.#state.role}: this host did not add it; ` +
          `two hosts may answer for it`,
        { vip: address, dev },
      );
    }
  }

  /** The scheduler's callback: our deadline has passed. */
  deadlineReached(): void {
    this.feed({ type: "deadlineReached" });
  }

  /** This instance as the control socket reports it. */
  status(): InstanceStatus {
    const st = this.#state;
    const wallNow = this.#wall();
    const sb = st.splitBrain;
    return {
      name: this.cfg.name,
      interface: this.cfg.interface,
      vrid: this.cfg.vrid,
      family: this.params.family,
      protocolVersion: this.params.version,
      advertIntervalMs: advertIntervalMs(this.params.advertIntervalCs),
      masterAdvertIntervalMs: advertIntervalMs(st.masterAdverIntervalCs),
      skewTimeMs: currentSkewTimeMs(this.params, st),
      masterDownIntervalMs: currentMasterDownIntervalMs(this.params, st),
      state: st.role,
      adminDown: st.adminDown,
      basePriority: this.params.basePriority,
      effectivePriority: st.effectivePriority,
      priorityAdjustments: [],
      masterIp: st.masterIp,
      vips: [
        ...this.cfg.vips.map((v) => ({
          address: v.address,
          prefixLen: v.prefixLen,
          dev: vipDev(this.cfg, v),
          present: this.#vipsPresent,
        })),
        // virtual_ipaddress_excluded: held with the VIPs, never listed in adverts
        ...this.cfg.excludedVips.map((v) => ({
          address: v.address,
          prefixLen: v.prefixLen,
          dev: vipDev(this.cfg, v),
          present: this.#vipsPresent,
          excluded: true,
        })),
      ],
      lastTransition: this.#lastTransition,
      advertsSent: this.#counters.advertsSent,
      advertsReceived: this.#counters.advertsReceived,
      drops: { ...this.#drops.counts },
      counters: this.counters(),
      garpMasterDelayMs: this.params.garpMasterDelayMs,
      vipError: this.#vipError,
      sendErrors: this.#counters.advertSendErrors + this.#counters.garpSendErrors,
      lastSendError: this.#lastSendError,
      vipGiveWays: this.#counters.vipGiveWays,
      splitBrain: sb === null ? null : {
        peer: sb.peer,
        priority: sb.priority,
        at: this.#wallAt(wallNow, sb.sinceMs),
      },
      adverts: this.#advertsStatus(wallNow),
    };
  }

  /** The wall-clock time of monotonic `atMs`, ISO 8601. */
  #wallAt(wallNow: Date, atMs: number): string {
    return new Date(wallNow.getTime() - (this.#deps.effects.now() - atMs)).toISOString();
  }

  #advertsStatus(wallNow: Date): InstanceStatus["adverts"] {
    const u = this.#params.unicast;
    if (u === null) return { mode: "multicast", source: this.#wire.src, group: this.#wire.dst };
    const peers: PeerStatus[] = u.peers.map((p) => {
      const h = this.#heard.get(p.address);
      return {
        address: p.address,
        lastHeardAt: h ? this.#wallAt(wallNow, h.atMs) : null,
        priority: h?.priority ?? null,
        advertsReceived: h?.count ?? 0,
        advertsSent: this.#sentTo.get(p.address) ?? 0,
      };
    });
    return { mode: "unicast", source: this.#wire.src, checkSource: u.checkSource, peers };
  }

  /** A copy of the counters, the split brain in progress included up to now. */
  counters(): InstanceCounters {
    const c = { ...this.#counters };
    if (this.#dualMasterSinceMs !== null) {
      c.dualMasterSeconds += (this.#deps.effects.now() - this.#dualMasterSinceMs) / 1000;
    }
    return c;
  }

  #wall(): Date {
    return (this.#deps.wallClock ?? (() => new Date()))();
  }

  #countDrop(reason: string, detail: string): void {
    const n = this.#drops.record(reason, this.#deps.effects.now());
    if (n > 0) {
      const more = n > 1 ? ` (${n} since last report)` : "";
      this.log.warn(`dropped packet: ${reason}: ${detail}${more}`, { reason, count: n });
    }
  }

  #execute(action: FsmAction): void {
    switch (action.type) {
      case "sendAdvert":
        this.#sendAdvert(action.advert);
        return;
      case "addVips":
        this.#queueVips("add");
        return;
      case "removeVips":
        this.#queueVips("remove");
        return;
      case "sendGratuitousArp": {
        const repeat = action.why === "refresh"
          ? this.params.garpMasterRefreshRepeat
          : this.params.garpMasterRepeat;
        if (action.why === "becameMaster") {
          // announce the addresses only once they are configured
          this.#vipChain = this.#vipChain.then(() => this.#sendGarp(action.why, repeat));
        } else {
          this.#sendGarp(action.why, repeat);
        }
        return;
      }
      case "stateChanged": {
        const at = this.#wall().toISOString();
        this.#lastTransition = { from: action.from, to: action.to, reason: action.reason, at };
        if (action.to === "master") this.#counters.becameMaster++;
        if (action.from === "master") this.#counters.releasedMaster++;
        this.log.info(`${action.from} -> ${action.to} (${action.reason})`, {
          from: action.from,
          to: action.to,
          reason: action.reason,
        });
        return;
      }
      case "packetDropped":
        this.#countDrop(action.reason, action.detail);
        return;
      case "log":
        this.log.log(action.level, action.message);
        return;
      case "anomaly":
        this.log.warn(`anomaly: ${action.message}`);
        return;
    }
  }

  /** One advert to the group, or (unicast) one to each peer with unicast_ttl as hop limit. */
  /**
   * The encoded advert for target `i`: the last one again while nothing in it changed (a master
   * sends the same bytes every interval; at 20 ms or 2,550 adverts/s the encoder's parsing and
   * garbage add up).
   */
  #encoded(i: number, advert: Advertisement, to: WireAddresses): Uint8Array {
    const c = this.#encodedCache[i];
    if (c && sameAdvert(c.advert, advert) && c.to.src === to.src && c.to.dst === to.dst) {
      return c.message;
    }
    const message = encodeAdvert(advert, to);
    this.#encodedCache[i] = { advert, to, message };
    return message;
  }

  #sendAdvert(advert: Advertisement): void {
    const u = this.#params.unicast;
    const targets: WireAddresses[] = u === null
      ? [this.#wire]
      : u.peers.map((p) => ({ ...this.#wire, dst: p.address }));
    // unicast with no peer left: nothing to send, so nothing failed
    if (targets.length === 0) return;
    const hopLimit = u === null ? VRRP_TTL : this.#cfg.unicastTtl ?? VRRP_TTL;
    let sent = 0;
    const failed: string[] = [];
    for (const [i, to] of targets.entries()) {
      try {
        // per destination: the VRRPv3 checksum covers it (RFC 5798 §5.2.8)
        const message = this.#encoded(i, advert, to);
        this.#deps.port.send(message, { ...to, hopLimit });
        sent++;
        if (u !== null) this.#sentTo.set(to.dst, (this.#sentTo.get(to.dst) ?? 0) + 1);
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        failed.push(u === null ? why : `to ${to.dst}: ${why}`);
      }
    }
    // a round counts as failed only when no destination could be sent to: one unreachable
    // unicast peer must not take the VIPs from the others (it is counted and logged below)
    if (sent === 0) {
      this.#sendFailed("advert", failed.join("; "), failed.length);
      return;
    }
    for (const f of failed) this.#sendPartlyFailed("advert", f);
    this.#sendSucceeded();
    // one per advert whatever the peers, as keepalived's advert_sent (the exporter's source)
    this.#counters.advertsSent++;
    if (advert.priority === 0) this.#counters.priorityZeroSent++;
    if (advert.priority === 0) this.log.info("sent priority-0 advert (resigning)");
    // once a second per instance: build the line only when it is written
    else if (this.log.enabled("debug")) this.log.debug(`sent advert priority ${advert.priority}`);
  }

  #sendGarp(why: string, repeat: number): void {
    if (this.#state.role !== "master") return; // a queued burst outlived our mastership
    try {
      // keepalived announces the excluded addresses too
      const addresses = [...this.params.vips, ...this.cfg.excludedVips.map((v) => v.address)];
      this.#deps.port.sendFrames(garpFrames(this.#deps.port.mac, addresses, repeat));
      // garpFrames: each address `max(1, repeat)` times, ARP for IPv4, an NA for IPv6
      const v6 = addresses.filter((a) => familyOf(a) === Family.ipv6).length;
      const times = Math.max(1, repeat);
      this.#counters.gratuitousArpsSent += (addresses.length - v6) * times;
      this.#counters.neighbourAdvertsSent += v6 * times;
      this.#sendSucceeded();
      this.log.debug(`sent gratuitous ARP (${why}) x${Math.max(1, repeat)}`);
    } catch (err) {
      this.#sendFailed("garp", err instanceof Error ? err.message : String(err));
    }
  }

  // --- faults the instance raises itself -------------------------------------------------------

  #sendSucceeded(): void {
    this.#sendErrorStreak = 0;
    this.#sendOkStreak++;
    if (this.#sendProbation && this.#sendOkStreak >= SEND_RECOVER_SUCCESSES) {
      this.#sendProbation = false;
      this.#selfRetryMs.delete(SEND_FAULT);
      this.log.info(`sending works again (${this.#sendOkStreak} sends in a row)`);
    }
  }

  /**
   * The one place send errors are counted (status' `sendErrors` and `/metrics`'
   * `vrrp_send_errors_total` read these counters): `n` refused sends of `kind`, the last kept.
   */
  #countSendErrors(kind: SendKind, message: string, n: number): void {
    if (kind === "advert") this.#counters.advertSendErrors += n;
    else this.#counters.garpSendErrors += n;
    this.#lastSendError = `${SEND_KIND_NAME[kind]}: ${message}`;
  }

  /** One destination of a send round failed while others worked: counted, not a fault. */
  #sendPartlyFailed(kind: SendKind, message: string): void {
    this.#countSendErrors(kind, message, 1);
    this.log.error(`sending ${SEND_KIND_NAME[kind]} failed: ${message}`);
  }

  /**
   * A send round failed (`destinations` refused, each counted); enough rounds in a row (one,
   * on probation) raise the send fault.
   */
  #sendFailed(kind: SendKind, message: string, destinations = 1): void {
    const what = SEND_KIND_NAME[kind];
    this.#countSendErrors(kind, message, destinations);
    this.#sendErrorStreak++;
    this.#sendOkStreak = 0;
    // the first of a run is an error line; the rest are counted (status) and logged at debug
    if (this.#sendErrorStreak === 1) this.log.error(`sending ${what} failed: ${message}`);
    else this.log.debug(`sending ${what} failed (${this.#sendErrorStreak} in a row): ${message}`);
    const limit = this.#sendProbation ? 1 : SEND_FAULT_AFTER_ERRORS;
    if (this.#sendErrorStreak < limit || this.#selfFaults.has(SEND_FAULT)) return;
    this.#raiseSelfFault(
      SEND_FAULT,
      `${SEND_FAULT} (${this.#sendErrorStreak} sends in a row failed, last: ${message})`,
    );
  }

  /**
   * The daemon re-opened our interface's sockets (the interface came back with a new index):
   * a send fault is cleared now instead of at its next retry.
   */
  portRebound(): void {
    this.#sendErrorStreak = 0;
    const f = this.#selfFaults.get(SEND_FAULT);
    if (f) this.#clearSelfFault(SEND_FAULT, "the interface's sockets were re-opened");
  }

  /**
   * Raises a fault of our own. Deferred to a microtask: it is decided while an earlier step's
   * actions still run, and stepping the FSM from inside them would run its actions out of order.
   */
  #raiseSelfFault(kind: string, reason: string): void {
    const f: SelfFault = { reason, timer: null };
    this.#selfFaults.set(kind, f);
    this.log.error(`stepping back to FAULT: ${reason}`);
    queueMicrotask(() => {
      if (this.#selfFaults.get(kind) !== f) return;
      this.feed({ type: "faultRaised", reason });
      this.#armSelfFaultRetry(kind, f);
    });
  }

  #armSelfFaultRetry(kind: string, f: SelfFault): void {
    if (this.#stopped) return;
    const delay = this.#selfRetryMs.get(kind) ?? SELF_FAULT_RETRY_MIN_MS;
    this.#selfRetryMs.set(kind, Math.min(delay * 2, SELF_FAULT_RETRY_MAX_MS));
    f.timer = this.#deps.effects.setTimer(delay, () => {
      f.timer = null;
      void this.#retrySelfFault(kind, f);
    });
  }

  /** Clears a self-raised fault when the cause looks gone; otherwise tries again later. */
  async #retrySelfFault(kind: string, f: SelfFault): Promise<void> {
    if (this.#stopped || this.#selfFaults.get(kind) !== f) return;
    let why: string | null = null;
    if (kind === SEND_FAULT) {
      try {
        const r = this.#deps.port.rebindIfMoved?.() ?? "same";
        if (r !== "missing") why = r === "rebound" ? "sockets re-opened" : "retrying";
      } catch (err) {
        this.log.warn(`re-opening the interface's sockets failed: ${String(err)}`);
      }
    } else {
      const probe = await (this.#deps.effects.probeVipTool?.() ?? Promise.resolve({ ok: true }));
      if (probe.ok) why = "ip works again";
      else this.log.warn(`ip still fails: ${probe.stderr.trim()}`);
    }
    if (this.#stopped || this.#selfFaults.get(kind) !== f) return;
    if (why === null) this.#armSelfFaultRetry(kind, f);
    else this.#clearSelfFault(kind, why);
  }

  #clearSelfFault(kind: string, why: string): void {
    const f = this.#selfFaults.get(kind);
    if (!f) return;
    if (f.timer !== null) this.#deps.effects.clearTimer(f.timer);
    this.#selfFaults.delete(kind);
    if (kind === SEND_FAULT) {
      this.#sendProbation = true;
      this.#sendOkStreak = 0;
      this.#sendErrorStreak = 0;
    }
    this.log.info(`rejoining after ${kind}: ${why}`);
    this.feed({ type: "faultCleared", reason: f.reason });
  }

  /** A master wants its VIPs: unless they are configured within the timeout, it gives way. */
  #armVipGiveWay(): void {
    if (this.#vipGiveWayTimer !== null) return;
    const ms = this.#deps.vipFailTimeoutMs ?? DEFAULT_VIP_FAIL_TIMEOUT_MS;
    this.#vipGiveWayTimer = this.#deps.effects.setTimer(ms, () => {
      this.#vipGiveWayTimer = null;
      if (this.#stopped || this.#state.role !== "master" || this.#vipAddOk) return;
      if (this.#selfFaults.has(VIP_FAULT)) return;
      this.#counters.vipGiveWays++;
      const why = this.#vipError ?? "ip has not finished";
      this.#raiseSelfFault(VIP_FAULT, `${VIP_FAULT} (for ${ms} ms: ${why})`);
    });
  }

  #cancelVipGiveWay(): void {
    if (this.#vipGiveWayTimer === null) return;
    this.#deps.effects.clearTimer(this.#vipGiveWayTimer);
    this.#vipGiveWayTimer = null;
  }

  /** Groups our VIPs (the excluded ones too: keepalived adds and removes them together) by device. */
  #vipsByDev(): Map<string, VipConfig[]> {
    const byDev = new Map<string, VipConfig[]>();
    for (const v of [...this.cfg.vips, ...this.cfg.excludedVips]) {
      const dev = vipDev(this.cfg, v);
      byDev.set(dev, [...(byDev.get(dev) ?? []), v]);
    }
    return byDev;
  }

  #queueVips(op: "add" | "remove"): void {
    const generation = ++this.#vipGeneration;
    this.#lastQueued = op;
    this.#cancelVipRetry();
    this.#vipAddOk = false;
    if (op === "add") this.#armVipGiveWay();
    else this.#cancelVipGiveWay();
    this.#chainVips(op, generation, VIP_ATTEMPTS, VIP_BACKGROUND_RETRY_MIN_MS);
  }

  #chainVips(op: "add" | "remove", generation: number, attempts: number, nextRetryMs: number) {
    this.#vipChain = this.#vipChain.then(async () => {
      this.#repairQueued = false;
      const ok = await this.#applyVips(op, generation, attempts);
      if (!ok) this.#scheduleVipRetry(op, generation, nextRetryMs);
    }).catch((err) => {
      this.log.error(`VIP ${op} failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  #cancelVipRetry(): void {
    if (this.#vipRetryTimer === null) return;
    this.#deps.effects.clearTimer(this.#vipRetryTimer);
    this.#vipRetryTimer = null;
  }

  /** Whether a failed change is still what the role wants (and nothing newer superseded it). */
  #stillWanted(op: "add" | "remove", generation: number): boolean {
    if (this.#stopped || generation !== this.#vipGeneration) return false;
    return (this.#state.role === "master") === (op === "add");
  }

  /** Retries a finally failed change in the background, with a capped exponential backoff. */
  #scheduleVipRetry(op: "add" | "remove", generation: number, delayMs: number): void {
    if (!this.#stillWanted(op, generation)) return;
    this.log.warn(`retrying VIP ${op} in ${delayMs} ms`);
    this.#cancelVipRetry();
    this.#vipRetryTimer = this.#deps.effects.setTimer(delayMs, () => {
      this.#vipRetryTimer = null;
      if (!this.#stillWanted(op, generation)) return;
      this.#chainVips(op, generation, 1, Math.min(delayMs * 2, VIP_BACKGROUND_RETRY_MAX_MS));
    });
  }

  /** Runs one VIP change on every device; true when it fully succeeded (or was superseded). */
  async #applyVips(op: "add" | "remove", generation: number, attempts: number): Promise<boolean> {
    const { effects } = this.#deps;
    if (generation !== this.#vipGeneration && attempts === 1) return true; // superseded retry
    let allOk = true;
    const errors: string[] = [];
    for (const [dev, vips] of this.#vipsByDev()) {
      const list = vips.map((v) => `${v.address}/${v.prefixLen}`).join(" ");
      let outcome: VipOutcome = { ok: false, stderr: "not tried" };
      for (let attempt = 1; attempt <= attempts; attempt++) {
        outcome = op === "add"
          ? await effects.addVips(vips, dev)
          : await effects.removeVips(vips, dev);
        if (outcome.ok) break;
        const stderr = outcome.stderr.trim();
        if (attempt < attempts && generation === this.#vipGeneration) {
          this.log.warn(`ip addr ${op} ${list} dev ${dev} failed, retrying: ${stderr}`);
          await new Promise<void>((r) => effects.setTimer(VIP_RETRY_DELAY_MS * attempt, r));
        } else break;
      }
      if (outcome.ok) {
        this.log.info(`${op === "add" ? "added" : "removed"} VIPs ${list} on ${dev}`);
      } else {
        allOk = false;
        const error = `ip addr ${op} ${list} dev ${dev} failed: ${outcome.stderr.trim()}`;
        errors.push(error);
        this.log.error(error);
        if (op === "add") this.#counters.vipAddFailures++;
        else this.#counters.vipRemoveFailures++;
      }
    }
    if (allOk) this.#vipsPresent = op === "add";
    else if (op === "add") this.#vipsPresent = true; // partially there: a later stop removes them
    if (generation === this.#vipGeneration) {
      if (allOk && op === "add") {
        this.#vipAddOk = true;
        this.#cancelVipGiveWay();
        this.#selfRetryMs.delete(VIP_FAULT);
      }
      if (allOk && this.#vipError !== null) this.log.info(`VIP ${op} succeeded after retries`);
      this.#vipError = allOk ? null : errors.join("; ");
    }
    return allOk;
  }
}

/** All counters at zero. */
export function newCounters(): InstanceCounters {
  return {
    advertsSent: 0,
    advertsReceived: 0,
    becameMaster: 0,
    releasedMaster: 0,
    priorityZeroReceived: 0,
    priorityZeroSent: 0,
    gratuitousArpsSent: 0,
    neighbourAdvertsSent: 0,
    advertSendErrors: 0,
    garpSendErrors: 0,
    vipAddFailures: 0,
    vipRemoveFailures: 0,
    vipGiveWays: 0,
    vipRepairs: 0,
    vipsFoundOnBackup: 0,
    dualMasterEpisodes: 0,
    dualMasterSeconds: 0,
  };
}

/** Whether two adverts encode to the same message (to the same addresses). */
function sameAdvert(a: Advertisement, b: Advertisement): boolean {
  if (
    a.version !== b.version || a.vrid !== b.vrid || a.priority !== b.priority ||
    a.advertIntervalCs !== b.advertIntervalCs || a.authType !== b.authType ||
    a.authData.length !== b.authData.length || a.addresses.length !== b.addresses.length
  ) return false;
  for (let i = 0; i < a.authData.length; i++) if (a.authData[i] !== b.authData[i]) return false;
  for (let i = 0; i < a.addresses.length; i++) if (a.addresses[i] !== b.addresses[i]) return false;
  return true;
}
