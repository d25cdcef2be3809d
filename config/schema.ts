/**
 * The TOML schema as a table: for each section, each key with its type, how it sets the typed
 * config and how it reads it back (for `vrrp convert`). Key names are keepalived's keywords,
 * without the `vrrp_` prefix in [global]. docs/config.md documents the same table.
 */
import type {
  GlobalConfig,
  InstanceConfig,
  NotifyConfig,
  SyncGroupConfig,
  TrackFileConfig,
  TrackRef,
  VipConfig,
  VrrpScriptConfig,
} from "./model.ts";

/** A TOML value as smol-toml gives it (only the shapes this schema uses). */
export type TomlValue = string | number | boolean | TomlValue[] | { [k: string]: TomlValue };

/** What a key holds; the TOML front end checks values against it. */
export type Kind =
  | { type: "string" }
  | { type: "int"; min: number; max: number }
  | { type: "number"; min: number; max: number }
  | { type: "bool" }
  | { type: "enum"; values: readonly string[] }
  | { type: "strings" }
  | { type: "vips" }
  | { type: "tracks" };

/** One key of a section. */
export interface Field<T> {
  kind: Kind;
  /** `v` has already been checked against `kind` (vips and tracks arrive parsed) */
  set(t: T, v: unknown): void;
  get(t: T): TomlValue | undefined;
}

const str = { type: "string" } as const;
const bool = { type: "bool" } as const;
const int = (min: number, max: number) => ({ type: "int", min, max }) as const;
const num = (min: number, max: number) => ({ type: "number", min, max }) as const;

/** A field that reads and writes one property of the target. */
function prop<T, K extends keyof T>(kind: Kind, key: K): Field<T> {
  return {
    kind,
    set: (t, v) => t[key] = v as T[K],
    get: (t) => t[key] as TomlValue | undefined,
  };
}

/** What the instance section writes into: the instance and the fields it set itself. */
export interface InstanceTarget {
  inst: InstanceConfig;
  explicit: Set<string>;
}

function iprop<K extends keyof InstanceConfig>(kind: Kind, key: K): Field<InstanceTarget> {
  return {
    kind,
    set: (t, v) => {
      t.inst[key] = v as InstanceConfig[K];
      t.explicit.add(key);
    },
    get: (t) => t.inst[key] as TomlValue | undefined,
  };
}

function notifyFields<T>(get: (t: T) => NotifyConfig): Record<string, Field<T>> {
  const kinds: [string, keyof NotifyConfig][] = [
    ["notify", "notify"],
    ["notify_master", "master"],
    ["notify_backup", "backup"],
    ["notify_fault", "fault"],
    ["notify_stop", "stop"],
  ];
  return Object.fromEntries(kinds.map(([k, f]) => [k, {
    kind: str,
    set: (t: T, v: unknown) => get(t)[f] = v as string,
    get: (t: T) => get(t)[f],
  }]));
}

/** VIPs go out as keepalived-style strings; tables are accepted on input too. */
export function vipToToml(v: VipConfig): string {
  let s = `${v.address}/${v.prefixLen}`;
  for (const k of ["brd", "dev", "scope", "label"] as const) {
    if (v[k] !== undefined) s += ` ${k} ${v[k]}`;
  }
  return s;
}

/** A track reference goes out as its name, or a table when it has a weight. */
export function trackToToml(r: TrackRef): TomlValue {
  if (r.weight === undefined) return r.name;
  const t: Record<string, TomlValue> = { name: r.name, weight: r.weight };
  if (r.reverse) t.reverse = true;
  return t;
}

/** [global] */
export const GLOBAL_FIELDS: Record<string, Field<GlobalConfig>> = {
  router_id: prop(str, "routerId"),
  vrrp_version: prop(int(2, 3), "vrrpVersion"),
  garp_master_delay: prop(int(0, 255), "garpMasterDelaySec"),
  garp_master_repeat: prop(int(1, 255), "garpMasterRepeat"),
  garp_master_refresh: prop(int(0, 86400), "garpMasterRefreshSec"),
  garp_master_refresh_repeat: prop(int(1, 255), "garpMasterRefreshRepeat"),
  higher_prio_send_advert: prop(bool, "higherPrioSendAdvert"),
  script_user: prop(str, "scriptUser"),
  enable_script_security: prop(bool, "enableScriptSecurity"),
  mcast_group4: prop(str, "mcastGroup4"),
  control_socket: prop(str, "controlSocket"),
  state_dir: prop(str, "stateDir"),
  script_timeout: prop(int(1, 3600), "scriptTimeoutSec"),
};

/** [instance.NAME] */
export const INSTANCE_FIELDS: Record<string, Field<InstanceTarget>> = {
  state: iprop({ type: "enum", values: ["MASTER", "BACKUP"] }, "initialState"),
  interface: iprop(str, "interface"),
  virtual_router_id: iprop(int(-1e9, 1e9), "vrid"),
  priority: iprop(int(-1e9, 1e9), "priority"),
  advert_int: iprop(num(-1e9, 1e9), "advertIntervalSec"),
  version: iprop(int(2, 3), "version"),
  auth_type: {
    kind: { type: "enum", values: ["NONE", "PASS", "AH"] },
    set: (t, v) => {
      const pw = t.inst.auth.type === "none" ? "" : t.inst.auth.password;
      t.inst.auth = v === "NONE"
        ? { type: "none" }
        : { type: v === "PASS" ? "pass" : "ah", password: pw };
    },
    get: (t) => t.inst.auth.type === "none" ? undefined : t.inst.auth.type.toUpperCase(),
  },
  auth_pass: {
    kind: str,
    // the TOML front end applies auth_type first, so the type is known here
    set: (t, v) => {
      if (t.inst.auth.type !== "none") t.inst.auth.password = v as string;
    },
    get: (t) => t.inst.auth.type === "none" ? undefined : t.inst.auth.password,
  },
  virtual_ipaddress: {
    kind: { type: "vips" },
    set: (t, v) => t.inst.vips = v as VipConfig[],
    get: (t) => t.inst.vips.map(vipToToml),
  },
  virtual_ipaddress_excluded: {
    kind: { type: "vips" },
    set: (t, v) => t.inst.excludedVips = v as VipConfig[],
    get: (t) => t.inst.excludedVips.map(vipToToml),
  },
  preempt: iprop(bool, "preempt"),
  preempt_delay: iprop(num(0, 1000), "preemptDelaySec"),
  garp_master_delay: iprop(int(0, 255), "garpMasterDelaySec"),
  garp_master_repeat: iprop(int(1, 255), "garpMasterRepeat"),
  garp_master_refresh: iprop(int(0, 86400), "garpMasterRefreshSec"),
  garp_master_refresh_repeat: iprop(int(1, 255), "garpMasterRefreshRepeat"),
  higher_prio_send_advert: iprop(bool, "higherPrioSendAdvert"),
  mcast_src_ip: iprop(str, "mcastSrcIp"),
  unicast_src_ip: iprop(str, "unicastSrcIp"),
  unicast_peer: iprop({ type: "strings" }, "unicastPeers"),
  track_interface: {
    kind: { type: "tracks" },
    set: (t, v) => t.inst.trackInterfaces = v as TrackRef[],
    get: (t) => t.inst.trackInterfaces.map(trackToToml),
  },
  track_script: {
    kind: { type: "tracks" },
    set: (t, v) => t.inst.trackScripts = v as TrackRef[],
    get: (t) => t.inst.trackScripts.map(trackToToml),
  },
  track_file: {
    kind: { type: "tracks" },
    set: (t, v) => t.inst.trackFiles = v as TrackRef[],
    get: (t) => t.inst.trackFiles.map(trackToToml),
  },
  ...notifyFields<InstanceTarget>((t) => t.inst.notify),
  smtp_alert: iprop(bool, "smtpAlert"),
  dont_track_primary: iprop(bool, "dontTrackPrimary"),
  accept: iprop(bool, "accept"),
};

/** What the script section writes into. */
export interface ScriptTarget {
  script: VrrpScriptConfig;
  timeoutSet: boolean;
}

function sprop<K extends keyof VrrpScriptConfig>(kind: Kind, key: K): Field<ScriptTarget> {
  return {
    kind,
    set: (t, v) => {
      t.script[key] = v as VrrpScriptConfig[K];
      if (key === "timeoutSec") t.timeoutSet = true;
    },
    get: (t) => t.script[key] as TomlValue | undefined,
  };
}

/** [script.NAME] (keepalived's vrrp_script) */
export const SCRIPT_FIELDS: Record<string, Field<ScriptTarget>> = {
  script: sprop(str, "script"),
  interval: sprop(int(1, 86400), "intervalSec"),
  timeout: sprop(int(1, 86400), "timeoutSec"),
  rise: sprop(int(1, 1e6), "rise"),
  fall: sprop(int(1, 1e6), "fall"),
  weight: sprop(int(-254, 254), "weight"),
  reverse: sprop(bool, "weightReverse"),
  init_fail: sprop(bool, "initFail"),
  user: sprop(str, "user"),
};

/** [track_file.NAME] */
export const TRACK_FILE_FIELDS: Record<string, Field<TrackFileConfig>> = {
  file: prop(str, "file"),
  weight: prop(int(-2147483647, 2147483647), "weight"),
  reverse: prop(bool, "weightReverse"),
  init_file: prop(int(-2147483647, 2147483647), "initValue"),
};

/** [sync_group.NAME] (keepalived's vrrp_sync_group) */
export const SYNC_GROUP_FIELDS: Record<string, Field<SyncGroupConfig>> = {
  group: prop({ type: "strings" }, "members"),
  ...notifyFields<SyncGroupConfig>((g) => g.notify),
};

/** The top-level tables and the section names they hold. */
export const SECTIONS = ["global", "instance", "script", "track_file", "sync_group"] as const;
