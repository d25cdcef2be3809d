/**
 * The one typed configuration both front ends (keepalived-style and TOML) produce.
 * Semantic checks (config/validate.ts) run on this, so both formats get the same diagnostics.
 */

/** A position in a source file, 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export type Severity = "error" | "warning" | "note";

/** Printed as `FILE:LINE:COL: severity: message`. */
export interface Diagnostic extends SourcePos {
  severity: Severity;
  message: string;
}

/** A virtual address: `ADDR[/PREFIX] [brd X] [dev IF] [scope S] [label L]`. */
export interface VipConfig {
  address: string;
  /** defaults to 32 */
  prefixLen: number;
  brd?: string;
  dev?: string;
  scope?: string;
  label?: string;
}

export interface TrackRef {
  name: string;
  /** undefined: use the tracked object's own weight (or, for interfaces, go to Fault) */
  weight?: number;
  /** keepalived's `weight N reverse` */
  reverse?: boolean;
}

/**
 * A notify script: its command line (split into argv as keepalived does) and the user and group
 * to run it as. keepalived: `notify_master CMD [USER [GROUP]]`, where CMD is one word or one
 * quoted string holding the arguments.
 */
export interface NotifyScript {
  command: string;
  /** default: the global script user */
  user?: string;
  /** default: the user's primary group */
  group?: string;
}

export interface NotifyConfig {
  notify?: NotifyScript;
  master?: NotifyScript;
  backup?: NotifyScript;
  fault?: NotifyScript;
  stop?: NotifyScript;
}

export type AuthConfig =
  | { type: "none" }
  /** password exactly as configured; the wire form is its first 8 bytes */
  | { type: "pass"; password: string }
  | { type: "ah"; password: string };

export interface InstanceConfig {
  name: string;
  /** `state MASTER|BACKUP`: a hint; election decides unless priority is 255 */
  initialState: "MASTER" | "BACKUP";
  interface: string;
  vrid: number;
  priority: number;
  /** seconds as written; validate() rounds it as keepalived does (v2: whole s, v3: 10 ms) */
  advertIntervalSec: number;
  /** VRRPv2 or v3; defaults to the global `vrrp_version`, or 3 for an IPv6 instance */
  version: 2 | 3;
  /** keepalived's `native_ipv6`: an IPv6 instance (VRRPv3) even before any VIP says so */
  nativeIpv6: boolean;
  auth: AuthConfig;
  vips: VipConfig[];
  excludedVips: VipConfig[];
  preempt: boolean;
  preemptDelaySec: number;
  garpMasterDelaySec: number;
  garpMasterRepeat: number;
  garpMasterRefreshSec: number;
  garpMasterRefreshRepeat: number;
  /** vrrp's default true; keepalived's `vrrp_higher_prio_send_advert` */
  higherPrioSendAdvert: boolean;
  /** the adverts' source address (keepalived: same field as `unicast_src_ip`) */
  mcastSrcIp?: string;
  /** the adverts' source address, `ADDR[/PREFIX]`; must be an address of `interface` */
  unicastSrcIp?: string;
  /**
   * unicast peers, each `ADDR [min_ttl N] [max_ttl N]` as keepalived writes it (parsed by
   * config/entries.ts parseUnicastPeer); non-empty: adverts go to each peer, not to the group
   */
  unicastPeers: string[];
  /** IPv4 TTL / IPv6 hop limit of unicast adverts (default 255) */
  unicastTtl?: number;
  /** adverts from addresses that are not unicast peers are dropped */
  checkUnicastSrc: boolean;
  /** unicast configured but no peer: Fault instead of multicasting */
  unicastFaultNoPeer: boolean;
  /** the multicast group of this instance's adverts (default: the global group of its family) */
  mcastDstIp?: string;
  trackInterfaces: TrackRef[];
  trackScripts: TrackRef[];
  trackFiles: TrackRef[];
  notify: NotifyConfig;
  smtpAlert: boolean;
  dontTrackPrimary: boolean;
  accept: boolean;
}

export interface VrrpScriptConfig {
  name: string;
  script: string;
  intervalSec: number;
  timeoutSec: number;
  rise: number;
  fall: number;
  weight: number;
  weightReverse: boolean;
  /** keepalived's `init_fail`: the script counts as failing until it first succeeds `rise` times */
  initFail: boolean;
  /** `user USER [GROUP]`: run as this user (default: the global script user) */
  user?: string;
  /** default: the user's primary group */
  group?: string;
}

export interface TrackFileConfig {
  name: string;
  file: string;
  weight: number;
  weightReverse: boolean;
  initValue?: number;
}

export interface SyncGroupConfig {
  name: string;
  members: string[];
  notify: NotifyConfig;
}

export interface GlobalConfig {
  routerId?: string;
  vrrpVersion: 2 | 3;
  garpMasterDelaySec: number;
  garpMasterRepeat: number;
  garpMasterRefreshSec: number;
  garpMasterRefreshRepeat: number;
  higherPrioSendAdvert: boolean;
  /** `script_user USER [GROUP]`: default user of scripts (keepalived: keepalived_script, else root) */
  scriptUser?: string;
  /** default: the script user's primary group */
  scriptGroup?: string;
  enableScriptSecurity: boolean;
  mcastGroup4: string;
  /** keepalived's `vrrp_mcast_group6`: where IPv6 adverts go (default ff02::12) */
  mcastGroup6: string;
  /** every unicast instance drops adverts from addresses that are not its peers */
  checkUnicastSrc: boolean;
  /** vrrp's own: control socket path (default /run/vrrp/vrrp.sock) */
  controlSocket: string;
  /** vrrp's own: where administrative state is kept (default /var/lib/vrrp) */
  stateDir: string;
  /** notify script timeout, seconds */
  scriptTimeoutSec: number;
  /** vrrp's own: where `/metrics` listens (`PORT`, `IP:PORT`); unset: no listener */
  metricsListen?: string;
  /** `vrrp_priority`: nice value of every thread of the daemon (-20..19); unset: left alone */
  processNice?: number;
  /** `vrrp_rt_priority`: SCHED_RR priority of every thread of the daemon (1..99) */
  realtimePriority?: number;
}

export interface Config {
  global: GlobalConfig;
  instances: InstanceConfig[];
  scripts: VrrpScriptConfig[];
  trackFiles: TrackFileConfig[];
  syncGroups: SyncGroupConfig[];
}

/** A parse: the config (possibly partial), every diagnostic, and where each instance was declared. */
export interface LoadResult {
  config: Config;
  diagnostics: Diagnostic[];
  /** the file and format actually read */
  source: { file: string; format: "keepalived" | "toml" };
  /** positions of instances and their keywords, for semantic diagnostics: key like `instance:NAME` or `instance:NAME:virtual_router_id` */
  positions: Map<string, SourcePos>;
}
