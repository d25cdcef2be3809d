/**
 * The keepalived.conf front end: the keyword tables of the VRRP half of keepalived, applied to
 * the statement tree. Unknown keywords warn (with a suggestion) and are skipped.
 */
import type {
  Config,
  InstanceConfig,
  NotifyConfig,
  SourcePos,
  SyncGroupConfig,
  TrackFileConfig,
  TrackRef,
  VrrpScriptConfig,
} from "./model.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { lex, type LexHost, type Token } from "./lexer.ts";
import { buildTree, type Stmt } from "./tree.ts";
import { unknownMessage } from "./suggest.ts";
import { parseTrackWords, parseVipWords } from "./entries.ts";
import { defaultInstance, defaultScript, defaultTrackFile, emptyConfig } from "./defaults.ts";
import { type Explicit, inheritGlobals } from "./inherit.ts";

/** What a front end hands to validate(). */
export interface FrontEndResult {
  config: Config;
  positions: Map<string, SourcePos>;
}

class Ctx {
  readonly config = emptyConfig();
  readonly positions = new Map<string, SourcePos>();
  readonly explicit: Explicit = new Map();
  lvsNoted = false;
  constructor(readonly diags: Diagnostics) {}

  at(key: string, pos: SourcePos): void {
    if (!this.positions.has(key)) this.positions.set(key, pos);
  }
  /** The single argument of `s`, or undefined (with an error) when it has none. */
  arg(s: Stmt): string | undefined {
    if (s.args.length === 0) {
      this.diags.error(s.keyword.pos, `"${s.keyword.text}" needs a value`);
      return undefined;
    }
    if (s.args.length > 1) {
      this.diags.warning(s.args[1].pos, `extra arguments after "${s.keyword.text}" ignored`);
    }
    return s.args[0].text;
  }
  /** The rest of the line as one string: a command line, as keepalived reads it. */
  rest(s: Stmt): string | undefined {
    if (s.args.length === 0) {
      this.diags.error(s.keyword.pos, `"${s.keyword.text}" needs a value`);
      return undefined;
    }
    return s.args.map((t) => t.text).join(" ");
  }
  int(s: Stmt, min: number, max: number): number | undefined {
    return this.num(s, min, max, true);
  }
  num(s: Stmt, min: number, max: number, whole = false): number | undefined {
    const v = this.arg(s);
    if (v === undefined) return undefined;
    const ok = whole ? /^-?\d+$/.test(v) : /^-?(\d+\.?\d*|\.\d+)$/.test(v);
    const n = Number(v);
    if (!ok || n < min || n > max) {
      const kind = whole ? "a whole number" : "a number";
      this.diags.error(
        s.args[0].pos,
        `"${s.keyword.text}" must be ${kind} in ${min}..${max}, got "${v}"`,
      );
      return undefined;
    }
    return n;
  }
  /** A flag keyword with an optional `true|false|on|off|yes|no` argument. */
  flag(s: Stmt): boolean | undefined {
    if (s.args.length === 0) return true;
    const v = s.args[0].text.toLowerCase();
    if (["true", "on", "yes"].includes(v)) return true;
    if (["false", "off", "no"].includes(v)) return false;
    this.diags.error(s.args[0].pos, `"${s.keyword.text}" takes true or false, got "${v}"`);
    return undefined;
  }
  needBlock(s: Stmt): Stmt[] {
    if (s.block === undefined) {
      this.diags.error(s.keyword.pos, `"${s.keyword.text}" needs a { … } block`);
      return [];
    }
    return s.block;
  }
  unknown(s: Stmt, where: string, table: Record<string, unknown>): void {
    this.diags.warning(
      s.keyword.pos,
      unknownMessage("keyword", s.keyword.text, Object.keys(table), `in ${where}, skipped`),
    );
  }
  /** Runs the handler for each statement of `block`, or reports it. */
  walk<T>(
    block: Stmt[],
    where: string,
    table: Record<string, (s: Stmt, target: T, ctx: Ctx) => void>,
    target: T,
    key?: string,
  ): void {
    for (const s of block) {
      const h = Object.hasOwn(table, s.keyword.text) ? table[s.keyword.text] : undefined;
      if (h === undefined) this.unknown(s, where, table);
      else {
        if (key !== undefined) this.at(`${key}:${s.keyword.text}`, s.keyword.pos);
        h(s, target, this);
      }
    }
  }
}

type Handler<T> = (s: Stmt, target: T, ctx: Ctx) => void;

const ignoredNote: Handler<unknown> = (s, _t, ctx) =>
  ctx.diags.note(s.keyword.pos, `"${s.keyword.text}" ignored: vrrp sends no mail, SNMP or D-Bus`);

const unsupported: Handler<unknown> = (s, _t, ctx) =>
  ctx.diags.warning(s.keyword.pos, `"${s.keyword.text}" is not supported by vrrp; ignored`);

const noEffect: Handler<unknown> = (s, _t, ctx) =>
  ctx.diags.note(s.keyword.pos, `"${s.keyword.text}" accepted; it has no effect in vrrp`);

function many<T>(names: string[], h: Handler<T>): Record<string, Handler<T>> {
  return Object.fromEntries(names.map((n) => [n, h]));
}

// ---- global_defs ---------------------------------------------------------------------------

type G = Config["global"];
const GLOBAL: Record<string, Handler<G>> = {
  router_id: (s, g, c) => g.routerId = c.arg(s) ?? g.routerId,
  vrrp_version: (s, g, c) => {
    const v = c.int(s, 2, 3);
    if (v !== undefined) g.vrrpVersion = v as 2 | 3;
  },
  vrrp_garp_master_delay: (s, g, c) =>
    g.garpMasterDelaySec = c.int(s, 0, 255) ?? g.garpMasterDelaySec,
  vrrp_garp_master_repeat: (s, g, c) => g.garpMasterRepeat = c.int(s, 1, 255) ?? g.garpMasterRepeat,
  vrrp_garp_master_refresh: (s, g, c) =>
    g.garpMasterRefreshSec = c.int(s, 0, 86400) ?? g.garpMasterRefreshSec,
  vrrp_garp_master_refresh_repeat: (s, g, c) =>
    g.garpMasterRefreshRepeat = c.int(s, 1, 255) ?? g.garpMasterRefreshRepeat,
  vrrp_higher_prio_send_advert: (s, g, c) =>
    g.higherPrioSendAdvert = c.flag(s) ?? g.higherPrioSendAdvert,
  script_user: (s, g, c) => g.scriptUser = c.rest(s) ?? g.scriptUser,
  enable_script_security: (s, g, c) => g.enableScriptSecurity = c.flag(s) ?? g.enableScriptSecurity,
  vrrp_mcast_group4: (s, g, c) => g.mcastGroup4 = c.arg(s) ?? g.mcastGroup4,
  // vrrp's own keywords (keepalived would call them unknown)
  vrrp_control_socket: (s, g, c) => g.controlSocket = c.arg(s) ?? g.controlSocket,
  vrrp_state_dir: (s, g, c) => g.stateDir = c.arg(s) ?? g.stateDir,
  vrrp_script_timeout: (s, g, c) => g.scriptTimeoutSec = c.int(s, 1, 3600) ?? g.scriptTimeoutSec,
  ...many<G>([
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "smtp_alert",
    "smtp_alert_vrrp",
    "email_faults",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_checker",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_traps",
    "snmp_socket",
    "enable_dbus",
    "dbus_service_name",
  ], ignoredNote),
  ...many<G>([
    "vrrp_garp_interval",
    "vrrp_gna_interval",
    "vrrp_garp_lower_prio_delay",
    "vrrp_garp_lower_prio_repeat",
    "vrrp_lower_prio_no_advert",
    "vrrp_skip_check_adv_addr",
    "vrrp_priority",
    "vrrp_no_swap",
    "vrrp_rt_priority",
    "vrrp_cpu_affinity",
    "max_auto_priority",
    "lvs_id",
    "lvs_flush",
    "lvs_timeouts",
  ], noEffect),
  ...many<G>([
    "vrrp_strict",
    "vrrp_iptables",
    "vrrp_ipsets",
    "vrrp_mcast_group6",
    "default_interface",
    "lvs_sync_daemon",
    "dynamic_interfaces",
    "nftables",
  ], unsupported),
};

// ---- vrrp_instance -------------------------------------------------------------------------

interface InstTarget {
  inst: InstanceConfig;
  explicit: Set<string>;
  key: string;
}

function setInst<K extends keyof InstanceConfig>(
  t: InstTarget,
  s: Stmt,
  ctx: Ctx,
  field: K,
  value: InstanceConfig[K] | undefined,
): void {
  ctx.at(`${t.key}:${s.keyword.text}`, s.keyword.pos);
  if (value === undefined) return;
  t.inst[field] = value;
  t.explicit.add(field);
}

function notifyHandlers<T>(get: (t: T) => NotifyConfig): Record<string, Handler<T>> {
  const kinds: [string, keyof NotifyConfig][] = [
    ["notify", "notify"],
    ["notify_master", "master"],
    ["notify_backup", "backup"],
    ["notify_fault", "fault"],
    ["notify_stop", "stop"],
  ];
  return Object.fromEntries(
    kinds.map(([kw, field]) => [kw, (s: Stmt, t: T, c: Ctx) => {
      const v = c.rest(s);
      if (v !== undefined) get(t)[field] = v;
    }]),
  );
}

function trackBlock(field: "trackInterfaces" | "trackScripts" | "trackFiles", kw: string) {
  return (s: Stmt, t: InstTarget, c: Ctx) => {
    for (const e of c.needBlock(s)) {
      const parsed = parseTrackWords(tokenWords(e));
      for (const w of parsed.warnings) c.diags.warning(e.keyword.pos, w);
      if (parsed.error !== undefined) c.diags.error(e.keyword.pos, `${kw}: ${parsed.error}`);
      if (parsed.value === undefined) continue;
      c.at(`${t.key}:${kw}:${parsed.value.name}`, e.keyword.pos);
      (t.inst[field] as TrackRef[]).push(parsed.value);
    }
  };
}

function vipBlock(field: "vips" | "excludedVips", kw: string) {
  return (s: Stmt, t: InstTarget, c: Ctx) => {
    c.at(`${t.key}:${kw}`, s.keyword.pos);
    for (const e of c.needBlock(s)) {
      const parsed = parseVipWords(tokenWords(e));
      for (const w of parsed.warnings) c.diags.warning(e.keyword.pos, w);
      if (parsed.error !== undefined) c.diags.error(e.keyword.pos, `${kw}: ${parsed.error}`);
      if (parsed.value === undefined) continue;
      c.at(
        `${t.key}:${field === "vips" ? "vip" : "excluded_vip"}:${t.inst[field].length}`,
        e.keyword.pos,
      );
      t.inst[field].push(parsed.value);
    }
  };
}

function tokenWords(s: Stmt): string[] {
  return [s.keyword, ...s.args].map((t: Token) => t.text);
}

function authBlock(s: Stmt, t: InstTarget, c: Ctx): void {
  c.at(`${t.key}:authentication`, s.keyword.pos);
  let type: string | undefined;
  let pass: string | undefined;
  for (const e of c.needBlock(s)) {
    if (e.keyword.text === "auth_type") {
      const v = c.arg(e);
      if (v === undefined) continue;
      if (v !== "PASS" && v !== "AH") {
        c.diags.error(e.args[0].pos, `auth_type must be PASS or AH, got "${v}"`);
        continue;
      }
      type = v;
      c.at(`${t.key}:auth_type`, e.keyword.pos);
    } else if (e.keyword.text === "auth_pass") {
      pass = c.arg(e);
      c.at(`${t.key}:auth_pass`, e.keyword.pos);
    } else c.unknown(e, "authentication", { auth_type: 0, auth_pass: 0 });
  }
  if (type === undefined) {
    if (pass !== undefined) {
      c.diags.warning(s.keyword.pos, "auth_pass without auth_type: no authentication is used");
    }
    t.inst.auth = { type: "none" };
    return;
  }
  if (pass === undefined) {
    c.diags.error(s.keyword.pos, `auth_type ${type} needs an auth_pass`);
    pass = "";
  }
  t.inst.auth = { type: type === "PASS" ? "pass" : "ah", password: pass };
}

const INSTANCE: Record<string, Handler<InstTarget>> = {
  state: (s, t, c) => {
    const v = c.arg(s);
    if (v !== undefined && v !== "MASTER" && v !== "BACKUP") {
      c.diags.error(s.args[0].pos, `state must be MASTER or BACKUP, got "${v}"`);
      return;
    }
    setInst(t, s, c, "initialState", v as "MASTER" | "BACKUP" | undefined);
  },
  interface: (s, t, c) => setInst(t, s, c, "interface", c.arg(s)),
  virtual_router_id: (s, t, c) => setInst(t, s, c, "vrid", c.int(s, -1e9, 1e9)),
  priority: (s, t, c) => setInst(t, s, c, "priority", c.int(s, -1e9, 1e9)),
  advert_int: (s, t, c) => setInst(t, s, c, "advertIntervalSec", c.num(s, -1e9, 1e9)),
  version: (s, t, c) => setInst(t, s, c, "version", c.int(s, 2, 3) as 2 | 3 | undefined),
  authentication: authBlock,
  virtual_ipaddress: vipBlock("vips", "virtual_ipaddress"),
  virtual_ipaddress_excluded: vipBlock("excludedVips", "virtual_ipaddress_excluded"),
  nopreempt: (s, t, c) => setInst(t, s, c, "preempt", false),
  preempt: (s, t, c) => setInst(t, s, c, "preempt", c.flag(s)),
  preempt_delay: (s, t, c) => setInst(t, s, c, "preemptDelaySec", c.num(s, 0, 1000)),
  garp_master_delay: (s, t, c) => setInst(t, s, c, "garpMasterDelaySec", c.int(s, 0, 255)),
  garp_master_repeat: (s, t, c) => setInst(t, s, c, "garpMasterRepeat", c.int(s, 1, 255)),
  garp_master_refresh: (s, t, c) => setInst(t, s, c, "garpMasterRefreshSec", c.int(s, 0, 86400)),
  garp_master_refresh_repeat: (s, t, c) =>
    setInst(t, s, c, "garpMasterRefreshRepeat", c.int(s, 1, 255)),
  higher_prio_send_advert: (s, t, c) => setInst(t, s, c, "higherPrioSendAdvert", c.flag(s)),
  mcast_src_ip: (s, t, c) => setInst(t, s, c, "mcastSrcIp", c.arg(s)),
  unicast_src_ip: (s, t, c) => setInst(t, s, c, "unicastSrcIp", c.arg(s)),
  unicast_peer: (s, t, c) => {
    c.at(`${t.key}:unicast_peer`, s.keyword.pos);
    for (const e of c.needBlock(s)) {
      c.at(`${t.key}:unicast_peer:${t.inst.unicastPeers.length}`, e.keyword.pos);
      t.inst.unicastPeers.push(e.keyword.text);
      if (e.args.length > 0) {
        c.diags.warning(e.args[0].pos, `unicast_peer options are not supported; ignored`);
      }
    }
  },
  track_interface: trackBlock("trackInterfaces", "track_interface"),
  track_script: trackBlock("trackScripts", "track_script"),
  track_file: trackBlock("trackFiles", "track_file"),
  ...notifyHandlers<InstTarget>((t) => t.inst.notify),
  smtp_alert: (s, t, c) => setInst(t, s, c, "smtpAlert", c.flag(s)),
  dont_track_primary: (s, t, c) => setInst(t, s, c, "dontTrackPrimary", true),
  accept: (s, t, c) => setInst(t, s, c, "accept", true),
  no_accept: (s, t, c) => setInst(t, s, c, "accept", false),
  ...many<InstTarget>([
    "use_vmac",
    "vmac_xmit_base",
    "native_ipv6",
    "virtual_routes",
    "virtual_rules",
    "track_process",
    "track_bfd",
    "strict_mode",
    "unicast_ttl",
    "garp_lower_prio_delay",
    "garp_lower_prio_repeat",
    "lower_prio_no_advert",
    "notify_master_rx_lower_pri",
    "kernel_rx_buf_size",
    "debug",
    "lvs_sync_daemon_interface",
  ], unsupported),
};

// ---- vrrp_script, track_file, vrrp_sync_group ----------------------------------------------

interface ScriptTarget {
  script: VrrpScriptConfig;
  timeoutSet: boolean;
}

const SCRIPT: Record<string, Handler<ScriptTarget>> = {
  script: (s, t, c) => t.script.script = c.rest(s) ?? t.script.script,
  interval: (s, t, c) => t.script.intervalSec = c.int(s, 1, 86400) ?? t.script.intervalSec,
  timeout: (s, t, c) => {
    const v = c.int(s, 1, 86400);
    if (v === undefined) return;
    t.script.timeoutSec = v;
    t.timeoutSet = true;
  },
  rise: (s, t, c) => t.script.rise = c.int(s, 1, 1e6) ?? t.script.rise,
  fall: (s, t, c) => t.script.fall = c.int(s, 1, 1e6) ?? t.script.fall,
  weight: (s, t, c) => {
    // the `weight N [reverse]` grammar of track entries, after a placeholder name
    const w = parseTrackWords(["_", "weight", ...s.args.map((a) => a.text)]);
    if (w.error !== undefined) c.diags.error(s.keyword.pos, `vrrp_script ${w.error}`);
    for (const m of w.warnings) c.diags.warning(s.keyword.pos, m);
    if (w.value?.weight === undefined) return;
    t.script.weight = w.value.weight;
    t.script.weightReverse = w.value.reverse === true;
  },
  user: (s, t, c) => t.script.user = c.rest(s) ?? t.script.user,
  init_fail: (_s, t) => t.script.initFail = true,
};

const TRACK_FILE: Record<string, Handler<TrackFileConfig>> = {
  file: (s, t, c) => t.file = c.arg(s) ?? t.file,
  weight: (s, t, c) => {
    const w = parseTrackWords(["_", "weight", ...s.args.map((a) => a.text)]);
    if (w.error !== undefined) c.diags.error(s.keyword.pos, `track_file ${w.error}`);
    if (w.value?.weight === undefined) return;
    t.weight = w.value.weight;
    t.weightReverse = w.value.reverse === true;
  },
  init_file: (s, t, c) => {
    const v = s.args[0]?.text;
    if (v !== undefined && v !== "overwrite") {
      if (!/^-?\d+$/.test(v)) {
        c.diags.error(s.args[0].pos, `init_file value must be a whole number, got "${v}"`);
        return;
      }
      t.initValue = Number(v);
    } else t.initValue = 0;
  },
};

const SYNC_GROUP: Record<string, Handler<SyncGroupConfig & { key: string }>> = {
  group: (s, g, c) => {
    for (const e of c.needBlock(s)) {
      for (const tok of [e.keyword, ...e.args]) {
        c.at(`${g.key}:member:${tok.text}`, tok.pos);
        g.members.push(tok.text);
      }
    }
  },
  ...notifyHandlers<SyncGroupConfig>((g) => g.notify),
  smtp_alert: ignoredNote,
  ...many([
    "track_interface",
    "track_script",
    "track_file",
    "global_tracking",
    "sync_group_tracking_weight",
  ], unsupported),
};

// ---- top level ------------------------------------------------------------------------------

function named(s: Stmt, c: Ctx): string | undefined {
  const name = c.arg(s);
  return name;
}

const TOP: Record<string, Handler<unknown>> = {
  global_defs: (s, _t, c) =>
    c.walk(c.needBlock(s), "global_defs", GLOBAL, c.config.global, "global"),
  vrrp_instance: (s, _t, c) => {
    const name = named(s, c);
    const block = c.needBlock(s);
    if (name === undefined) return;
    const key = `instance:${name}`;
    // validate() reports duplicates; it points at the second declaration through this key
    if (c.positions.has(key)) c.at(`${key}:duplicate`, s.keyword.pos);
    c.at(key, s.keyword.pos);
    const inst = defaultInstance(name);
    const explicit = new Set<string>();
    c.walk(block, `vrrp_instance ${name}`, INSTANCE, { inst, explicit, key });
    c.explicit.set(inst, explicit);
    c.config.instances.push(inst);
  },
  vrrp_script: (s, _t, c) => {
    const name = named(s, c);
    const block = c.needBlock(s);
    if (name === undefined) return;
    c.at(`script:${name}`, s.keyword.pos);
    const t = { script: defaultScript(name), timeoutSet: false };
    c.walk(block, `vrrp_script ${name}`, SCRIPT, t, `script:${name}`);
    // keepalived: a script without its own timeout gets its interval
    if (!t.timeoutSet) t.script.timeoutSec = t.script.intervalSec;
    if (t.script.script === "") c.diags.error(s.keyword.pos, `vrrp_script "${name}" has no script`);
    c.config.scripts.push(t.script);
  },
  track_file: trackFileTop,
  vrrp_track_file: trackFileTop,
  vrrp_sync_group: (s, _t, c) => {
    const name = named(s, c);
    const block = c.needBlock(s);
    if (name === undefined) return;
    const key = `syncgroup:${name}`;
    c.at(key, s.keyword.pos);
    const g = { name, members: [], notify: {}, key };
    c.walk(block, `vrrp_sync_group ${name}`, SYNC_GROUP, g);
    c.config.syncGroups.push({ name, members: g.members, notify: g.notify });
  },
  ...many(["virtual_server", "virtual_server_group"], (s, _t, c) => {
    if (c.lvsNoted) return;
    c.lvsNoted = true;
    c.diags.note(
      s.keyword.pos,
      `LVS configuration ("${s.keyword.text}" and the like) skipped: vrrp only does VRRP`,
    );
  }),
  ...many(
    [
      "static_ipaddress",
      "static_routes",
      "static_rules",
      "garp_group",
      "vrrp_track_process",
      "net_namespace",
      "linkbeat_use_polling",
      "bfd_instance",
    ],
    unsupported,
  ),
};

function trackFileTop(s: Stmt, _t: unknown, c: Ctx): void {
  const name = named(s, c);
  const block = c.needBlock(s);
  if (name === undefined) return;
  c.at(`trackfile:${name}`, s.keyword.pos);
  const tf = defaultTrackFile(name);
  c.walk(block, `track_file ${name}`, TRACK_FILE, tf, `trackfile:${name}`);
  if (tf.file === "") c.diags.error(s.keyword.pos, `track_file "${name}" has no file`);
  c.config.trackFiles.push(tf);
}

/** Parses keepalived.conf text (includes resolved through `host`) into the typed config. */
export function parseKeepalived(
  text: string,
  file: string,
  host: LexHost,
  diags: Diagnostics,
): FrontEndResult {
  const ctx = new Ctx(diags);
  const tree = buildTree(lex(text, file, host, diags), diags);
  ctx.walk(tree, "top level", TOP, undefined);
  inheritGlobals(ctx.config, ctx.explicit);
  return { config: ctx.config, positions: ctx.positions };
}
