/**
 * Printing a typed config in either format (`vrrp convert`). Only values that differ from
 * what the reader would assume anyway are written, so parse(print(x)) gives x back.
 */
import { stringify } from "smol-toml";
import type { Config, InstanceConfig, NotifyConfig, VrrpScriptConfig } from "./model.ts";
import {
  defaultGlobal,
  defaultInstance,
  defaultScript,
  defaultTrackFile,
  INHERITED,
} from "./defaults.ts";
import { formatTrack, formatVip } from "./entries.ts";
import {
  type Field,
  GLOBAL_FIELDS,
  INSTANCE_FIELDS,
  SCRIPT_FIELDS,
  SYNC_GROUP_FIELDS,
  type TomlValue,
  TRACK_FILE_FIELDS,
} from "./schema.ts";

/** Keys always written for an instance, even at their defaults: they make it readable. */
const ALWAYS = new Set(["state", "interface", "virtual_router_id", "priority", "advert_int"]);

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function fields<T>(
  table: Record<string, Field<T>>,
  t: T,
  baseline: T,
  always: Set<string> = new Set(),
): Record<string, TomlValue> {
  const out: Record<string, TomlValue> = {};
  for (const [k, f] of Object.entries(table)) {
    const v = f.get(t);
    if (v === undefined) continue;
    if (!always.has(k) && same(v, f.get(baseline))) continue;
    out[k] = v;
  }
  return out;
}

/** What an instance would hold if it set nothing itself, under `cfg`'s global section. */
function baselineInstance(cfg: Config, name: string): InstanceConfig {
  const b = defaultInstance(name);
  for (const f of INHERITED) (b as unknown as Record<string, unknown>)[f] = cfg.global[f];
  b.version = cfg.global.vrrpVersion;
  return b;
}

function scriptBaseline(s: VrrpScriptConfig): VrrpScriptConfig {
  // a script without a timeout gets its interval, so that is the value not worth writing
  return { ...defaultScript(s.name), timeoutSec: s.intervalSec };
}

/** The config as TOML (schema in docs/config.md). */
export function toToml(cfg: Config): string {
  const doc: Record<string, TomlValue> = {};
  const global = fields(GLOBAL_FIELDS, cfg.global, defaultGlobal());
  if (Object.keys(global).length > 0) doc.global = global;
  const named = <T extends { name: string }>(
    items: T[],
    f: (x: T) => Record<string, TomlValue>,
  ) => Object.fromEntries(items.map((x) => [x.name, f(x)]));
  if (cfg.instances.length > 0) {
    doc.instance = named(cfg.instances, (i) =>
      fields(
        INSTANCE_FIELDS,
        { inst: i, explicit: new Set() },
        { inst: baselineInstance(cfg, i.name), explicit: new Set() },
        ALWAYS,
      ));
  }
  if (cfg.scripts.length > 0) {
    doc.script = named(cfg.scripts, (s) =>
      fields(
        SCRIPT_FIELDS,
        { script: s, timeoutSet: true },
        { script: scriptBaseline(s), timeoutSet: true },
        new Set(["script"]),
      ));
  }
  if (cfg.trackFiles.length > 0) {
    doc.track_file = named(
      cfg.trackFiles,
      (t) => fields(TRACK_FILE_FIELDS, t, defaultTrackFile(t.name), new Set(["file"])),
    );
  }
  if (cfg.syncGroups.length > 0) {
    doc.sync_group = named(
      cfg.syncGroups,
      (g) =>
        fields(SYNC_GROUP_FIELDS, g, { name: g.name, members: [], notify: {} }, new Set(["group"])),
    );
  }
  return stringify(doc) + "\n";
}

/** A word as keepalived reads it back: quoted when it holds blanks or starts a comment. */
function word(s: string): string {
  if (s !== "" && !/[\s"'{}]/.test(s) && !/^[!#]|^\/\//.test(s)) return s;
  return s.includes('"') ? `'${s}'` : `"${s}"`;
}

function notifyLines(n: NotifyConfig, indent: string): string[] {
  const kinds: [keyof NotifyConfig, string][] = [
    ["notify", "notify"],
    ["master", "notify_master"],
    ["backup", "notify_backup"],
    ["fault", "notify_fault"],
    ["stop", "notify_stop"],
  ];
  return kinds.filter(([f]) => n[f] !== undefined).map(([f, kw]) =>
    `${indent}${kw} ${word(n[f]!)}`
  );
}

function block(indent: string, head: string, lines: string[]): string[] {
  return [`${indent}${head} {`, ...lines.map((l) => `${indent}    ${l}`), `${indent}}`];
}

function instanceLines(cfg: Config, i: InstanceConfig): string[] {
  const b = baselineInstance(cfg, i.name);
  const out: string[] = [
    `state ${i.initialState}`,
    `interface ${word(i.interface)}`,
    `virtual_router_id ${i.vrid}`,
    `priority ${i.priority}`,
    `advert_int ${i.advertIntervalSec}`,
  ];
  if (i.version !== b.version) out.push(`version ${i.version}`);
  if (i.auth.type !== "none") {
    out.push(...block("", "authentication", [
      `auth_type ${i.auth.type === "pass" ? "PASS" : "AH"}`,
      `auth_pass ${word(i.auth.password)}`,
    ]));
  }
  if (i.vips.length > 0) out.push(...block("", "virtual_ipaddress", i.vips.map(formatVip)));
  if (i.excludedVips.length > 0) {
    out.push(...block("", "virtual_ipaddress_excluded", i.excludedVips.map(formatVip)));
  }
  if (!i.preempt) out.push("nopreempt");
  if (i.preemptDelaySec !== b.preemptDelaySec) out.push(`preempt_delay ${i.preemptDelaySec}`);
  const nums: [keyof InstanceConfig, string][] = [
    ["garpMasterDelaySec", "garp_master_delay"],
    ["garpMasterRepeat", "garp_master_repeat"],
    ["garpMasterRefreshSec", "garp_master_refresh"],
    ["garpMasterRefreshRepeat", "garp_master_refresh_repeat"],
  ];
  for (const [f, kw] of nums) if (i[f] !== b[f]) out.push(`${kw} ${i[f]}`);
  if (i.higherPrioSendAdvert !== b.higherPrioSendAdvert) {
    out.push(`higher_prio_send_advert ${i.higherPrioSendAdvert}`);
  }
  if (i.mcastSrcIp !== undefined) out.push(`mcast_src_ip ${word(i.mcastSrcIp)}`);
  if (i.unicastSrcIp !== undefined) out.push(`unicast_src_ip ${word(i.unicastSrcIp)}`);
  if (i.unicastPeers.length > 0) out.push(...block("", "unicast_peer", i.unicastPeers.map(word)));
  if (i.trackInterfaces.length > 0) {
    out.push(...block("", "track_interface", i.trackInterfaces.map(formatTrack)));
  }
  if (i.trackScripts.length > 0) {
    out.push(...block("", "track_script", i.trackScripts.map(formatTrack)));
  }
  if (i.trackFiles.length > 0) out.push(...block("", "track_file", i.trackFiles.map(formatTrack)));
  out.push(...notifyLines(i.notify, ""));
  if (i.smtpAlert) out.push("smtp_alert");
  if (i.dontTrackPrimary) out.push("dont_track_primary");
  if (i.accept) out.push("accept");
  return out;
}

/** The config as keepalived.conf text (vrrp's own global keywords included when not default). */
export function toKeepalived(cfg: Config): string {
  const out: string[] = [];
  const g = cfg.global;
  const d = defaultGlobal();
  const gl: string[] = [];
  if (g.routerId !== undefined) gl.push(`router_id ${word(g.routerId)}`);
  if (g.vrrpVersion !== d.vrrpVersion) gl.push(`vrrp_version ${g.vrrpVersion}`);
  const nums: [keyof typeof g, string][] = [
    ["garpMasterDelaySec", "vrrp_garp_master_delay"],
    ["garpMasterRepeat", "vrrp_garp_master_repeat"],
    ["garpMasterRefreshSec", "vrrp_garp_master_refresh"],
    ["garpMasterRefreshRepeat", "vrrp_garp_master_refresh_repeat"],
    ["scriptTimeoutSec", "vrrp_script_timeout"],
  ];
  for (const [f, kw] of nums) if (g[f] !== d[f]) gl.push(`${kw} ${g[f]}`);
  if (g.higherPrioSendAdvert !== d.higherPrioSendAdvert) {
    gl.push(`vrrp_higher_prio_send_advert ${g.higherPrioSendAdvert}`);
  }
  if (g.scriptUser !== undefined) gl.push(`script_user ${g.scriptUser}`);
  if (g.enableScriptSecurity) gl.push("enable_script_security");
  if (g.mcastGroup4 !== d.mcastGroup4) gl.push(`vrrp_mcast_group4 ${word(g.mcastGroup4)}`);
  if (g.controlSocket !== d.controlSocket) gl.push(`vrrp_control_socket ${word(g.controlSocket)}`);
  if (g.stateDir !== d.stateDir) gl.push(`vrrp_state_dir ${word(g.stateDir)}`);
  if (gl.length > 0) out.push(...block("", "global_defs", gl), "");

  for (const s of cfg.scripts) {
    const b = scriptBaseline(s);
    const l = [`script ${word(s.script)}`];
    if (s.intervalSec !== b.intervalSec) l.push(`interval ${s.intervalSec}`);
    if (s.timeoutSec !== b.timeoutSec) l.push(`timeout ${s.timeoutSec}`);
    if (s.rise !== b.rise) l.push(`rise ${s.rise}`);
    if (s.fall !== b.fall) l.push(`fall ${s.fall}`);
    if (s.weight !== b.weight || s.weightReverse) {
      l.push(`weight ${s.weight}${s.weightReverse ? " reverse" : ""}`);
    }
    if (s.initFail) l.push("init_fail");
    if (s.user !== undefined) l.push(`user ${s.user}`);
    out.push(...block("", `vrrp_script ${word(s.name)}`, l), "");
  }
  for (const t of cfg.trackFiles) {
    const l = [`file ${word(t.file)}`];
    if (t.weight !== 1 || t.weightReverse) {
      l.push(`weight ${t.weight}${t.weightReverse ? " reverse" : ""}`);
    }
    if (t.initValue !== undefined) l.push(`init_file ${t.initValue}`);
    out.push(...block("", `track_file ${word(t.name)}`, l), "");
  }
  for (const i of cfg.instances) {
    out.push(...block("", `vrrp_instance ${word(i.name)}`, instanceLines(cfg, i)), "");
  }
  for (const sg of cfg.syncGroups) {
    const l = [...block("", "group", sg.members.map(word)), ...notifyLines(sg.notify, "")];
    out.push(...block("", `vrrp_sync_group ${word(sg.name)}`, l), "");
  }
  return out.join("\n");
}
