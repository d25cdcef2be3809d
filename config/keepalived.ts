/**
 * The keepalived.conf front end: the keyword tables of the VRRP half of keepalived, applied to
 * the statement tree. Unknown keywords warn (with a suggestion) and are skipped.
 */
import type { Config, SourcePos, TrackRef, VipConfig } from "./model.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { lex, type LexHost } from "./lexer.ts";
import { buildTree, type Stmt } from "./tree.ts";
import { unknownMessage } from "./suggest.ts";
import { parseTrackWords, parseVipWords } from "./entries.ts";
import {
  GLOBAL,
  INSTANCE,
  type InstanceTarget,
  type Keyword,
  LVS_BLOCKS,
  type Reader,
  SCRIPT,
  type ScriptTarget,
  type Section,
  SYNC_GROUP,
  type SyncGroupTarget,
  tokenWords,
  TOP_UNHONOURED,
  TRACK_FILE,
  type Unhonoured,
} from "./grammar.ts";
import { defaultInstance, defaultScript, defaultTrackFile, emptyConfig } from "./defaults.ts";
import { type Explicit, inheritGlobals } from "./inherit.ts";

/** What a front end hands to validate(). */
export interface FrontEndResult {
  config: Config;
  positions: Map<string, SourcePos>;
}

class Ctx implements Reader {
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
  unknown(s: Stmt, where: string, names: string[]): void {
    this.diags.warning(
      s.keyword.pos,
      unknownMessage("keyword", s.keyword.text, names, `in ${where}, skipped`),
    );
  }
  /** Says what happens to a keepalived keyword vrrp does not honour. */
  unhonoured(s: Stmt, u: Unhonoured): void {
    this.diags[u.severity](s.keyword.pos, `"${s.keyword.text}" ${u.message}`);
  }
  /** Applies each statement of `block` through `sec`'s keywords, or reports it. */
  walk<T>(block: Stmt[], where: string, sec: Section<T>, target: T, key: string): void {
    for (const s of block) {
      const kw = s.keyword.text;
      const k = sec.byKw.get(kw);
      if (k !== undefined) {
        this.at(`${key}:${kw}`, s.keyword.pos);
        if (k.read !== undefined) k.read(s, target, this);
        else readByKind(s, k, target, this, key);
        continue;
      }
      const u = sec.unhonouredByKw.get(kw);
      if (u !== undefined) this.unhonoured(s, u);
      else this.unknown(s, where, [...sec.byKw.keys(), ...sec.unhonouredByKw.keys()]);
    }
  }
}

/** Reads `s` as `k`'s kind says and sets the value. */
function readByKind<T>(s: Stmt, k: Keyword<T>, t: T, c: Ctx, key: string): void {
  const kind = k.kind;
  let v: unknown;
  switch (kind.type) {
    case "string":
      v = c.arg(s);
      break;
    case "command":
      v = c.rest(s);
      break;
    case "int":
      v = c.int(s, kind.min, kind.max);
      break;
    case "number":
      v = c.num(s, kind.min, kind.max);
      break;
    case "bool":
      v = c.flag(s);
      break;
    case "enum": {
      v = c.arg(s);
      if (v !== undefined && !kind.values.includes(v as string)) {
        c.diags.error(
          s.args[0].pos,
          `${s.keyword.text} must be ${kind.values.join(" or ")}, got "${v}"`,
        );
        v = undefined;
      }
      break;
    }
    case "strings":
      v = c.needBlock(s).map((e) => e.keyword.text);
      break;
    case "notify":
      throw new Error(`${k.kw}: a notify keyword needs its own read()`);
    case "vips": {
      const out: VipConfig[] = [];
      const existing = (k.get(t) as unknown[] | undefined)?.length ?? 0;
      if (k.add === undefined) throw new Error(`${k.kw}: a list keyword needs add()`);
      for (const e of c.needBlock(s)) {
        const parsed = parseVipWords(tokenWords(e));
        for (const w of parsed.warnings) c.diags.warning(e.keyword.pos, w);
        if (parsed.error !== undefined) c.diags.error(e.keyword.pos, `${k.kw}: ${parsed.error}`);
        if (parsed.value === undefined) continue;
        c.at(`${key}:${k.entryKey ?? k.kw}:${existing + out.length}`, e.keyword.pos);
        out.push(parsed.value);
      }
      k.add(t, out);
      return;
    }
    case "tracks": {
      const out: TrackRef[] = [];
      for (const e of c.needBlock(s)) {
        const parsed = parseTrackWords(tokenWords(e));
        for (const w of parsed.warnings) c.diags.warning(e.keyword.pos, w);
        if (parsed.error !== undefined) c.diags.error(e.keyword.pos, `${k.kw}: ${parsed.error}`);
        if (parsed.value === undefined) continue;
        c.at(`${key}:${k.kw}:${parsed.value.name}`, e.keyword.pos);
        out.push(parsed.value);
      }
      if (k.add === undefined) throw new Error(`${k.kw}: a list keyword needs add()`);
      k.add(t, out);
      return;
    }
  }
  if (v !== undefined) k.set(t, v);
}

// ---- top level ------------------------------------------------------------------------------

type TopHandler = (s: Stmt, c: Ctx) => void;

/** Reads a named block: `KEYWORD NAME { … }`. */
function named(read: (name: string, block: Stmt[], s: Stmt, c: Ctx) => void): TopHandler {
  return (s, c) => {
    const name = c.arg(s);
    const block = c.needBlock(s);
    if (name !== undefined) read(name, block, s, c);
  };
}

const trackFileTop = named((name, block, s, c) => {
  const key = `trackfile:${name}`;
  c.at(key, s.keyword.pos);
  const tf = defaultTrackFile(name);
  c.walk(block, `track_file ${name}`, TRACK_FILE, tf, key);
  if (tf.file === "") c.diags.error(s.keyword.pos, `track_file "${name}" has no file`);
  c.config.trackFiles.push(tf);
});

const TOP: Record<string, TopHandler> = {
  global_defs: (s, c) => c.walk(c.needBlock(s), "global_defs", GLOBAL, c.config.global, "global"),
  vrrp_instance: named((name, block, s, c) => {
    const key = `instance:${name}`;
    // validate() reports duplicates; it points at the second declaration through this key
    if (c.positions.has(key)) c.at(`${key}:duplicate`, s.keyword.pos);
    c.at(key, s.keyword.pos);
    const t: InstanceTarget = { inst: defaultInstance(name), explicit: new Set(), key };
    c.walk(block, `vrrp_instance ${name}`, INSTANCE, t, key);
    c.explicit.set(t.inst, t.explicit);
    c.config.instances.push(t.inst);
  }),
  vrrp_script: named((name, block, s, c) => {
    const key = `script:${name}`;
    c.at(key, s.keyword.pos);
    const t: ScriptTarget = { script: defaultScript(name), timeoutSet: false };
    c.walk(block, `vrrp_script ${name}`, SCRIPT, t, key);
    // keepalived: a script without its own timeout gets its interval
    if (!t.timeoutSet) t.script.timeoutSec = t.script.intervalSec;
    if (t.script.script === "") c.diags.error(s.keyword.pos, `vrrp_script "${name}" has no script`);
    c.config.scripts.push(t.script);
  }),
  track_file: trackFileTop,
  vrrp_track_file: trackFileTop,
  vrrp_sync_group: named((name, block, s, c) => {
    const key = `syncgroup:${name}`;
    c.at(key, s.keyword.pos);
    const g: SyncGroupTarget = { name, members: [], notify: {}, key };
    c.walk(block, `vrrp_sync_group ${name}`, SYNC_GROUP, g, key);
    c.config.syncGroups.push({ name, members: g.members, notify: g.notify });
  }),
  ...Object.fromEntries(LVS_BLOCKS.map((kw): [string, TopHandler] => [kw, (s, c) => {
    if (c.lvsNoted) return;
    c.lvsNoted = true;
    c.diags.note(
      s.keyword.pos,
      `LVS configuration ("${s.keyword.text}" and the like) skipped: vrrp only does VRRP`,
    );
  }])),
  ...Object.fromEntries(
    TOP_UNHONOURED.map((u): [string, TopHandler] => [u.kw, (s, c) => c.unhonoured(s, u)]),
  ),
};

/** Parses keepalived.conf text (includes resolved through `host`) into the typed config. */
export function parseKeepalived(
  text: string,
  file: string,
  host: LexHost,
  diags: Diagnostics,
): FrontEndResult {
  const ctx = new Ctx(diags);
  const tree = buildTree(lex(text, file, host, diags), diags);
  for (const s of tree) {
    const h = Object.hasOwn(TOP, s.keyword.text) ? TOP[s.keyword.text] : undefined;
    if (h !== undefined) h(s, ctx);
    else ctx.unknown(s, "top level", Object.keys(TOP));
  }
  inheritGlobals(ctx.config, ctx.explicit);
  return { config: ctx.config, positions: ctx.positions };
}
