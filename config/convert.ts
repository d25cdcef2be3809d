/**
 * Printing a typed config in either format (`vrrp convert`), driven by the keyword table
 * (grammar.ts). Only values that differ from what the reader would assume anyway are written,
 * so parse(print(x)) gives x back.
 */
import { stringify } from "smol-toml";
import type { Config, InstanceConfig, TrackRef, VrrpScriptConfig } from "./model.ts";
import {
  defaultGlobal,
  defaultInstance,
  defaultScript,
  defaultTrackFile,
  INHERITED,
} from "./defaults.ts";
import { formatTrack } from "./entries.ts";
import {
  block,
  GLOBAL,
  INSTANCE,
  type InstanceTarget,
  type Keyword,
  SCRIPT,
  type ScriptTarget,
  type Section,
  SYNC_GROUP,
  type SyncGroupTarget,
  tomlKey,
  type TomlValue,
  TRACK_FILE,
  word,
} from "./grammar.ts";

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** `k`'s value in `t` when it is worth writing (set, and different from `base` unless `always`). */
function valueOf<T>(k: Keyword<T>, t: T, base: T): TomlValue | undefined {
  const v = k.get(t);
  if (v === undefined) return undefined;
  if (!k.always && same(v, k.get(base))) return undefined;
  return v;
}

function tomlFields<T>(sec: Section<T>, t: T, base: T): Record<string, TomlValue> {
  const out: Record<string, TomlValue> = {};
  for (const k of sec.keywords) {
    const key = tomlKey(k);
    if (key === undefined) continue;
    const v = valueOf(k, t, base);
    if (v !== undefined) out[key] = v;
  }
  return out;
}

/** The keepalived lines of `k`, as its kind prints. */
function kindLines<T>(k: Keyword<T>, t: T, base: T): string[] {
  if (k.write !== undefined) return k.write(t, base);
  const v = valueOf(k, t, base);
  if (v === undefined) return [];
  switch (k.kind.type) {
    case "bool":
      return [v ? k.kw : `${k.kw} false`];
    case "strings":
      return block(k.kw, (v as string[]).map(word));
    case "vips":
      return block(k.kw, v as string[]);
    case "tracks":
      return block(
        k.kw,
        (v as TomlValue[]).map((x) =>
          typeof x === "string" ? x : formatTrack(x as unknown as TrackRef)
        ),
      );
    default:
      return [`${k.kw} ${word(String(v))}`];
  }
}

function confLines<T>(sec: Section<T>, t: T, base: T): string[] {
  return sec.keywords.filter((k) => k.form !== "toml").flatMap((k) => kindLines(k, t, base));
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

/** Each named section's target and the baseline it is compared against. */
function targets(cfg: Config) {
  const inst = (i: InstanceConfig): [InstanceTarget, InstanceTarget] => [
    { inst: i, explicit: new Set(), key: "" },
    { inst: baselineInstance(cfg, i.name), explicit: new Set(), key: "" },
  ];
  const script = (s: VrrpScriptConfig): [ScriptTarget, ScriptTarget] => [
    { script: s, timeoutSet: true },
    { script: scriptBaseline(s), timeoutSet: true },
  ];
  const group = (g: Config["syncGroups"][number]): [SyncGroupTarget, SyncGroupTarget] => [
    { ...g, key: "" },
    { name: g.name, members: [], notify: {}, key: "" },
  ];
  return { inst, script, group };
}

/** The config as TOML (schema in docs/config.md). */
export function toToml(cfg: Config): string {
  const doc: Record<string, TomlValue> = {};
  const global = tomlFields(GLOBAL, cfg.global, defaultGlobal());
  if (Object.keys(global).length > 0) doc.global = global;
  const named = <T extends { name: string }>(
    items: T[],
    f: (x: T) => Record<string, TomlValue>,
  ) => Object.fromEntries(items.map((x) => [x.name, f(x)]));
  const t = targets(cfg);
  if (cfg.instances.length > 0) {
    doc.instance = named(cfg.instances, (i) => tomlFields(INSTANCE, ...t.inst(i)));
  }
  if (cfg.scripts.length > 0) {
    doc.script = named(cfg.scripts, (s) => tomlFields(SCRIPT, ...t.script(s)));
  }
  if (cfg.trackFiles.length > 0) {
    doc.track_file = named(
      cfg.trackFiles,
      (f) => tomlFields(TRACK_FILE, f, defaultTrackFile(f.name)),
    );
  }
  if (cfg.syncGroups.length > 0) {
    doc.sync_group = named(cfg.syncGroups, (g) => tomlFields(SYNC_GROUP, ...t.group(g)));
  }
  return stringify(doc) + "\n";
}

/** The config as keepalived.conf text (vrrp's own global keywords included when not default). */
export function toKeepalived(cfg: Config): string {
  const out: string[] = [];
  const gl = confLines(GLOBAL, cfg.global, defaultGlobal());
  if (gl.length > 0) out.push(...block("global_defs", gl), "");
  const t = targets(cfg);
  for (const s of cfg.scripts) {
    out.push(...block(`vrrp_script ${word(s.name)}`, confLines(SCRIPT, ...t.script(s))), "");
  }
  for (const f of cfg.trackFiles) {
    const l = confLines(TRACK_FILE, f, defaultTrackFile(f.name));
    out.push(...block(`track_file ${word(f.name)}`, l), "");
  }
  for (const i of cfg.instances) {
    out.push(...block(`vrrp_instance ${word(i.name)}`, confLines(INSTANCE, ...t.inst(i))), "");
  }
  for (const g of cfg.syncGroups) {
    out.push(...block(`vrrp_sync_group ${word(g.name)}`, confLines(SYNC_GROUP, ...t.group(g))), "");
  }
  return out.join("\n");
}
