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
  /** whether the address is configured on this host right now (asked of the host per request) */
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
  /** failed sends (adverts and gratuitous ARP) since start; 3 in a row mean FAULT */
  sendErrors?: number;
  /** the last failed send, e.g. `advert: sendto: No such device (ENODEV, errno 19)` */
  lastSendError?: string | null;
  /** times this instance, as master, gave way because its VIPs could not be configured in time */
  vipGiveWays?: number;
}

export interface StatusReply {
  ok: true;
  version: 1;
  pid: number;
  configFile: string;
  startedAt: string;
  instances: InstanceStatus[];
  /**
   * packets dropped on an interface before any instance could own them (too short to carry a
   * VRID, or a VRID nobody here runs), by interface and reason. Absent from older daemons.
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
