/**
 * Control socket protocol: newline-delimited JSON, one request, one reply.
 * This module is the single source of truth for the shapes (documented in docs/control.md).
 */

export type Request =
  | { op: "status"; instance?: string }
  | { op: "down"; instance: string }
  | { op: "up"; instance: string }
  | { op: "reload" };

export interface DropCounters {
  [reason: string]: number;
}

export interface VipStatus {
  address: string;
  prefixLen: number;
  dev: string;
  /**
   * whether the address is configured on this host right now: the daemon's live rtnetlink view
   * of the host's addresses (asked of the host per request when that watch is not running)
   */
  present: boolean;
  /** from virtual_ipaddress_excluded: held with the VIPs but not listed in adverts */
  excluded?: boolean;
}

/** A unicast peer as `status` shows it: can we hear it? */
export interface PeerStatus {
  address: string;
  /** wall-clock time of the last advert heard from it (any that decoded), null if never */
  lastHeardAt: string | null;
  /** the priority in that advert */
  priority: number | null;
  /** adverts heard from it since the daemon started */
  advertsReceived: number;
  /** adverts sent to it (the kernel took them) since the instance started */
  advertsSent: number;
}

/**
 * An instance's counters since it started: the one place both `vrrp status --json` and
 * `/metrics` read them from. Drops by reason are in `InstanceStatus.drops`.
 */
export interface InstanceCounters {
  /** adverts sent: one per advert whatever the unicast peers (keepalived's advert_sent) */
  advertsSent: number;
  advertsReceived: number;
  /** entered MASTER / left MASTER */
  becameMaster: number;
  releasedMaster: number;
  priorityZeroReceived: number;
  priorityZeroSent: number;
  /** gratuitous ARP frames sent */
  gratuitousArpsSent: number;
  /** unsolicited neighbour advertisements sent (IPv6) */
  neighbourAdvertsSent: number;
  /**
   * sends the kernel refused, by what was sent: adverts (each destination), announcement bursts
   * (gratuitous ARP / NA); `InstanceStatus.sendErrors` is their sum
   */
  advertSendErrors: number;
  garpSendErrors: number;
  /** `ip addr` changes that finally failed (after the attempts) */
  vipAddFailures: number;
  vipRemoveFailures: number;
  /** times this instance, as master, gave way (FAULT) because its VIPs were not configured in time */
  vipGiveWays: number;
  /** VIPs something else removed while we were master, added back */
  vipRepairs: number;
  /** VIPs that appeared on the host while we were not master */
  vipsFoundOnBackup: number;
  /** split-brain episodes (another master heard while master) and their total length */
  dualMasterEpisodes: number;
  dualMasterSeconds: number;
}

export interface InstanceStatus {
  name: string;
  interface: string;
  vrid: number;
  /** the address family of its adverts and VIPs */
  family?: "ipv4" | "ipv6";
  /** VRRP version spoken: 2 (RFC 3768) or 3 (RFC 5798) */
  protocolVersion?: 2 | 3;
  /** our Advertisement_Interval, ms */
  advertIntervalMs?: number;
  /** RFC 5798 Master_Adver_Interval, ms: learned from the master we follow (ours until then) */
  masterAdvertIntervalMs?: number;
  /** Skew_Time and Master_Down_Interval from the learned interval, ms (exact fractions) */
  skewTimeMs?: number;
  masterDownIntervalMs?: number;
  state: "initialize" | "backup" | "master" | "fault";
  adminDown: boolean;
  basePriority: number;
  effectivePriority: number;
  /** what moved the priority away from base, e.g. `script chk_nginx -20` */
  priorityAdjustments: string[];
  /** the master's primary IP as last heard (ours when master), null when unknown */
  masterIp: string | null;
  vips: VipStatus[];
  lastTransition: { from: string; to: string; reason: string; at: string } | null;
  advertsSent: number;
  advertsReceived: number;
  drops: DropCounters;
  /** every counter (absent from daemons before this field existed) */
  counters?: InstanceCounters;
  /** garp_master_delay, ms: from becoming master to the second announcement burst */
  garpMasterDelayMs?: number;
  /** set while a split brain is being repaired (we heard a lower-priority master) */
  splitBrain: { peer: string; priority: number; at: string } | null;
  /**
   * why the VIPs are not as the role wants: the last `ip addr` add/remove failed after its
   * retries (background retries go on, 1 s doubling to 30 s); null when fine. Absent from
   * daemons before this field existed.
   */
  vipError?: string | null;
  /**
   * where the adverts go: `multicast` to `group`, or `unicast` from `source` to each of `peers`
   * (each with when it was last heard). Absent from daemons before unicast existed.
   */
  adverts?:
    | { mode: "multicast"; source: string; group: string }
    | { mode: "unicast"; source: string; checkSource: boolean; peers: PeerStatus[] };
  /**
   * refused sends since start: each advert destination and each announcement burst (the sum of
   * `counters.advertSendErrors` and `garpSendErrors`); 3 failed rounds in a row mean FAULT
   */
  sendErrors?: number;
  /** the last failed send, e.g. `advert: sendto: No such device (ENODEV, errno 19)` */
  lastSendError?: string | null;
  /** times this instance, as master, gave way because its VIPs could not be configured in time */
  vipGiveWays?: number;
}

/** A `vrrp_script` as the daemon runs it. */
export interface ScriptStatus {
  name: string;
  /** the state after rise/fall hysteresis */
  ok: boolean;
  /** a run is in progress */
  running: boolean;
  runs: number;
  /** runs that exited non-zero, could not start, or were killed */
  failures: number;
  timeouts: number;
}

/** Notify scripts (per kind of notification) as the daemon ran them. */
export interface NotifyStatus {
  kind: string;
  runs: number;
  failures: number;
  timeouts: number;
}

export interface StatusReply {
  ok: true;
  version: 1;
  pid: number;
  configFile: string;
  startedAt: string;
  instances: InstanceStatus[];
  /** track scripts (absent from daemons before this field existed) */
  scripts?: ScriptStatus[];
  /**
   * packets dropped on an interface before any instance could own them (too short to carry a
   * VRID, or a VRID nobody here runs, or undecodable), by interface and reason. Absent from
   * older daemons.
   */
  interfaceDrops?: Record<string, DropCounters>;
}

export type Reply =
  | StatusReply
  | { ok: true; message: string }
  | { ok: false; error: string; diagnostics?: string[] };

/** What `DaemonApi.status` answers. */
export type StatusResult = StatusReply | { ok: false; error: string };

/** What the daemon gives the control server; the server holds no state of its own. */
export interface DaemonApi {
  /** May be asynchronous: the daemon asks the host which VIPs are really present. */
  status(instance?: string): StatusResult | Promise<StatusResult>;
  adminDown(instance: string): Promise<Reply>;
  adminUp(instance: string): Promise<Reply>;
  reload(): Promise<Reply>;
}
