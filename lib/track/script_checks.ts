/**
 * What keepalived decides about scripts when it loads a config, done the same way on this host:
 * whom each script runs as, whether it exists and is executable, and (`enable_script_security`)
 * whether a script that runs as root could be changed by someone else. A script keepalived would
 * not run is taken out of the config with a warning that says so, and a tracked script taken out
 * stops counting (keepalived: "track script … not found, ignoring"), exactly as keepalived 2.2.7
 * does. `vrrp check` and `vrrp run` (at start and on reload) both apply it.
 */
import type {
  Config,
  Diagnostic,
  LoadResult,
  NotifyConfig,
  SourcePos,
} from "../../config/model.ts";
import { sortDiagnostics } from "../../config/diagnostics.ts";

/** keepalived's default script user, used when it exists and no `script_user` is set. */
export const DEFAULT_SCRIPT_USER = "keepalived_script";

/** The file facts the checks need (lstat without following the last link). */
export interface FileFacts {
  uid: number;
  gid: number;
  /** permission bits including setuid/setgid/sticky */
  mode: number;
  kind: "dir" | "file" | "symlink" | "other";
}

/** The host as the checks see it; tests substitute their own. */
export interface ScriptHost {
  /** uid and primary gid of a user name, null when there is no such user */
  user(name: string): { uid: number; gid: number } | null;
  /** gid of a group name, null when there is no such group */
  group(name: string): number | null;
  lstat(path: string): FileFacts | null;
  /** stat, following links */
  stat(path: string): FileFacts | null;
  realPath(path: string): string | null;
  /** directories searched for a script named without a slash */
  searchPath: string[];
}

/** Whom a script runs as. */
interface Identity {
  uid: number;
  gid: number;
}

/** The verdict on one script. */
export type ScriptVerdict =
  | { run: true; insecure: boolean }
  | { run: false; why: string };

const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/** Reads /etc/passwd, /etc/group and the file system. */
export function realScriptHost(): ScriptHost {
  const table = (path: string) => {
    try {
      return Deno.readTextFileSync(path).split("\n").map((l) => l.split(":"));
    } catch {
      return [];
    }
  };
  const facts = (info: Deno.FileInfo): FileFacts => ({
    uid: info.uid ?? 0,
    gid: info.gid ?? 0,
    mode: (info.mode ?? 0) & 0o7777,
    kind: info.isSymlink ? "symlink" : info.isDirectory ? "dir" : info.isFile ? "file" : "other",
  });
  const safe = <T>(f: () => T): T | null => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  return {
    user: (name) => {
      const f = table("/etc/passwd").find((r) => r[0] === name && r.length >= 4);
      return f ? { uid: Number(f[2]), gid: Number(f[3]) } : null;
    },
    group: (name) => {
      const f = table("/etc/group").find((r) => r[0] === name && r.length >= 3);
      return f ? Number(f[2]) : null;
    },
    lstat: (p) => safe(() => facts(Deno.lstatSync(p))),
    stat: (p) => safe(() => facts(Deno.statSync(p))),
    realPath: (p) => safe(() => Deno.realPathSync(p)),
    searchPath: (safe(() => Deno.env.get("PATH")) ?? "/usr/sbin:/usr/bin:/sbin:/bin").split(":")
      .filter((d) => d !== ""),
  };
}

/** Resolves `USER [GROUP]`: the user's uid, the group's gid or the user's primary gid. */
function resolve(host: ScriptHost, user: string, group?: string): Identity | string {
  const u = host.user(user);
  if (u === null) return `user "${user}" does not exist`;
  if (group === undefined) return u;
  const g = host.group(group);
  if (g === null) return `group "${group}" does not exist`;
  return { uid: u.uid, gid: g };
}

/**
 * The first word of a command line (the script file), as keepalived takes it: the command is
 * split like a shell word list, quotes and backslashes honoured.
 */
function scriptFile(command: string): string {
  const m = /^\s*(?:"([^"]*)"|'([^']*)'|((?:\\.|[^\s"'])+))/.exec(command);
  if (m === null) return "";
  return m[1] ?? m[2] ?? m[3].replace(/\\(.)/g, "$1");
}

/** keepalived's check_security(): every component of `path` must be safe from non-root users. */
function unsafeComponent(host: ScriptHost, path: string): string | null {
  const parts = path.split("/").filter((p) => p !== "");
  let prefix = "";
  const paths = ["/", ...parts.map((p) => prefix += `/${p}`)];
  for (let i = 0; i < paths.length; i++) {
    const last = i === paths.length - 1;
    const f = host.lstat(paths[i]);
    if (f === null) return `${paths[i]} cannot be read`;
    if (!last && f.kind !== "dir") return `${paths[i]} is not a directory`;
    if (last && f.kind !== "file" && f.kind !== "symlink") return `${paths[i]} is not a file`;
    const writableByOthers = (f.gid !== 0 && (f.mode & 0o020) !== 0) || (f.mode & 0o002) !== 0;
    const checkedForWrites = (f.kind === "dir" && (f.mode & S_ISVTX) === 0) || f.kind === "file";
    if (f.uid !== 0) return `${paths[i]} is owned by uid ${f.uid}`;
    if (checkedForWrites && writableByOthers) {
      return `${paths[i]} is writable by ${(f.mode & 0o002) !== 0 ? "everyone" : `gid ${f.gid}`}`;
    }
  }
  return null;
}

function executableBy(f: FileFacts, who: Identity): boolean {
  if (who.uid === 0) return (f.mode & 0o111) !== 0;
  if (f.uid === who.uid) return (f.mode & 0o100) !== 0;
  if (f.gid === who.gid) return (f.mode & 0o010) !== 0;
  return (f.mode & 0o001) !== 0;
}

/** keepalived's check_script_secure() for one script run as `who`. */
export function judgeScript(
  host: ScriptHost,
  command: string,
  who: Identity,
  security: boolean,
): ScriptVerdict & { file: string } {
  let file = scriptFile(command);
  if (!file.includes("/")) {
    const found = host.searchPath.map((d) => `${d}/${file}`).find((p) =>
      host.stat(p)?.kind === "file"
    );
    if (found === undefined) return { run: false, why: `"${file}" is not on the PATH`, file };
    file = found;
  }
  const real = host.realPath(file);
  const f = host.stat(file);
  if (real === null || f === null) return { run: false, why: `${file} does not exist`, file };
  if (!executableBy(f, who)) {
    return { run: false, why: `${file} is not executable for ${who.uid}:${who.gid}`, file };
  }
  const setRoot = (f.uid === 0 && (f.mode & S_ISUID) !== 0 && (f.mode & 0o100) !== 0) ||
    (f.gid === 0 && (f.mode & S_ISGID) !== 0 && (f.mode & 0o010) !== 0);
  if (who.uid !== 0 && who.gid !== 0 && !setRoot) return { run: true, insecure: false, file };
  const unsafe = unsafeComponent(host, file) ??
    (real !== file ? unsafeComponent(host, real) : null);
  if (unsafe === null) return { run: true, insecure: false, file };
  if (!security) return { run: true, insecure: true, file };
  return { run: false, why: `unsafe permissions for a root script: ${unsafe}`, file };
}

const NOTIFY_KEYWORDS: [keyof NotifyConfig, string][] = [
  ["notify", "notify"],
  ["master", "notify_master"],
  ["backup", "notify_backup"],
  ["fault", "notify_fault"],
  ["stop", "notify_stop"],
];

/**
 * Applies keepalived's load-time script rules to `loaded` on `host`: takes out the scripts
 * keepalived would not run (with a warning each), sets the default script user keepalived
 * would use, and adds the diagnostics. Returns the names of the vrrp_scripts taken out.
 */
export function applyScriptChecks(
  loaded: LoadResult,
  host: ScriptHost = realScriptHost(),
): Set<string> {
  const cfg: Config = loaded.config;
  const g = cfg.global;
  const security = g.enableScriptSecurity;
  const out: Diagnostic[] = [];
  const at = (...keys: string[]): SourcePos => {
    for (const k of keys) {
      const p = loaded.positions.get(k);
      if (p) return p;
    }
    return { file: loaded.source.file, line: 1, col: 1 };
  };
  const warn = (pos: SourcePos, message: string) =>
    out.push({ ...pos, severity: "warning", message });

  // the default user: script_user, else keepalived_script, else root (refused under security)
  let fallback: Identity | string;
  if (g.scriptUser !== undefined) {
    fallback = resolve(host, g.scriptUser, g.scriptGroup);
    if (typeof fallback === "string") {
      warn(
        at("global:script_user"),
        `script_user: ${fallback}: scripts without a user of their own are not run (as keepalived)`,
      );
    }
  } else {
    const ks = host.user(DEFAULT_SCRIPT_USER);
    if (ks !== null) {
      fallback = ks;
      g.scriptUser = DEFAULT_SCRIPT_USER;
    } else if (security) {
      fallback = `no script_user and no user ${DEFAULT_SCRIPT_USER}`;
      warn(
        at("global:enable_script_security"),
        `enable_script_security without script_user and without a ${DEFAULT_SCRIPT_USER} user: scripts without a user of their own are not run (as keepalived)`,
      );
    } else fallback = { uid: 0, gid: 0 };
  }
  const identity = (user?: string, group?: string): Identity | string =>
    user !== undefined ? resolve(host, user, group) : fallback;

  let insecure = 0;
  let scripts = 0;
  const removed = new Set<string>();
  for (const s of cfg.scripts) {
    const who = identity(s.user, s.group);
    const v: ScriptVerdict = typeof who === "string"
      ? { run: false, why: who }
      : judgeScript(host, s.script, who, security);
    if (v.run) {
      scripts++;
      if (v.insecure) insecure++;
      continue;
    }
    removed.add(s.name);
    warn(
      at(`script:${s.name}:user`, `script:${s.name}:script`, `script:${s.name}`),
      `vrrp_script ${s.name}: ${v.why}: disabled, as keepalived does; instances tracking it ignore it`,
    );
  }
  if (removed.size > 0) {
    cfg.scripts = cfg.scripts.filter((s) => !removed.has(s.name));
    for (const inst of cfg.instances) {
      inst.trackScripts = inst.trackScripts.filter((r) => !removed.has(r.name));
    }
  }
  const notifies: [NotifyConfig, string][] = [
    ...cfg.instances.map((i): [NotifyConfig, string] => [i.notify, `instance:${i.name}`]),
    ...cfg.syncGroups.map((sg): [NotifyConfig, string] => [sg.notify, `syncgroup:${sg.name}`]),
  ];
  for (const [n, key] of notifies) {
    for (const [field, kw] of NOTIFY_KEYWORDS) {
      const script = n[field];
      if (script === undefined) continue;
      const who = identity(script.user, script.group);
      const v: ScriptVerdict = typeof who === "string"
        ? { run: false, why: who }
        : judgeScript(host, script.command, who, security);
      if (v.run) {
        scripts++;
        if (v.insecure) insecure++;
        continue;
      }
      delete n[field];
      warn(at(`${key}:${kw}`, key), `${kw}: ${v.why}: not run, as keepalived does`);
    }
  }
  if (!security && scripts > 0) {
    out.push({
      ...at("global:enable_script_security"),
      severity: insecure > 0 ? "warning" : "note",
      message: insecure > 0
        ? `${insecure} script(s) run as root from a path others can write to; keepalived runs them too but calls it a SECURITY VIOLATION (set enable_script_security to refuse them)`
        : "scripts run without enable_script_security (keepalived logs a SECURITY VIOLATION)",
    });
  }
  loaded.diagnostics = sortDiagnostics([...loaded.diagnostics, ...out]);
  return removed;
}
