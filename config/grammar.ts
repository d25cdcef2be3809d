/**
 * The one keyword table. Each section lists its keywords once: how keepalived.conf spells and
 * reads them, the TOML key and type, how they set and read the typed config, and what the docs
 * say. The keepalived parser (keepalived.ts), the TOML schema (schema.ts), `vrrp convert`
 * (convert.ts) and the keyword reference in docs/config.md (docs.ts) are all derived from it.
 * keepalived keywords vrrp does not honour are listed too, with what happens to them.
 */
import type {
  GlobalConfig,
  InstanceConfig,
  NotifyConfig,
  NotifyScript,
  SyncGroupConfig,
  TrackFileConfig,
  TrackRef,
  VipConfig,
  VrrpScriptConfig,
} from "./model.ts";
import type { Diagnostics } from "./diagnostics.ts";
import type { SourcePos } from "./model.ts";
import type { Stmt } from "./tree.ts";
import type { Token } from "./lexer.ts";
import { formatVip, parseTrackWords } from "./entries.ts";
import {
  GLOBAL_UNHONOURED,
  INSTANCE_UNHONOURED,
  NO_ACCEPT,
  SYNC_GROUP_UNHONOURED,
  type Unhonoured,
} from "./unhonoured.ts";

export { TOP_UNHONOURED, type Unhonoured } from "./unhonoured.ts";

/** A TOML value as smol-toml gives it (only the shapes this schema uses). */
export type TomlValue = string | number | boolean | TomlValue[] | { [k: string]: TomlValue };

/** What a keyword holds; both front ends check values against it. */
export type Kind =
  | { type: "string" }
  /** the rest of the keepalived line (a command); a string in TOML */
  | { type: "command" }
  | { type: "int"; min: number; max: number }
  | { type: "number"; min: number; max: number }
  /** keepalived: the bare keyword, or with true/false/on/off/yes/no */
  | { type: "bool" }
  | { type: "enum"; values: readonly string[] }
  /** keepalived: a block, one word per line */
  | { type: "strings" }
  | { type: "vips" }
  | { type: "tracks" }
  /** keepalived: `CMD [USER [GROUP]]`; TOML: the command, or `{command, user, group}` */
  | { type: "notify" };

/** What the keepalived reader offers a keyword's own read function (keepalived.ts implements it). */
export interface Reader {
  readonly diags: Diagnostics;
  /** records where `key` was first written */
  at(key: string, pos: SourcePos): void;
  arg(s: Stmt): string | undefined;
  rest(s: Stmt): string | undefined;
  int(s: Stmt, min: number, max: number): number | undefined;
  num(s: Stmt, min: number, max: number): number | undefined;
  flag(s: Stmt): boolean | undefined;
  needBlock(s: Stmt): Stmt[];
  unknown(s: Stmt, where: string, names: string[]): void;
}

/** Where a keyword exists: both formats, keepalived.conf only, or TOML only. */
export type Form = "both" | "keepalived" | "toml";

/** One keyword vrrp reads. */
export interface Keyword<T> {
  /** keepalived.conf spelling (for TOML-only keys, the TOML key) */
  kw: string;
  /** TOML key when it differs from `kw` */
  toml?: string;
  /** default "both" */
  form?: Form;
  kind: Kind;
  /** `v` has already been checked against `kind` (vips and tracks arrive parsed) */
  set(t: T, v: unknown): void;
  /** list kinds in keepalived.conf: a second block adds to the first */
  add?(t: T, items: unknown[]): void;
  /** the value as TOML, undefined when unset */
  get(t: T): TomlValue | undefined;
  /** keepalived syntax the kind's reader does not cover */
  read?(s: Stmt, t: T, r: Reader): void;
  /** keepalived lines for the value, when the kind's printer does not fit; [] to print nothing */
  write?(t: T, base: T): string[];
  /** position key of each list entry (`KEY:posKey:INDEX`); default: by name for tracks */
  entryKey?: string;
  /** honoured only in part: what `check` warns about it (the docs list it as warned) */
  warned?: string;
  /** printed by `convert` even at its default */
  always?: boolean;
  /** vrrp's own keyword (keepalived does not know it) */
  own?: boolean;
  /** the docs: syntax hint after the keyword, meaning, default */
  syntax?: string;
  doc: string;
  def?: string;
}

/** One keyword block of keepalived.conf and its TOML section. */
export interface Section<T> {
  /** keepalived block keyword(s), e.g. `vrrp_instance NAME` */
  block: string;
  /** TOML section, e.g. `[instance.NAME]` */
  tomlSection: string;
  keywords: Keyword<T>[];
  unhonoured: Unhonoured[];
  /** TOML key -> keyword (derived) */
  readonly byToml: Map<string, Keyword<T>>;
  /** keepalived keyword -> keyword (derived) */
  readonly byKw: Map<string, Keyword<T>>;
  readonly unhonouredByKw: Map<string, Unhonoured>;
}

/** The TOML key of `k`, or undefined when it has no TOML form. */
export function tomlKey<T>(k: Keyword<T>): string | undefined {
  return k.form === "keepalived" ? undefined : k.toml ?? k.kw;
}

function section<T>(
  block: string,
  tomlSection: string,
  keywords: Keyword<T>[],
  unhonoured: Unhonoured[],
  tomlOf: (kw: string) => string = (kw) => kw,
): Section<T> {
  for (const k of keywords) if (k.toml === undefined && k.form !== "toml") k.toml = tomlOf(k.kw);
  const byToml = new Map<string, Keyword<T>>();
  const byKw = new Map<string, Keyword<T>>();
  for (const k of keywords) {
    const t = tomlKey(k);
    if (t !== undefined) byToml.set(t, k);
    if (k.form !== "toml") byKw.set(k.kw, k);
  }
  return {
    block,
    tomlSection,
    keywords,
    unhonoured,
    byToml,
    byKw,
    unhonouredByKw: new Map(unhonoured.map((u) => [u.kw, u])),
  };
}

// ---- building blocks -------------------------------------------------------------------------

const str = { type: "string" } as const;
const command = { type: "command" } as const;
const bool = { type: "bool" } as const;
const int = (min: number, max: number) => ({ type: "int", min, max }) as const;
const num = (min: number, max: number) => ({ type: "number", min, max }) as const;

type Doc = Pick<
  Keyword<unknown>,
  "doc" | "def" | "syntax" | "own" | "always" | "toml" | "entryKey"
>;

/** A keyword that reads and writes one property of the target. */
function prop<T, K extends keyof T>(kw: string, kind: Kind, key: K, doc: Doc): Keyword<T> {
  return {
    kw,
    kind,
    set: (t, v) => t[key] = v as T[K],
    get: (t) => t[key] as TomlValue | undefined,
    ...doc,
  };
}

/** A word as keepalived reads it back: quoted when it holds blanks or starts a comment. */
export function word(s: string): string {
  if (s !== "" && !/[\s"'{}]/.test(s) && !/^[!#]|^\/\//.test(s)) return s;
  return s.includes('"') ? `'${s}'` : `"${s}"`;
}

/** `head { lines }`, indented by four. */
export function block(head: string, lines: string[]): string[] {
  return [`${head} {`, ...lines.map((l) => `    ${l}`), `}`];
}

/** The words of a statement, keyword first. */
export function tokenWords(s: Stmt): string[] {
  return [s.keyword, ...s.args].map((t: Token) => t.text);
}

const NOTIFY_KINDS: [string, keyof NotifyConfig, string][] = [
  ["notify", "notify", "run on every state change with `GROUP|INSTANCE NAME STATE PRIORITY`"],
  ["notify_master", "master", "run on becoming master"],
  ["notify_backup", "backup", "run on becoming backup"],
  ["notify_fault", "fault", "run on entering fault"],
  ["notify_stop", "stop", "run when the instance stops"],
];

/** A notify script as TOML: the command alone, or a table when it names a user. */
export function notifyToToml(n: NotifyScript): TomlValue {
  if (n.user === undefined) return n.command;
  const t: Record<string, TomlValue> = { command: n.command, user: n.user };
  if (n.group !== undefined) t.group = n.group;
  return t;
}

function notifyKeywords<T>(get: (t: T) => NotifyConfig): Keyword<T>[] {
  return NOTIFY_KINDS.map(([kw, f, doc]) => ({
    kw,
    kind: { type: "notify" } as const,
    set: (t: T, v: unknown) => get(t)[f] = v as NotifyScript,
    get: (t: T) => {
      const n = get(t)[f];
      return n === undefined ? undefined : notifyToToml(n);
    },
    read: (s: Stmt, t: T, r: Reader) => {
      // keepalived: the first word (or quoted string) is the command line; the next two are
      // the user and group to run it as, never arguments
      if (s.args.length === 0) {
        r.diags.error(s.keyword.pos, `"${kw}" needs a value`);
        return;
      }
      const [cmd, user, group, ...extra] = s.args;
      if (extra.length > 0) {
        r.diags.warning(
          extra[0].pos,
          `${kw}: words after the user and group are ignored (as keepalived does)`,
        );
      }
      const n: NotifyScript = { command: cmd.text };
      if (user !== undefined) n.user = user.text;
      if (group !== undefined) n.group = group.text;
      get(t)[f] = n;
    },
    write: (t: T) => {
      const n = get(t)[f];
      if (n === undefined) return [];
      const who = [n.user, n.group].filter((x) => x !== undefined).map((x) => word(x!));
      return [[kw, word(n.command), ...who].join(" ")];
    },
    syntax: "CMD [USER [GROUP]]",
    doc: `${doc}; CMD is one word or a quoted command line, USER and GROUP whom it runs as`,
  }));
}

/** `KW USER [GROUP]` in keepalived; two string keys in TOML. */
function userGroupKeywords<T>(
  kw: string,
  tomlUser: string,
  tomlGroup: string,
  get: (t: T) => { user?: string; group?: string },
  put: (t: T, v: { user?: string; group?: string }) => void,
  doc: string,
): Keyword<T>[] {
  return [{
    kw,
    toml: tomlUser,
    kind: str,
    set: (t, v) => put(t, { user: v as string }),
    get: (t) => get(t).user,
    read: (s, t, r) => {
      if (s.args.length === 0) {
        r.diags.error(s.keyword.pos, `"${kw}" needs a user`);
        return;
      }
      const user = s.args[0].text;
      if (s.args.length > 2) {
        r.diags.warning(s.args[2].pos, `extra arguments after "${kw} USER GROUP" ignored`);
      }
      put(t, s.args.length > 1 ? { user, group: s.args[1].text } : { user });
    },
    write: (t) => {
      const v = get(t);
      if (v.user === undefined) return [];
      return [[kw, word(v.user), ...(v.group !== undefined ? [word(v.group)] : [])].join(" ")];
    },
    syntax: "USER [GROUP]",
    doc: `${doc}; GROUP defaults to the user's primary group`,
    def: "—",
  }, {
    kw: tomlGroup,
    form: "toml",
    kind: str,
    set: (t, v) => put(t, { group: v as string }),
    get: (t) => get(t).group,
    doc: `the GROUP of \`${kw}\``,
    def: "the user's primary group",
  }];
}

/** `weight N [reverse]` in keepalived; `weight` and `reverse` keys in TOML. */
function weightKeywords<T>(
  what: string,
  kind: Kind,
  get: (t: T) => { weight: number; reverse: boolean },
  put: (t: T, w: { weight?: number; reverse?: boolean }) => void,
  printAlways: (t: T) => boolean,
  doc: Doc,
): Keyword<T>[] {
  return [{
    kw: "weight",
    kind,
    set: (t, v) => put(t, { weight: v as number }),
    get: (t) => get(t).weight,
    read: (s, t, r) => {
      // the `weight N [reverse]` grammar of track entries, after a placeholder name
      const w = parseTrackWords(["_", "weight", ...s.args.map((a) => a.text)]);
      if (w.error !== undefined) r.diags.error(s.keyword.pos, `${what} ${w.error}`);
      if (what === "vrrp_script") { for (const m of w.warnings) r.diags.warning(s.keyword.pos, m); }
      if (w.value?.weight === undefined) return;
      put(t, { weight: w.value.weight, reverse: w.value.reverse === true });
    },
    write: (t, base) => {
      const v = get(t);
      if (!printAlways(t) && v.weight === get(base).weight && !v.reverse) return [];
      return [`weight ${v.weight}${v.reverse ? " reverse" : ""}`];
    },
    syntax: "N [reverse]",
    ...doc,
  }, {
    kw: "reverse",
    form: "toml",
    kind: bool,
    set: (t, v) => put(t, { reverse: v as boolean }),
    get: (t) => get(t).reverse,
    doc: "keepalived's `weight N reverse`",
    def: "false",
  }];
}

// ---- global_defs -----------------------------------------------------------------------------

/** `global_defs` / `[global]`. TOML keys drop the `vrrp_` prefix. */
export const GLOBAL: Section<GlobalConfig> = section<GlobalConfig>(
  "global_defs",
  "[global]",
  [
    prop("router_id", str, "routerId", { doc: "name of this router in logs", def: "—" }),
    prop("vrrp_version", int(2, 3), "vrrpVersion", {
      toml: "vrrp_version",
      doc: "default VRRP version of IPv4 instances (IPv6 ones speak 3)",
      def: "2",
    }),
    prop("vrrp_garp_master_delay", int(0, 255), "garpMasterDelaySec", {
      doc: "seconds after becoming master before the second burst of gratuitous ARPs",
      def: "5",
    }),
    prop("vrrp_garp_master_repeat", int(1, 255), "garpMasterRepeat", {
      doc: "gratuitous ARPs per burst",
      def: "5",
    }),
    prop("vrrp_garp_master_refresh", int(0, 86400), "garpMasterRefreshSec", {
      doc: "seconds between gratuitous ARP refreshes while master, 0 = off",
      def: "0",
    }),
    prop("vrrp_garp_master_refresh_repeat", int(1, 255), "garpMasterRefreshRepeat", {
      doc: "gratuitous ARPs per refresh",
      def: "1",
    }),
    prop("vrrp_higher_prio_send_advert", bool, "higherPrioSendAdvert", {
      syntax: "[true|false]",
      doc: "a master that hears a higher priority sends one last advert before stepping down",
      def: "**true** (keepalived: false)",
    }),
    ...userGroupKeywords<GlobalConfig>(
      "script_user",
      "script_user",
      "script_group",
      (g) => ({ user: g.scriptUser, group: g.scriptGroup }),
      (g, v) => {
        if ("user" in v) g.scriptUser = v.user;
        if ("group" in v) g.scriptGroup = v.group;
      },
      "default user of scripts (without it: `keepalived_script` if that user exists, else root)",
    ),
    {
      ...prop<GlobalConfig, "enableScriptSecurity">(
        "enable_script_security",
        bool,
        "enableScriptSecurity",
        {
          doc:
            "a script run as root whose file or a directory on its path others can write to is " +
            "not run (logged, and warned about by `check`); a tracked one stops counting",
          def: "false",
        },
      ),
      read: (s, g, r) => {
        // keepalived enables it whatever follows the keyword (`enable_script_security 1`)
        if (s.args.length > 0) {
          r.diags.note(
            s.args[0].pos,
            `enable_script_security: "${
              s.args[0].text
            }" ignored, as keepalived does; script security is on`,
          );
        }
        g.enableScriptSecurity = true;
      },
      write: (g) => g.enableScriptSecurity ? ["enable_script_security"] : [],
    },
    prop("vrrp_mcast_group4", str, "mcastGroup4", {
      doc: "IPv4 multicast group adverts go to and the sockets join",
      def: "`224.0.0.18`",
    }),
    prop("vrrp_mcast_group6", str, "mcastGroup6", {
      doc: "IPv6 multicast group adverts go to and the sockets join (VRRPv3)",
      def: "`ff02::12`",
    }),
    prop("vrrp_check_unicast_src", bool, "checkUnicastSrc", {
      doc: "`check_unicast_src` for every unicast instance",
      def: "false",
    }),
    prop("vrrp_control_socket", str, "controlSocket", {
      own: true,
      syntax: "PATH",
      doc: "control socket of `vrrp status` and friends",
      def: "`/run/vrrp/vrrp.sock`",
    }),
    prop("vrrp_state_dir", str, "stateDir", {
      own: true,
      syntax: "DIR",
      doc: "where administrative state is kept",
      def: "`/var/lib/vrrp`",
    }),
    prop("vrrp_script_timeout", int(1, 3600), "scriptTimeoutSec", {
      own: true,
      syntax: "SEC",
      doc: "notify scripts running longer are killed",
      def: "10",
    }),
    prop("vrrp_metrics_listen", str, "metricsListen", {
      own: true,
      syntax: "[ADDR:]PORT",
      doc: "Prometheus `/metrics` listener, a bare port on 127.0.0.1",
      def: "off",
    }),
    prop("vrrp_priority", int(-20, 19), "processNice", {
      toml: "process_priority",
      syntax: "-20..19",
      doc: "nice value of the daemon (all its threads), as keepalived's VRRP process",
      def: "unchanged",
    }),
    prop("vrrp_rt_priority", int(1, 99), "realtimePriority", {
      toml: "rt_priority",
      syntax: "1..99",
      doc:
        "run the daemon SCHED_RR at this priority, as keepalived does (its JS and I/O threads; " +
        "V8's background workers stay SCHED_OTHER); " +
        "no RLIMIT_RTTIME is set (vrrp_rlimit_rttime is not honoured)",
      def: "unset (SCHED_OTHER)",
    }),
  ],
  GLOBAL_UNHONOURED,
  (kw) => kw.replace(/^vrrp_/, ""),
);

// ---- vrrp_instance ---------------------------------------------------------------------------

/** What an instance is read into: the instance and the fields it set itself. */
export interface InstanceTarget {
  inst: InstanceConfig;
  explicit: Set<string>;
  /** prefix of its position keys, `instance:NAME` */
  key: string;
}

function iprop<K extends keyof InstanceConfig>(
  kw: string,
  kind: Kind,
  key: K,
  doc: Doc,
): Keyword<InstanceTarget> {
  return {
    kw,
    kind,
    set: (t, v) => {
      t.inst[key] = v as InstanceConfig[K];
      t.explicit.add(key);
    },
    get: (t) => t.inst[key] as TomlValue | undefined,
    ...doc,
  };
}

/** A list-valued instance field read from a block of entries. */
function ilist(
  kw: string,
  kind: { type: "vips" } | { type: "tracks" },
  key: "vips" | "excludedVips" | "trackInterfaces" | "trackScripts" | "trackFiles",
  doc: Doc,
): Keyword<InstanceTarget> {
  const toToml = kind.type === "vips"
    ? (v: unknown) => formatVip(v as VipConfig)
    : (v: unknown) => trackToToml(v as TrackRef);
  return {
    kw,
    kind,
    set: (t, v) => (t.inst[key] as unknown[]) = v as unknown[],
    add: (t, v) => (t.inst[key] as unknown[]).push(...v),
    get: (t) => (t.inst[key] as unknown[]).map(toToml),
    ...doc,
  };
}

/** A track reference goes out as its name, or a table when it has a weight. */
export function trackToToml(r: TrackRef): TomlValue {
  if (r.weight === undefined) return r.name;
  const t: Record<string, TomlValue> = { name: r.name, weight: r.weight };
  if (r.reverse) t.reverse = true;
  return t;
}

function authRead(s: Stmt, t: InstanceTarget, r: Reader, key: string): void {
  let type: string | undefined;
  let pass: string | undefined;
  for (const e of r.needBlock(s)) {
    if (e.keyword.text === "auth_type") {
      const v = r.arg(e);
      if (v === undefined) continue;
      if (v !== "PASS" && v !== "AH") {
        r.diags.error(e.args[0].pos, `auth_type must be PASS or AH, got "${v}"`);
        continue;
      }
      type = v;
      r.at(`${key}:auth_type`, e.keyword.pos);
    } else if (e.keyword.text === "auth_pass") {
      pass = r.arg(e);
      r.at(`${key}:auth_pass`, e.keyword.pos);
    } else r.unknown(e, "authentication", ["auth_type", "auth_pass"]);
  }
  if (type === undefined) {
    if (pass !== undefined) {
      r.diags.warning(s.keyword.pos, "auth_pass without auth_type: no authentication is used");
    }
    t.inst.auth = { type: "none" };
    return;
  }
  if (pass === undefined) {
    r.diags.error(s.keyword.pos, `auth_type ${type} needs an auth_pass`);
    pass = "";
  }
  t.inst.auth = { type: type === "PASS" ? "pass" : "ah", password: pass };
}

/** `vrrp_instance NAME` / `[instance.NAME]`. */
export const INSTANCE: Section<InstanceTarget> = section<InstanceTarget>(
  "vrrp_instance NAME",
  "[instance.NAME]",
  [
    {
      ...iprop("state", { type: "enum", values: ["MASTER", "BACKUP"] }, "initialState", {
        syntax: "MASTER|BACKUP",
        doc: "a hint; the election decides unless priority is 255",
        def: '`"BACKUP"`',
        always: true,
      }),
      read: (s, t, r) => {
        const v = r.arg(s);
        if (v === undefined) return;
        if (v !== "MASTER" && v !== "BACKUP") {
          r.diags.error(s.args[0].pos, `state must be MASTER or BACKUP, got "${v}"`);
          return;
        }
        t.inst.initialState = v;
        t.explicit.add("initialState");
      },
    },
    iprop("interface", str, "interface", {
      doc: "the interface",
      def: "**required**",
      always: true,
    }),
    iprop("virtual_router_id", int(-1e9, 1e9), "vrid", {
      doc: "int 1–255",
      def: "**required**",
      always: true,
    }),
    iprop("priority", int(-1e9, 1e9), "priority", { doc: "int 1–255", def: "100", always: true }),
    iprop("advert_int", num(-1e9, 1e9), "advertIntervalSec", {
      doc: "number, seconds: VRRPv2 whole 1–255, VRRPv3 0.01–40.95 in 10 ms steps (rounded " +
        "as keepalived does)",
      def: "1",
      always: true,
    }),
    iprop("version", int(2, 3), "version", {
      doc: "2 or 3",
      def: "global `vrrp_version`; 3 for IPv6",
    }),
    iprop("native_ipv6", bool, "nativeIpv6", {
      doc: "an IPv6 instance (VRRPv3) even before its addresses say so",
      def: "false",
    }),
    {
      kw: "authentication",
      form: "keepalived",
      kind: str,
      set: () => {},
      get: () => undefined,
      read: (s, t, r) => authRead(s, t, r, t.key),
      write: (t) =>
        t.inst.auth.type === "none" ? [] : block("authentication", [
          `auth_type ${t.inst.auth.type === "pass" ? "PASS" : "AH"}`,
          `auth_pass ${word(t.inst.auth.password)}`,
        ]),
      syntax: "{ auth_type PASS|AH; auth_pass }",
      doc: "TOML: `auth_type` and `auth_pass`",
    },
    {
      kw: "auth_type",
      form: "toml",
      kind: { type: "enum", values: ["NONE", "PASS", "AH"] },
      set: (t, v) => {
        const pw = t.inst.auth.type === "none" ? "" : t.inst.auth.password;
        t.inst.auth = v === "NONE"
          ? { type: "none" }
          : { type: v === "PASS" ? "pass" : "ah", password: pw };
      },
      get: (t) => t.inst.auth.type === "none" ? undefined : t.inst.auth.type.toUpperCase(),
      doc: '`"NONE"`, `"PASS"`, `"AH"`',
      def: "none",
    },
    {
      kw: "auth_pass",
      form: "toml",
      kind: str,
      // the TOML front end applies auth_type first, so the type is known here
      set: (t, v) => {
        if (t.inst.auth.type !== "none") t.inst.auth.password = v as string;
      },
      get: (t) => t.inst.auth.type === "none" ? undefined : t.inst.auth.password,
      doc: "string",
      def: "—",
    },
    ilist("virtual_ipaddress", { type: "vips" }, "vips", {
      syntax: "{ ADDR[/P] [dev IF] … }",
      entryKey: "vip",
      doc: 'the VIPs; TOML: `"ADDR[/P] [dev IF] …"` strings or `{address, brd, dev, scope, label}`',
      def: "[]",
    }),
    ilist("virtual_ipaddress_excluded", { type: "vips" }, "excludedVips", {
      syntax: "{ … }",
      entryKey: "excluded_vip",
      doc: "added and removed with the VIPs and shown by `vrrp status`, but not listed in " +
        "adverts",
      def: "[]",
    }),
    {
      ...iprop("preempt", bool, "preempt", {
        doc: "a higher priority takes over from a lower-priority master",
        def: "true",
      }),
      write: (t, base) =>
        t.inst.preempt === base.inst.preempt ? [] : [t.inst.preempt ? "preempt" : "nopreempt"],
    },
    {
      kw: "nopreempt",
      form: "keepalived",
      kind: bool,
      set: () => {},
      get: () => undefined,
      read: (_s, t) => {
        t.inst.preempt = false;
        t.explicit.add("preempt");
      },
      write: () => [],
      doc: "TOML: `preempt = false`",
    },
    iprop("preempt_delay", num(0, 1000), "preemptDelaySec", {
      doc: "number 0–1000, seconds",
      def: "0",
    }),
    iprop("garp_master_delay", int(0, 255), "garpMasterDelaySec", {
      doc: "as in global",
      def: "the global value",
    }),
    iprop("garp_master_repeat", int(1, 255), "garpMasterRepeat", {
      doc: "as in global",
      def: "the global value",
    }),
    iprop("garp_master_refresh", int(0, 86400), "garpMasterRefreshSec", {
      doc: "as in global",
      def: "the global value",
    }),
    iprop("garp_master_refresh_repeat", int(1, 255), "garpMasterRefreshRepeat", {
      doc: "as in global",
      def: "the global value",
    }),
    iprop("higher_prio_send_advert", bool, "higherPrioSendAdvert", {
      doc: "as in global",
      def: "the global value",
    }),
    iprop("mcast_src_ip", str, "mcastSrcIp", {
      syntax: "ADDR",
      doc:
        "source address of the adverts (as `unicast_src_ip`, without making the instance unicast)",
      def: "the interface's primary address",
    }),
    iprop("unicast_src_ip", str, "unicastSrcIp", {
      syntax: "ADDR[/PREFIX]",
      doc: "source address of the adverts, an address of `interface` (checked at start and " +
        "reload); a prefix length is ignored, as keepalived does",
      def: "the interface's primary address",
    }),
    {
      ...iprop("unicast_peer", { type: "strings" }, "unicastPeers", {
        syntax: "{ ADDR [min_ttl N] [max_ttl N]… }",
        doc: "unicast mode: one advert to each peer, none to the group; `min_ttl`/`max_ttl`: the " +
          "TTL range of its adverts (turns `check_unicast_src` on)",
        def: "[] (multicast)",
      }),
      read: (s, t, r) => {
        const key = t.key;
        for (const e of r.needBlock(s)) {
          r.at(`${key}:unicast_peer:${t.inst.unicastPeers.length}`, e.keyword.pos);
          t.inst.unicastPeers.push(tokenWords(e).join(" "));
        }
      },
      write: (t) =>
        t.inst.unicastPeers.length === 0 ? [] : block("unicast_peer", t.inst.unicastPeers),
    },
    iprop("unicast_ttl", int(0, 255), "unicastTtl", {
      syntax: "N",
      doc: "IPv4 TTL / IPv6 hop limit of unicast adverts",
      def: "255",
    }),
    {
      ...iprop("check_unicast_src", bool, "checkUnicastSrc", {
        doc: "drop adverts whose source is not a `unicast_peer` (counted as `notPeer`)",
        def: "global `vrrp_check_unicast_src`",
      }),
      read: (_s, t) => {
        t.inst.checkUnicastSrc = true;
        t.explicit.add("checkUnicastSrc");
      },
      write: (t) => t.inst.checkUnicastSrc ? ["check_unicast_src"] : [],
    },
    {
      ...iprop("unicast_fault_no_peer", bool, "unicastFaultNoPeer", {
        doc: "a unicast instance without any `unicast_peer` goes to FAULT instead of multicasting",
        def: "false",
      }),
      read: (_s, t) => {
        t.inst.unicastFaultNoPeer = true;
        t.explicit.add("unicastFaultNoPeer");
      },
      write: (t) => t.inst.unicastFaultNoPeer ? ["unicast_fault_no_peer"] : [],
    },
    iprop("mcast_dst_ip", str, "mcastDstIp", {
      syntax: "ADDR",
      doc: "multicast group of this instance's adverts: joined, and adverts go to it",
      def: "the global group",
    }),
    ilist("track_interface", { type: "tracks" }, "trackInterfaces", {
      syntax: "{ NAME [weight N [reverse]] }",
      doc: "array of names or `{name, weight, reverse}` tables",
      def: "[]",
    }),
    ilist("track_script", { type: "tracks" }, "trackScripts", {
      syntax: "{ NAME [weight N [reverse]] }",
      doc: "as `track_interface`",
      def: "[]",
    }),
    ilist("track_file", { type: "tracks" }, "trackFiles", {
      syntax: "{ NAME [weight N [reverse]] }",
      doc: "as `track_interface`",
      def: "[]",
    }),
    ...notifyKeywords<InstanceTarget>((t) => t.inst.notify),
    {
      ...iprop("smtp_alert", bool, "smtpAlert", {
        doc: "kept for `convert`; vrrp sends no mail",
        def: "false",
      }),
      read: (s, t, r) => {
        r.diags.note(s.keyword.pos, `"smtp_alert" ignored: vrrp sends no mail`);
        const v = r.flag(s);
        if (v === undefined) return;
        t.inst.smtpAlert = v;
        t.explicit.add("smtpAlert");
      },
    },
    iprop("dont_track_primary", bool, "dontTrackPrimary", {
      doc: "the instance's own link going down does not mean FAULT",
      def: "false",
    }),
    {
      ...iprop("accept", bool, "accept", {
        doc: "a master accepts packets to the VIPs; vrrp always does, as keepalived does for " +
          "VRRPv2 outside strict mode (`accept = false` is `no_accept`, warned)",
        def: "false",
      }),
      read: (_s, t) => {
        t.inst.accept = true;
        t.explicit.add("accept");
      },
      write: (t) => t.inst.accept ? ["accept"] : [],
    },
    {
      kw: "no_accept",
      form: "keepalived",
      kind: bool,
      set: () => {},
      get: () => undefined,
      read: (s, t, r) => {
        r.diags.warning(s.keyword.pos, NO_ACCEPT);
        t.inst.accept = false;
        t.explicit.add("accept");
      },
      write: () => [],
      warned: NO_ACCEPT,
      doc: "TOML: `accept = false`",
    },
  ],
  INSTANCE_UNHONOURED,
);

// ---- vrrp_script, track_file, vrrp_sync_group ------------------------------------------------

/** What a script is read into. */
export interface ScriptTarget {
  script: VrrpScriptConfig;
  timeoutSet: boolean;
}

function sprop<K extends keyof VrrpScriptConfig>(
  kw: string,
  kind: Kind,
  key: K,
  doc: Doc,
): Keyword<ScriptTarget> {
  return {
    kw,
    kind,
    set: (t, v) => {
      t.script[key] = v as VrrpScriptConfig[K];
      if (key === "timeoutSec") t.timeoutSet = true;
    },
    get: (t) => t.script[key] as TomlValue | undefined,
    ...doc,
  };
}

/** `vrrp_script NAME` / `[script.NAME]`. */
export const SCRIPT: Section<ScriptTarget> = section<ScriptTarget>(
  "vrrp_script NAME",
  "[script.NAME]",
  [
    {
      ...sprop("script", command, "script", {
        syntax: "CMD",
        doc: "one word or a quoted command line; keepalived ignores words after the first",
        def: "**required**",
        always: true,
      }),
      read: (s, t, r) => {
        if (s.args.length === 0) {
          r.diags.error(s.keyword.pos, `"script" needs a value`);
          return;
        }
        if (s.args.length > 1) {
          r.diags.warning(
            s.args[1].pos,
            `vrrp_script ${t.script.name}: keepalived runs only "${s.args[0].text}" and ` +
              "ignores the words after it; so does vrrp (quote the whole command line to pass " +
              "arguments)",
          );
        }
        t.script.script = s.args[0].text;
      },
    },
    sprop("interval", int(1, 86400), "intervalSec", { doc: "int seconds", def: "1" }),
    sprop("timeout", int(1, 86400), "timeoutSec", {
      doc: "int seconds",
      def: "= interval (as keepalived)",
    }),
    sprop("rise", int(1, 1e6), "rise", { doc: "int", def: "1" }),
    sprop("fall", int(1, 1e6), "fall", { doc: "int", def: "1" }),
    ...weightKeywords<ScriptTarget>(
      "vrrp_script",
      int(-254, 254),
      (t) => ({ weight: t.script.weight, reverse: t.script.weightReverse }),
      (t, w) => {
        if (w.weight !== undefined) t.script.weight = w.weight;
        if (w.reverse !== undefined) t.script.weightReverse = w.reverse;
      },
      () => false,
      { doc: "int −254…254", def: "0" },
    ),
    {
      ...sprop("init_fail", bool, "initFail", { doc: "bool", def: "false (start as OK)" }),
      read: (_s, t) => t.script.initFail = true,
      write: (t) => t.script.initFail ? ["init_fail"] : [],
    },
    ...userGroupKeywords<ScriptTarget>(
      "user",
      "user",
      "group",
      (t) => ({ user: t.script.user, group: t.script.group }),
      (t, v) => {
        if ("user" in v) t.script.user = v.user;
        if ("group" in v) t.script.group = v.group;
      },
      "run the script as USER (default: the global script user)",
    ),
  ],
  [],
);

/** `track_file NAME` (also `vrrp_track_file`) / `[track_file.NAME]`. */
export const TRACK_FILE: Section<TrackFileConfig> = section<TrackFileConfig>(
  "track_file NAME",
  "[track_file.NAME]",
  [
    { ...prop("file", str, "file", { doc: "string", def: "**required**" }), always: true },
    ...weightKeywords<TrackFileConfig>(
      "track_file",
      int(-2147483647, 2147483647),
      (t) => ({ weight: t.weight, reverse: t.weightReverse }),
      (t, w) => {
        if (w.weight !== undefined) t.weight = w.weight;
        if (w.reverse !== undefined) t.weightReverse = w.reverse;
      },
      (t) => t.weight !== 1 || t.weightReverse,
      { doc: "int", def: "1" },
    ),
    {
      ...prop("init_file", int(-2147483647, 2147483647), "initValue", {
        syntax: "[VALUE] [overwrite]",
        doc: "int",
        def: "— (not created)",
      }),
      read: (s, t, r) => {
        const v = s.args[0]?.text;
        if (v !== undefined && v !== "overwrite") {
          if (!/^-?\d+$/.test(v)) {
            r.diags.error(s.args[0].pos, `init_file value must be a whole number, got "${v}"`);
            return;
          }
          t.initValue = Number(v);
        } else t.initValue = 0;
      },
    },
  ],
  [],
);

/** What a sync group is read into. */
export interface SyncGroupTarget extends SyncGroupConfig {
  key: string;
}

/** `vrrp_sync_group NAME` / `[sync_group.NAME]`. */
export const SYNC_GROUP: Section<SyncGroupTarget> = section<SyncGroupTarget>(
  "vrrp_sync_group NAME",
  "[sync_group.NAME]",
  [
    {
      ...prop<SyncGroupTarget, "members">("group", { type: "strings" }, "members", {
        syntax: "{ INSTANCE… }",
        doc: "array of instance names",
        def: "[]",
        always: true,
      }),
      read: (s, g, r) => {
        for (const e of r.needBlock(s)) {
          for (const tok of [e.keyword, ...e.args]) {
            r.at(`${g.key}:member:${tok.text}`, tok.pos);
            g.members.push(tok.text);
          }
        }
      },
    },
    ...notifyKeywords<SyncGroupTarget>((g) => g.notify),
  ],
  SYNC_GROUP_UNHONOURED,
);

/** LVS blocks: skipped whole, with one note for the file. */
export const LVS_BLOCKS = ["virtual_server", "virtual_server_group"];

/** Every section, in the order the docs list them. */
export const SECTIONS = [GLOBAL, INSTANCE, SCRIPT, TRACK_FILE, SYNC_GROUP] as const;
