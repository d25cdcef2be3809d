/**
 * The TOML front end: smol-toml parses, the schema table (schema.ts) types the values.
 * Syntax errors, unknown keys and type errors all become positioned diagnostics.
 */
import { parse, TomlError } from "smol-toml";
import type { Config, SourcePos, TrackRef, VipConfig } from "./model.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { defaultInstance, defaultScript, defaultTrackFile, emptyConfig } from "./defaults.ts";
import type { FrontEndResult } from "./keepalived.ts";
import { parseTrackWords, parseVipWords } from "./entries.ts";
import { unknownMessage } from "./suggest.ts";
import { type Explicit, inheritGlobals } from "./inherit.ts";
import {
  GLOBAL,
  INSTANCE,
  type InstanceTarget,
  type Kind,
  SCRIPT,
  type ScriptTarget,
  type Section,
  SYNC_GROUP,
  type SyncGroupTarget,
  TRACK_FILE,
} from "./grammar.ts";

/** The top-level tables: TOML section -> keyword section. */
const TABLES = {
  global: GLOBAL,
  instance: INSTANCE,
  script: SCRIPT,
  track_file: TRACK_FILE,
  sync_group: SYNC_GROUP,
} as const;
const SECTIONS = Object.keys(TABLES);

type Table = Record<string, unknown>;
const SEP = "\u0000";

/** Where each key path (segments joined by NUL) is written in the text. */
export function keyPositions(text: string, file: string): Map<string, SourcePos> {
  const out = new Map<string, SourcePos>();
  let header: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = /^(\s*)(\[\[?)([^\]]*)\]/.exec(line);
    if (m) {
      header = splitKey(m[3]);
      const pos = { file, line: i + 1, col: m[1].length + 1 };
      // every prefix too: [instance.a] is where "instance" first appears
      for (let n = 1; n <= header.length; n++) {
        const k = header.slice(0, n).join(SEP);
        if (!out.has(k)) out.set(k, pos);
      }
      continue;
    }
    const kv =
      /^(\s*)((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/
        .exec(line);
    if (kv) {
      const path = [...header, ...splitKey(kv[2])];
      const k = path.join(SEP);
      if (!out.has(k)) out.set(k, { file, line: i + 1, col: kv[1].length + 1 });
    }
  }
  return out;
}

function splitKey(s: string): string[] {
  const out: string[] = [];
  const re = /\s*("([^"]*)"|'([^']*)'|[^."'\s]+)\s*(\.|$)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null && m[0] !== "") out.push(m[2] ?? m[3] ?? m[1]);
  return out;
}

class Ctx {
  readonly config: Config = emptyConfig();
  readonly positions = new Map<string, SourcePos>();
  readonly explicit: Explicit = new Map();
  constructor(
    readonly diags: Diagnostics,
    readonly keys: Map<string, SourcePos>,
    readonly file: string,
  ) {}

  /** Position of the key at `path`, or of the nearest enclosing key found. */
  pos(path: string[]): SourcePos {
    for (let n = path.length; n > 0; n--) {
      const p = this.keys.get(path.slice(0, n).join(SEP));
      if (p) return p;
    }
    return { file: this.file, line: 1, col: 1 };
  }

  /** Checks `v` against `kind`; gives the typed value or undefined (with an error). */
  typed(v: unknown, kind: Kind, path: string[]): unknown {
    const key = path[path.length - 1];
    const bad = (want: string) => {
      this.diags.error(this.pos(path), `"${key}" must be ${want}, got ${describe(v)}`);
      return undefined;
    };
    switch (kind.type) {
      case "string":
      case "command":
        return typeof v === "string" ? v : bad("a string");
      case "bool":
        return typeof v === "boolean" ? v : bad("true or false");
      case "int":
      case "number": {
        const whole = kind.type === "int";
        const want = `${whole ? "a whole number" : "a number"} in ${kind.min}..${kind.max}`;
        if (typeof v !== "number" || Number.isNaN(v)) return bad(want);
        if ((whole && !Number.isInteger(v)) || v < kind.min || v > kind.max) return bad(want);
        return v;
      }
      case "enum":
        return typeof v === "string" && kind.values.includes(v)
          ? v
          : bad(`one of ${kind.values.map((x) => `"${x}"`).join(", ")}`);
      case "strings":
        return Array.isArray(v) && v.every((x) => typeof x === "string")
          ? v
          : bad("an array of strings");
      case "vips":
        return Array.isArray(v) ? this.vips(v, path) : bad("an array of addresses");
      case "tracks":
        return Array.isArray(v) ? this.tracks(v, path) : bad("an array of names or tables");
      case "notify": {
        if (typeof v === "string") return { command: v };
        const ok = isTable(v) && typeof v.command === "string" &&
          Object.entries(v).every(([k, x]) =>
            ["command", "user", "group"].includes(k) && typeof x === "string"
          );
        if (!ok) return bad("a command line or a table {command, user, group} of strings");
        const t = v as Record<string, string>;
        return {
          command: t.command,
          ...(t.user !== undefined ? { user: t.user } : {}),
          ...(t.group !== undefined ? { group: t.group } : {}),
        };
      }
    }
  }

  vips(items: unknown[], path: string[]): VipConfig[] {
    const out: VipConfig[] = [];
    for (const item of items) {
      let words: string[] | undefined;
      if (typeof item === "string") words = item.trim().split(/\s+/);
      else if (isTable(item) && typeof item.address === "string") {
        words = [item.address];
        for (const k of Object.keys(item)) {
          if (k === "address") continue;
          if (!["brd", "dev", "scope", "label"].includes(k) || typeof item[k] !== "string") {
            this.diags.error(this.pos(path), `virtual address: bad key "${k}"`);
            continue;
          }
          words.push(k, item[k] as string);
        }
      }
      if (words === undefined) {
        this.diags.error(
          this.pos(path),
          `virtual address must be a string or a table with "address", got ${describe(item)}`,
        );
        continue;
      }
      const parsed = parseVipWords(words);
      for (const w of parsed.warnings) this.diags.warning(this.pos(path), w);
      if (parsed.error !== undefined) this.diags.error(this.pos(path), parsed.error);
      if (parsed.value !== undefined) out.push(parsed.value);
    }
    return out;
  }

  tracks(items: unknown[], path: string[]): TrackRef[] {
    const out: TrackRef[] = [];
    const key = path[path.length - 1];
    for (const item of items) {
      if (typeof item === "string") {
        const parsed = parseTrackWords(item.trim().split(/\s+/));
        if (parsed.error !== undefined) this.diags.error(this.pos(path), `${key}: ${parsed.error}`);
        if (parsed.value !== undefined) out.push(parsed.value);
        continue;
      }
      if (!isTable(item) || typeof item.name !== "string") {
        this.diags.error(
          this.pos(path),
          `${key} entries must be names or tables with "name", got ${describe(item)}`,
        );
        continue;
      }
      const ref: TrackRef = { name: item.name };
      if (item.weight !== undefined) {
        if (typeof item.weight !== "number" || !Number.isInteger(item.weight)) {
          this.diags.error(this.pos(path), `${key} "${item.name}": weight must be a whole number`);
        } else ref.weight = item.weight;
      }
      if (item.reverse === true) ref.reverse = true;
      for (const k of Object.keys(item)) {
        if (!["name", "weight", "reverse"].includes(k)) {
          this.diags.warning(
            this.pos(path),
            unknownMessage("key", k, ["name", "weight", "reverse"], `in ${key}, ignored`),
          );
        }
      }
      out.push(ref);
    }
    return out;
  }

  /** Applies each key of `table` through `sec`'s keywords; unknown keys warn with a suggestion. */
  apply<T>(table: Table, sec: Section<T>, target: T, path: string[], key: string): void {
    const order = Object.keys(table).sort((a, b) => rank(a) - rank(b));
    for (const k of order) {
      const p = [...path, k];
      const f = sec.byToml.get(k);
      if (f === undefined) {
        this.diags.warning(
          this.pos(p),
          unknownMessage("key", k, [...sec.byToml.keys()], `in [${path.join(".")}], ignored`),
        );
        continue;
      }
      // positions are keyed by the keepalived keyword, as validate() asks for them
      if (!this.positions.has(`${key}:${f.kw}`)) this.positions.set(`${key}:${f.kw}`, this.pos(p));
      const v = this.typed(table[k], f.kind, p);
      if (v !== undefined) f.set(target, v);
    }
  }
}

/** auth_type before auth_pass, so the password lands in the right variant. */
function rank(k: string): number {
  return k === "auth_type" ? 0 : 1;
}

function isTable(v: unknown): v is Table {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function describe(v: unknown): string {
  if (Array.isArray(v)) return "an array";
  if (isTable(v)) return "a table";
  if (typeof v === "string") return `"${v}"`;
  return String(v);
}

/** Parses TOML text into the typed config. */
export function parseToml(text: string, file: string, diags: Diagnostics): FrontEndResult {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const msg = err.message.split("\n")[0].replace(/^Invalid TOML document: /, "");
      diags.error({ file, line: err.line, col: err.column }, `TOML syntax: ${msg}`);
    } else diags.error({ file, line: 1, col: 1 }, `TOML syntax: ${String(err)}`);
    return { config: emptyConfig(), positions: new Map() };
  }
  const ctx = new Ctx(diags, keyPositions(text, file), file);
  for (const section of Object.keys(doc)) {
    const value = doc[section];
    if (!(SECTIONS as readonly string[]).includes(section)) {
      diags.warning(ctx.pos([section]), unknownMessage("section", section, SECTIONS, "ignored"));
      continue;
    }
    if (!isTable(value)) {
      diags.error(ctx.pos([section]), `"${section}" must be a table, got ${describe(value)}`);
      continue;
    }
    if (section === "global") {
      ctx.apply(value, TABLES.global, ctx.config.global, ["global"], "global");
      continue;
    }
    for (const name of Object.keys(value)) {
      const body = value[name];
      const path = [section, name];
      if (!isTable(body)) {
        diags.error(ctx.pos(path), `[${section}.${name}] must be a table, got ${describe(body)}`);
        continue;
      }
      namedSection(ctx, section, name, body, path);
    }
  }
  inheritGlobals(ctx.config, ctx.explicit);
  return { config: ctx.config, positions: ctx.positions };
}

function namedSection(ctx: Ctx, section: string, name: string, body: Table, path: string[]): void {
  const c = ctx.config;
  if (section === "instance") {
    const key = `instance:${name}`;
    ctx.positions.set(key, ctx.pos(path));
    const t: InstanceTarget = { inst: defaultInstance(name), explicit: new Set(), key };
    ctx.apply(body, INSTANCE, t, path, key);
    if (body.auth_pass !== undefined && body.auth_type === undefined) {
      ctx.diags.warning(
        ctx.pos([...path, "auth_pass"]),
        "auth_pass without auth_type: no authentication is used",
      );
    }
    if (t.inst.auth.type !== "none" && body.auth_pass === undefined) {
      ctx.diags.error(
        ctx.pos([...path, "auth_type"]),
        `auth_type ${t.inst.auth.type.toUpperCase()} needs an auth_pass`,
      );
    }
    t.inst.trackScripts.forEach((r) =>
      ctx.positions.set(`${key}:track_script:${r.name}`, ctx.pos([...path, "track_script"]))
    );
    t.inst.trackFiles.forEach((r) =>
      ctx.positions.set(`${key}:track_file:${r.name}`, ctx.pos([...path, "track_file"]))
    );
    t.inst.vips.forEach((_, i) =>
      ctx.positions.set(`${key}:vip:${i}`, ctx.pos([...path, "virtual_ipaddress"]))
    );
    t.inst.excludedVips.forEach((_, i) =>
      ctx.positions.set(
        `${key}:excluded_vip:${i}`,
        ctx.pos([...path, "virtual_ipaddress_excluded"]),
      )
    );
    t.inst.unicastPeers.forEach((_, i) =>
      ctx.positions.set(`${key}:unicast_peer:${i}`, ctx.pos([...path, "unicast_peer"]))
    );
    ctx.explicit.set(t.inst, t.explicit);
    c.instances.push(t.inst);
  } else if (section === "script") {
    ctx.positions.set(`script:${name}`, ctx.pos(path));
    const t: ScriptTarget = { script: defaultScript(name), timeoutSet: false };
    ctx.apply(body, SCRIPT, t, path, `script:${name}`);
    if (!t.timeoutSet) t.script.timeoutSec = t.script.intervalSec;
    if (t.script.script === "") {
      ctx.diags.error(ctx.pos(path), `vrrp_script "${name}" has no script`);
    }
    c.scripts.push(t.script);
  } else if (section === "track_file") {
    ctx.positions.set(`trackfile:${name}`, ctx.pos(path));
    const tf = defaultTrackFile(name);
    ctx.apply(body, TRACK_FILE, tf, path, `trackfile:${name}`);
    if (tf.file === "") ctx.diags.error(ctx.pos(path), `track_file "${name}" has no file`);
    c.trackFiles.push(tf);
  } else {
    const key = `syncgroup:${name}`;
    ctx.positions.set(key, ctx.pos(path));
    const g: SyncGroupTarget = { name, members: [], notify: {}, key };
    ctx.apply(body, SYNC_GROUP, g, path, key);
    g.members.forEach((m) => ctx.positions.set(`${key}:member:${m}`, ctx.pos([...path, "group"])));
    c.syncGroups.push({ name, members: g.members, notify: g.notify });
  }
}
