/**
 * The VRRP state machine, v2 (RFC 3768 §6.4) and v3 (RFC 5798 §6.4), with keepalived's operator extensions (nopreempt,
 * preempt_delay, Fault, tracked priority, gratuitous ARP schedule) and split-brain repair.
 *
 * Pure: `step()` takes the parameters, the state, one event and the time, and returns a new state
 * plus the actions for the shell to execute in order. It never mutates its inputs and never
 * throws. Every role change goes through `enter()`, with a camelCase reason. All internal timers
 * collapse into one deadline per instance (`nextDeadlineMs()`); the shell calls `step()` with
 * `deadlineReached` at or after that time and every due timer is handled.
 *
 * Master_Adver_Interval (RFC 5798 §6.4.2-6.4.3) lives in the state: a backup learns it from the
 * adverts it follows and recomputes Skew_Time and Master_Down_Interval from it. In v2 it always
 * equals our own interval (adverts with another one are dropped, RFC 3768 §7.1).
 *
 * Decisions beyond the RFC, documented here because the shell and operators rely on them:
 * - Administratively down is role `initialize` with `adminDown: true`: no adverts, no timers.
 *   A master hands over first (priority-0 advert, VIPs removed). Adverts received while down are
 *   checked, *observed* (`masterIp` stays current for `status`) and reported as
 *   `packetDropped{adminDown}` so the counters show they were not used.
 * - Faults are a set of reasons: Fault while any is raised. Raising a raised reason or clearing
 *   an unknown one is idempotent (debug log), since link events repeat. A master entering Fault
 *   sends a priority-0 advert (best effort: the shell's send fails if the link is down) and
 *   removes its VIPs. Leaving Fault goes to Backup. Adverts in Fault are observed silently.
 * - preempt_delay (keepalived semantics): a backup that hears a lower-priority master first
 *   keeps following it (the advert resets Master_Down_Timer) for `preemptDelayMs`; after that,
 *   lower-priority adverts are ignored and Master_Down_Timer runs out (reason
 *   `preemptDelayElapsed`). An advert at our priority or above cancels the pending preemption.
 * - The address owner (priority 255) always preempts, whatever `preempt` says (§6.1).
 * - Split brain: a master hearing an advert below it in the election order (lower priority, or
 *   equal priority from a lower primary IP; never priority 0) marks `splitBrain`, logs a warning
 *   and re-announces (advert + gratuitous ARP) at most once per advert interval per peer; the
 *   mark clears after 3 advert intervals without such adverts.
 * - Sync groups (`syncRoleRequested`, keepalived's vrrp_sync_group): the shell asks a member to
 *   follow another member's role change. To master: a backup takes over at once, with the same
 *   actions as a normal takeover. To backup: a master steps down without a priority-0 advert
 *   (VIPs removed, Master_Down_Timer armed) and is *held*: until it next leaves backup it follows
 *   even a lower-priority master instead of preempting it (otherwise the group would thrash:
 *   the peer's group-forced master advertises a lower priority). A held backup still takes over
 *   when its master goes silent. Ignored (logged) while not running, admin down or in Fault.
 * - Anomalies (caller bugs): `startup` while running, `shutdownRequested` while not running,
 *   a non-finite priority, an unknown event. Repeated admin requests are logged, not anomalies.
 */
import {
  AUTH_DATA_BYTES,
  AuthType,
  PRIORITY_OWNER,
  PRIORITY_RESIGN,
  VrrpVersion,
} from "./constants.ts";
import { checkAdvert } from "./checks.ts";
import { compareAddresses } from "./address.ts";
import { authDataFromPassword } from "./packet.ts";
import { advertIntervalMs, masterDownIntervalMs, skewTimeMs } from "./timers.ts";
import type {
  Advertisement,
  FsmAction,
  FsmEvent,
  InstanceParams,
  ReceivedAddresses,
  StepResult,
} from "./types.ts";
import { Role } from "./types.ts";

/** Lowest and highest priority a non-owner can have (§5.3.4). */
export const MIN_EFFECTIVE_PRIORITY = 1;
export const MAX_EFFECTIVE_PRIORITY = 254;
/** The split-brain mark clears after this many advert intervals without a lower-priority advert. */
export const SPLIT_BRAIN_CLEAR_INTERVALS = 3;

/** The last role change, with the time (the `nowMs` of the step) it happened. */
export interface Transition {
  from: Role;
  to: Role;
  reason: string;
  atMs: number;
}

/** Set while we are master and hear another master below us for our VRID. */
export interface SplitBrain {
  /** the other master's primary IP (the advert's IPv4 source) */
  peer: string;
  /** its advertised priority, as last heard */
  priority: number;
  sinceMs: number;
  lastHeardMs: number;
}

/** Absolute times (ms, same clock as `nowMs`) of each internal timer; null when not armed. */
export interface InstanceTimers {
  /** §6.2 Master_Down_Timer (backup) */
  masterDownAtMs: number | null;
  /** §6.2 Adver_Timer (master) */
  advertAtMs: number | null;
  /** end of preempt_delay (backup waiting to preempt a lower-priority master) */
  preemptDelayEndsAtMs: number | null;
  /** the second gratuitous ARP burst after becoming master (garp_master_delay) */
  garpRepeatAtMs: number | null;
  /** the next periodic gratuitous ARP (garp_master_refresh) */
  garpRefreshAtMs: number | null;
  /** when the split-brain mark clears if no lower-priority advert comes */
  splitBrainClearAtMs: number | null;
  /**
   * unicast, backup: when a master that stepped down for a higher one repeats its last advert
   * once. The first may wait behind an unresolved neighbour (a healed partition) and be dropped
   * with it; then the new master never learns of the split brain and never re-announces
   */
  stepDownNoticeAtMs: number | null;
}

/** Everything that changes while one instance runs. Treat as immutable: `step()` returns a new one. */
export interface InstanceState {
  role: Role;
  /** between `startup` and `shutdownRequested` */
  running: boolean;
  /** the priority we advertise: base priority moved by tracking, 1..254, or 255 for the owner */
  effectivePriority: number;
  adminDown: boolean;
  /** raised fault reasons; Fault while non-empty (and not admin down) */
  faults: string[];
  /** the current master's primary IP as last heard, ours when master, null when unknown */
  masterIp: string | null;
  /** the current master's priority as last heard, ours when master, null when unknown */
  masterPriority: number | null;
  lastTransition: Transition | null;
  splitBrain: SplitBrain | null;
  /** preempt_delay in progress (`elapsed` once it is over); null when not preempting */
  preempt: { sinceMs: number; elapsed: boolean } | null;
  /** the last advert a backup heard was a lower priority it ignored (it is about to preempt) */
  ignoredLowerPriority: boolean;
  /** stepped down because its sync group did: follow lower-priority masters, do not preempt */
  syncHold: boolean;
  /**
   * RFC 5798 §6.1 Master_Adver_Interval, centiseconds: the interval of the master we follow
   * (ours until we hear one), the base of Skew_Time and Master_Down_Interval
   */
  masterAdverIntervalCs: number;
  /** split-brain re-announce rate limit: peer IP → time of our last reply */
  splitBrainRepliedAtMs: Record<string, number>;
  timers: InstanceTimers;
}

const NO_TIMERS: InstanceTimers = {
  masterDownAtMs: null,
  advertAtMs: null,
  preemptDelayEndsAtMs: null,
  garpRepeatAtMs: null,
  garpRefreshAtMs: null,
  splitBrainClearAtMs: null,
  stepDownNoticeAtMs: null,
};

/** Clamps a requested priority to what a non-owner may advertise. */
export function clampPriority(priority: number): number {
  return Math.min(MAX_EFFECTIVE_PRIORITY, Math.max(MIN_EFFECTIVE_PRIORITY, Math.round(priority)));
}

/** The state before `startup`: Initialize, not running, base priority, nothing heard. */
export function initialState(params: InstanceParams): InstanceState {
  return {
    role: Role.initialize,
    running: false,
    effectivePriority: params.basePriority === PRIORITY_OWNER
      ? PRIORITY_OWNER
      : clampPriority(params.basePriority),
    adminDown: false,
    faults: [],
    masterIp: null,
    masterPriority: null,
    lastTransition: null,
    splitBrain: null,
    preempt: null,
    ignoredLowerPriority: false,
    syncHold: false,
    masterAdverIntervalCs: params.advertIntervalCs,
    splitBrainRepliedAtMs: {},
    timers: { ...NO_TIMERS },
  };
}

/** Skew_Time of `state` under `params`, ms (RFC 5798 §6.1). */
export function currentSkewTimeMs(params: InstanceParams, state: InstanceState): number {
  return skewTimeMs(params.version, state.effectivePriority, state.masterAdverIntervalCs);
}

/** Master_Down_Interval of `state` under `params`, ms (RFC 5798 §6.1). */
export function currentMasterDownIntervalMs(
  params: InstanceParams,
  state: InstanceState,
): number {
  return masterDownIntervalMs(params.version, state.masterAdverIntervalCs, state.effectivePriority);
}

/** The earliest armed internal timer, or null when none is (not running, admin down, Fault). */
export function nextDeadlineMs(state: InstanceState): number | null {
  let best: number | null = null;
  for (const t of Object.values(state.timers)) {
    if (t !== null && (best === null || t < best)) best = t;
  }
  return best;
}

/** The advert this instance sends at `priority` (§5.3). */
export function advertFor(params: InstanceParams, priority: number): Advertisement {
  return {
    version: params.version,
    vrid: params.vrid,
    priority,
    advertIntervalCs: params.advertIntervalCs,
    authType: params.authType,
    authData: params.version === VrrpVersion.v3
      ? new Uint8Array(0)
      : params.authType === AuthType.simplePassword
      ? authDataFromPassword(params.authPass)
      : new Uint8Array(AUTH_DATA_BYTES),
    addresses: [...params.vips],
  };
}

/** One step's working copy: the new state being built and the actions emitted so far. */
class Step {
  readonly s: InstanceState;
  readonly actions: FsmAction[] = [];

  constructor(readonly p: InstanceParams, state: InstanceState, readonly now: number) {
    this.s = {
      ...state,
      faults: [...state.faults],
      splitBrain: state.splitBrain && { ...state.splitBrain },
      preempt: state.preempt && { ...state.preempt },
      splitBrainRepliedAtMs: { ...state.splitBrainRepliedAtMs },
      timers: { ...state.timers },
    };
  }

  emit(action: FsmAction): void {
    this.actions.push(action);
  }

  log(level: "debug" | "info" | "warn", message: string): void {
    this.emit({ type: "log", level, message });
  }

  anomaly(message: string): void {
    this.emit({ type: "anomaly", message });
  }

  get intervalMs(): number {
    return advertIntervalMs(this.p.advertIntervalCs);
  }

  sendAdvert(priority: number): void {
    this.emit({ type: "sendAdvert", advert: advertFor(this.p, priority) });
  }

  /** Sends our advert now and restarts the Adver_Timer from here. */
  advertiseNow(): void {
    this.sendAdvert(this.s.effectivePriority);
    this.s.timers.advertAtMs = this.now + this.intervalMs;
  }

  /**
   * The periodic advert (Adver_Timer fired): the next one is due one interval after the previous
   * deadline, not after now, so the shell's timer lateness does not add up into the interval.
   * More than one interval behind (a stalled loop), it restarts from now instead of bursting.
   */
  advertiseOnSchedule(deadlineMs: number): void {
    this.sendAdvert(this.s.effectivePriority);
    const next = deadlineMs + this.intervalMs;
    this.s.timers.advertAtMs = next > this.now ? next : this.now + this.intervalMs;
  }

  /** A master leaving: the priority-0 advert of §6.4.3 "Shutdown" (no-op in other roles). */
  resignIfMaster(): void {
    if (this.s.role === Role.master) this.sendAdvert(PRIORITY_RESIGN);
  }

  /** Records who is master as far as this advert tells. */
  observe(advert: Advertisement, source: string): void {
    if (advert.priority === PRIORITY_RESIGN) {
      this.s.masterIp = null;
      this.s.masterPriority = null;
    } else {
      this.s.masterIp = source;
      this.s.masterPriority = advert.priority;
    }
  }

  armMasterDown(ms: number): void {
    this.s.timers.masterDownAtMs = this.now + ms;
  }

  /**
   * RFC 5798 §6.4.2: "Set Master_Adver_Interval to Adver Interval contained in the
   * ADVERTISEMENT, Recompute the Skew_Time, Recompute the Master_Down_Interval, Reset the
   * Master_Down_Timer to Master_Down_Interval".
   */
  followMaster(advert: Advertisement): void {
    this.s.masterAdverIntervalCs = advert.advertIntervalCs;
    this.armMasterDown(currentMasterDownIntervalMs(this.p, this.s));
  }

  cancelPreempt(): void {
    this.s.preempt = null;
    this.s.timers.preemptDelayEndsAtMs = null;
  }

  /** The single place a role changes (the carp_set_state of this machine). */
  enter(to: Role, reason: string): void {
    const s = this.s;
    const from = s.role;
    const wasMaster = from === Role.master;
    s.role = to;
    s.lastTransition = { from, to, reason, atMs: this.now };
    s.timers = { ...NO_TIMERS };
    s.preempt = null;
    s.ignoredLowerPriority = false;
    s.syncHold = false;
    this.emit({ type: "stateChanged", from, to, reason });
    if (wasMaster && to !== Role.master) {
      this.emit({ type: "removeVips" });
      s.splitBrain = null;
      s.splitBrainRepliedAtMs = {};
      s.masterIp = null;
      s.masterPriority = null;
    }
    if (to === Role.master) {
      s.masterIp = this.p.primaryIp;
      s.masterPriority = s.effectivePriority;
      this.advertiseNow();
      this.emit({ type: "addVips" });
      this.emit({ type: "sendGratuitousArp", why: "becameMaster" });
      if (this.p.garpMasterDelayMs > 0) {
        s.timers.garpRepeatAtMs = this.now + this.p.garpMasterDelayMs;
      }
      if (this.p.garpMasterRefreshMs > 0) {
        s.timers.garpRefreshAtMs = this.now + this.p.garpMasterRefreshMs;
      }
    } else if (to === Role.backup) {
      // RFC 5798 §6.4.1: "Set Master_Adver_Interval to Advertisement_Interval"
      s.masterAdverIntervalCs = this.p.advertIntervalCs;
      this.armMasterDown(currentMasterDownIntervalMs(this.p, s));
    }
  }

  /** Where a running instance belongs when it (re)joins: Fault if any fault is raised, else Backup. */
  rejoin(reason: string): void {
    if (this.s.faults.length > 0) this.enter(Role.fault, reason);
    else this.enter(Role.backup, reason);
  }
}

function onStartup(c: Step): void {
  const s = c.s;
  if (s.running) {
    c.anomaly(`startup while already running (role ${s.role})`);
    return;
  }
  s.running = true;
  if (s.adminDown) {
    c.log("info", "started administratively down: staying out of the election");
  } else if (s.faults.length > 0) {
    c.enter(Role.fault, `faultRaised: ${s.faults.join(", ")}`);
  } else if (s.effectivePriority === PRIORITY_OWNER) {
    c.enter(Role.master, "ownerStartup");
  } else {
    c.enter(Role.backup, "startup");
  }
}

function onShutdown(c: Step): void {
  const s = c.s;
  if (!s.running) {
    c.anomaly(`shutdownRequested while not running (role ${s.role})`);
    return;
  }
  c.resignIfMaster();
  if (s.role !== Role.initialize) c.enter(Role.initialize, "shutdown");
  s.running = false;
}

function onAdminDown(c: Step): void {
  const s = c.s;
  if (s.adminDown) {
    c.log("info", "already administratively down");
    return;
  }
  s.adminDown = true;
  if (!s.running) {
    c.log("info", "administratively down before startup");
    return;
  }
  c.resignIfMaster();
  c.enter(Role.initialize, "adminDown");
}

function onAdminUp(c: Step): void {
  const s = c.s;
  if (!s.adminDown) {
    c.log("info", "already administratively up");
    return;
  }
  s.adminDown = false;
  if (!s.running) {
    c.log("info", "administratively up before startup");
    return;
  }
  c.rejoin("adminUp");
}

function onFaultRaised(c: Step, reason: string): void {
  const s = c.s;
  if (s.faults.includes(reason)) {
    c.log("debug", `fault already raised: ${reason}`);
    return;
  }
  s.faults.push(reason);
  if (!s.running || s.adminDown || s.role === Role.fault) {
    c.log("info", `fault raised: ${reason}`);
    return;
  }
  c.resignIfMaster();
  c.enter(Role.fault, `faultRaised: ${reason}`);
}

function onFaultCleared(c: Step, reason: string): void {
  const s = c.s;
  const i = s.faults.indexOf(reason);
  if (i < 0) {
    c.log("debug", `fault not raised, nothing to clear: ${reason}`);
    return;
  }
  s.faults.splice(i, 1);
  if (s.role === Role.fault && s.faults.length === 0) {
    c.enter(Role.backup, `faultCleared: ${reason}`);
  } else {
    c.log("info", `fault cleared: ${reason}`);
  }
}

function onPriorityChanged(c: Step, requested: number, reason: string): void {
  const s = c.s;
  if (typeof requested !== "number" || !Number.isFinite(requested)) {
    c.anomaly(`priorityChanged to a non-number: ${requested} (${reason})`);
    return;
  }
  if (c.p.basePriority === PRIORITY_OWNER) {
    c.log("debug", `address owner keeps priority 255 (ignored ${requested}: ${reason})`);
    return;
  }
  const next = clampPriority(requested);
  if (next === s.effectivePriority) return;
  c.log("info", `effective priority ${s.effectivePriority} -> ${next} (${reason})`);
  s.effectivePriority = next;
  if (s.role === Role.master) {
    // tell the backups at once: a backup now above us preempts sooner
    s.masterPriority = next;
    c.advertiseNow();
  } else if (s.role === Role.backup && s.preempt && (s.masterPriority ?? 0) >= next) {
    c.cancelPreempt();
  }
}

function onSyncRole(c: Step, to: "master" | "backup", reason: string): void {
  const s = c.s;
  if (!s.running || s.adminDown || s.role === Role.fault || s.role === Role.initialize) {
    const why = !s.running ? "not running" : s.adminDown ? "administratively down" : s.role;
    c.log("info", `sync group asks for ${to}, ignored (${why}): ${reason}`);
    return;
  }
  if (to !== Role.master && to !== Role.backup) {
    c.anomaly(`syncRoleRequested to an unknown role ${JSON.stringify(to)} (${reason})`);
    return;
  }
  if (s.role === to) {
    c.log("debug", `sync group asks for ${to}, already ${to}: ${reason}`);
    return;
  }
  c.enter(to, reason);
  if (to === Role.backup) s.syncHold = true;
}

function onDeadline(c: Step): void {
  const s = c.s;
  const t = s.timers;
  const due = (at: number | null) => at !== null && at <= c.now;
  let handled = false;
  if (s.role === Role.backup) {
    if (due(t.stepDownNoticeAtMs)) {
      handled = true;
      t.stepDownNoticeAtMs = null;
      // the advert we sent when stepping down, once more (see InstanceTimers); a new master
      // that already heard it only re-announces again, rate-limited
      c.sendAdvert(s.effectivePriority);
    }
    if (due(t.preemptDelayEndsAtMs) && s.preempt) {
      handled = true;
      s.preempt.elapsed = true;
      t.preemptDelayEndsAtMs = null;
      c.log(
        "info",
        `preempt delay over: ignoring adverts from lower-priority master ${s.masterIp}`,
      );
    }
    if (due(t.masterDownAtMs)) {
      const reason = s.preempt?.elapsed
        ? "preemptDelayElapsed"
        : s.ignoredLowerPriority
        ? "preemptLowerPriority"
        : "masterDownIntervalElapsed";
      c.enter(Role.master, reason);
      return;
    }
  }
  if (s.role === Role.master) {
    if (t.advertAtMs !== null && due(t.advertAtMs)) {
      handled = true;
      c.advertiseOnSchedule(t.advertAtMs);
    }
    if (due(t.garpRepeatAtMs)) {
      handled = true;
      t.garpRepeatAtMs = null;
      c.emit({ type: "sendGratuitousArp", why: "repeat" });
    }
    if (due(t.garpRefreshAtMs)) {
      handled = true;
      t.garpRefreshAtMs = c.now + c.p.garpMasterRefreshMs;
      c.emit({ type: "sendGratuitousArp", why: "refresh" });
    }
    if (due(t.splitBrainClearAtMs)) {
      handled = true;
      c.log("info", `split brain over: no lower-priority advert from ${s.splitBrain?.peer}`);
      s.splitBrain = null;
      s.splitBrainRepliedAtMs = {};
      t.splitBrainClearAtMs = null;
    }
  }
  if (!handled) c.log("debug", `deadlineReached with nothing due (role ${s.role})`);
}

/** §6.4.2 Backup: "If an ADVERTISEMENT is received". */
function backupHeard(c: Step, advert: Advertisement, source: string): void {
  const s = c.s;
  const ours = s.effectivePriority;
  if (advert.priority === PRIORITY_RESIGN) {
    c.observe(advert, source);
    c.cancelPreempt();
    s.ignoredLowerPriority = false;
    c.armMasterDown(currentSkewTimeMs(c.p, s));
    c.log("info", `master ${source} resigned (priority 0): Master_Down_Timer set to Skew_Time`);
    return;
  }
  const preempts = (c.p.preempt && !s.syncHold) || ours === PRIORITY_OWNER;
  if (!preempts || advert.priority >= ours) {
    c.cancelPreempt();
    c.observe(advert, source);
    s.ignoredLowerPriority = false;
    c.followMaster(advert);
    return;
  }
  // A lower priority and we preempt. It is the master as heard only if it is the one we follow
  // (or we follow nobody): a master stepping down sends one last advert below the new master's.
  if (s.masterIp === null || s.masterIp === source) c.observe(advert, source);
  if (c.p.preemptDelayMs > 0 && !s.preempt?.elapsed) {
    // preempt_delay: keep following it (reset the timer) until the delay is over
    if (!s.preempt) {
      s.preempt = { sinceMs: c.now, elapsed: false };
      s.timers.preemptDelayEndsAtMs = c.now + c.p.preemptDelayMs;
      c.log(
        "info",
        `lower-priority master ${source} (${advert.priority} < ${ours}): ` +
          `preempting after ${c.p.preemptDelayMs} ms`,
      );
    }
    s.ignoredLowerPriority = false;
    c.followMaster(advert);
    return;
  }
  s.ignoredLowerPriority = true;
  c.log("debug", `ignoring advert from lower-priority master ${source} (${advert.priority})`);
}

/** §6.4.3 Master: "If an ADVERTISEMENT is received", plus split-brain repair. */
function masterHeard(c: Step, advert: Advertisement, source: string): void {
  const s = c.s;
  const ours = s.effectivePriority;
  if (advert.priority === PRIORITY_RESIGN) {
    c.log("info", `${source} resigned (priority 0) while we are master: advertising at once`);
    c.advertiseNow();
    return;
  }
  const cmp = compareAddresses(source, c.p.primaryIp);
  if (advert.priority > ours || (advert.priority === ours && cmp > 0)) {
    // keepalived's vrrp_higher_prio_send_advert: let the winner hear us and re-announce
    if (c.p.higherPrioSendAdvert) c.sendAdvert(ours);
    c.enter(
      Role.backup,
      advert.priority > ours ? "higherPriorityAdvert" : "equalPriorityHigherIpAdvert",
    );
    if (c.p.higherPrioSendAdvert && c.p.unicast !== null) {
      s.timers.stepDownNoticeAtMs = c.now + c.intervalMs;
    }
    c.observe(advert, source);
    // RFC 5798 §6.4.3: Master_Adver_Interval from the advert, Master_Down_Timer from it
    c.followMaster(advert);
    return;
  }
  // another master below us: a split brain, repaired by re-announcing (rate-limited per peer)
  const prev = s.splitBrain;
  s.splitBrain = {
    peer: source,
    priority: advert.priority,
    sinceMs: prev && prev.peer === source ? prev.sinceMs : c.now,
    lastHeardMs: c.now,
  };
  s.timers.splitBrainClearAtMs = c.now + SPLIT_BRAIN_CLEAR_INTERVALS * c.intervalMs;
  const last = s.splitBrainRepliedAtMs[source];
  if (last !== undefined && c.now - last < c.intervalMs) {
    c.log("debug", `split brain: ${source} still advertising, reply rate-limited`);
    return;
  }
  s.splitBrainRepliedAtMs[source] = c.now;
  c.log(
    "warn",
    `split brain: ${source} advertises as master at priority ${advert.priority} ` +
      `(ours ${ours}): re-announcing`,
  );
  c.advertiseNow();
  c.emit({ type: "sendGratuitousArp", why: "splitBrain" });
}

function onAdvert(
  c: Step,
  advert: Advertisement,
  source: string,
  wire?: ReceivedAddresses,
): void {
  const s = c.s;
  if (!s.running) {
    c.log("debug", `advert from ${source} ignored: instance not running`);
    return;
  }
  const verdict = checkAdvert(c.p, advert, source, wire);
  if (!verdict.ok) {
    c.emit({ type: "packetDropped", reason: verdict.reason, detail: verdict.detail });
    return;
  }
  for (const w of verdict.warnings) c.log("warn", w);
  if (s.adminDown) {
    c.observe(advert, source);
    c.emit({
      type: "packetDropped",
      reason: "adminDown",
      detail: `advert from ${source} observed, not used: administratively down`,
    });
    return;
  }
  switch (s.role) {
    case Role.backup:
      return backupHeard(c, advert, source);
    case Role.master:
      return masterHeard(c, advert, source);
    case Role.fault:
      return c.observe(advert, source);
    case Role.initialize:
      return c.anomaly(`advert from ${source} while running in initialize`);
  }
}

function dispatch(c: Step, event: FsmEvent): void {
  switch (event.type) {
    case "startup":
      return onStartup(c);
    case "shutdownRequested":
      return onShutdown(c);
    case "adminDownRequested":
      return onAdminDown(c);
    case "adminUpRequested":
      return onAdminUp(c);
    case "faultRaised":
      return onFaultRaised(c, event.reason);
    case "faultCleared":
      return onFaultCleared(c, event.reason);
    case "priorityChanged":
      return onPriorityChanged(c, event.effectivePriority, event.reason);
    case "syncRoleRequested":
      return onSyncRole(c, event.to, event.reason);
    case "deadlineReached":
      return onDeadline(c);
    case "advertReceived":
      return onAdvert(c, event.advert, event.source, event.wire);
    default:
      return c.anomaly(`unknown event ${JSON.stringify(event)}`);
  }
}

/**
 * Applies one event at time `nowMs` (milliseconds on any monotonic clock, the same one used for
 * `nextDeadlineMs`). Returns the new state and the actions, in the order the shell must execute
 * them. Never mutates `state` or `params`, never throws: an internal error becomes an `anomaly`
 * and leaves the state unchanged.
 */
export function step(
  params: InstanceParams,
  state: InstanceState,
  event: FsmEvent,
  nowMs: number,
): StepResult<InstanceState> {
  try {
    const c = new Step(params, state, nowMs);
    dispatch(c, event);
    return { state: c.s, actions: c.actions };
  } catch (e) {
    const what = (event as { type?: unknown } | null)?.type;
    return {
      state,
      actions: [{ type: "anomaly", message: `step() failed on ${String(what)}: ${String(e)}` }],
    };
  }
}
