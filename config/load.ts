/**
 * Loading a config: pick the file and format, run the front end, then validate().
 * Never throws: a missing file or bad text becomes diagnostics.
 */
import type { Diagnostic, LoadResult, SourcePos } from "./model.ts";
import { Diagnostics, sortDiagnostics } from "./diagnostics.ts";
import { DEFAULT_CONFIG_PATHS, emptyConfig } from "./defaults.ts";
import { parseKeepalived } from "./keepalived.ts";
import type { parseToml } from "./toml.ts";
import { validate } from "./validate.ts";
import { applyKeepalivedRules } from "./keepalived_rules.ts";
import { type LexHost, MAX_FILE_BYTES, type ReadRefusal } from "./lexer.ts";
import { type FileKind, fileKind, includeKind, readTextFileBounded } from "./read_file.ts";

/** Options for parseConfigText(). */
export interface ParseOptions {
  /** id for `@ID` lines; default the short hostname */
  configId?: string;
  /** reads an included file; null when it cannot (default Deno.readTextFileSync) */
  readFile?: (path: string) => string | null | ReadRefusal;
  /** what a path is, without opening it (default: stat); see LexHost.fileKind */
  fileKind?: (path: string) => FileKind;
  /** lists a directory for include globs; null when it cannot (default Deno.readDirSync) */
  listDir?: (path: string) => string[] | null;
  /** `${_RANDOM}`: a random integer in [min, max] (default Math.random) */
  random?: (min: number, max: number) => number;
  /** `${_ENV NAME}`: an environment variable (default: the process environment) */
  env?: (name: string) => string | undefined;
  /**
   * the config as written: without keepalived's load-time corrections (keepalived_rules.ts),
   * for `vrrp convert`
   */
  asWritten?: boolean;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    // no --allow-env: as if unset
    return undefined;
  }
}

/** True when any diagnostic is an error. */
export function hasErrors(diags: Diagnostic[]): boolean {
  return diags.some((d) => d.severity === "error");
}

/** The short hostname (up to the first dot), or "" when it cannot be read. */
export function shortHostname(): string {
  try {
    return Deno.hostname().split(".")[0];
  } catch {
    return "";
  }
}

/** Regular files only, at most MAX_FILE_BYTES; null when there is no such file. */
function defaultReadFile(path: string): string | null | ReadRefusal {
  if (fileKind(path) === "missing") return null;
  const r = readTextFileBounded(path, MAX_FILE_BYTES);
  return r.ok ? r.text : { error: r.error, bound: r.tooLarge };
}

function defaultListDir(path: string): string[] | null {
  try {
    return [...Deno.readDirSync(path)].map((e) => e.name);
  } catch {
    return null;
  }
}

/** Format from the extension, else from the content (a `[table]` or `key =` line means TOML). */
export function detectFormat(path: string, text: string): "keepalived" | "toml" {
  if (path.endsWith(".toml")) return "toml";
  if (path.endsWith(".conf")) return "keepalived";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    return /^\[|^[A-Za-z0-9_."'-]+\s*=/.test(line) ? "toml" : "keepalived";
  }
  return "keepalived";
}

let tomlFrontEnd: typeof parseToml | null = null;

/**
 * Loads the TOML front end. It is loaded only for TOML configs: smol-toml is an npm package, and
 * the first npm module brings in Deno's Node layer (RSS a keepalived.conf daemon never needs).
 * loadConfig() calls it; a direct parseConfigText() of TOML needs it awaited first.
 */
export async function loadTomlFrontEnd(): Promise<void> {
  tomlFrontEnd ??= (await import("./toml.ts")).parseToml;
}

/** Parses `text` as `format` and validates it; includes are read through `opts.readFile`. */
export function parseConfigText(
  text: string,
  file: string,
  format: "keepalived" | "toml",
  opts: ParseOptions = {},
): LoadResult {
  const diags = new Diagnostics();
  const host: LexHost = {
    readFile: opts.readFile ?? defaultReadFile,
    listDir: opts.listDir ?? defaultListDir,
    configId: opts.configId ?? shortHostname(),
  };
  // injected readers (tests) come without a kind check unless they bring one
  const kind = opts.fileKind ?? (opts.readFile ? undefined : includeKind);
  if (kind) host.fileKind = kind;
  if (opts.random) host.random = opts.random;
  host.env = opts.env ?? readEnv;
  let front;
  try {
    if (format === "toml" && tomlFrontEnd === null) {
      throw new Error("the TOML front end is not loaded (await loadTomlFrontEnd() first)");
    }
    front = format === "toml"
      ? tomlFrontEnd!(text, file, diags)
      : parseKeepalived(text, file, host, diags);
  } catch (err) {
    // a bug, not bad input: still report it as a diagnostic rather than crash `check`
    diags.error({ file, line: 1, col: 1 }, `internal error while parsing: ${String(err)}`);
    front = { config: emptyConfig(), positions: new Map<string, SourcePos>() };
  }
  const semantic = validate(front.config, front.positions, file);
  const rules = opts.asWritten || hasErrors(semantic.list)
    ? []
    : applyKeepalivedRules(front.config, front.positions, file).list;
  return {
    config: front.config,
    diagnostics: sortDiagnostics([...diags.list, ...semantic.list, ...rules]),
    source: { file, format },
    positions: front.positions,
  };
}

/**
 * Reads and parses the config at `path`, or the first default path that exists.
 * A missing or unreadable file gives a LoadResult with one error.
 */
export async function loadConfig(
  path: string | undefined,
  opts: { configId?: string; asWritten?: boolean } = {},
): Promise<LoadResult> {
  // the TOML front end loads only when the file to be read is TOML (see loadTomlFrontEnd)
  for (const p of path === undefined ? DEFAULT_CONFIG_PATHS : [path]) {
    if (fileKind(p) === "missing") continue;
    const r = readTextFileBounded(p, MAX_FILE_BYTES);
    if (r.ok && detectFormat(p, r.text) === "toml") await loadTomlFrontEnd();
    break;
  }
  return loadConfigSync(path, opts);
}

/** {@link loadConfig}, synchronously (bounded: see MAX_CONFIG_CHARS and friends in lexer.ts). */
export function loadConfigSync(
  path: string | undefined,
  opts: { configId?: string; asWritten?: boolean } = {},
): LoadResult {
  const candidates = path === undefined ? DEFAULT_CONFIG_PATHS : [path];
  let lastError = "";
  for (const p of candidates) {
    // only a regular file, and only so much of it: a FIFO or /dev/zero must not hang `check`
    if (path === undefined && fileKind(p) === "missing") {
      lastError = "no such file";
      continue;
    }
    const r = readTextFileBounded(p, MAX_FILE_BYTES);
    if (r.ok) return parseConfigText(r.text, p, detectFormat(p, r.text), opts);
    lastError = r.error;
  }
  const file = candidates[candidates.length - 1];
  const message = path === undefined
    ? `no config file found (tried ${DEFAULT_CONFIG_PATHS.join(", ")})`
    : `cannot read config file: ${lastError}`;
  return {
    config: emptyConfig(),
    diagnostics: [{ file, line: 1, col: 1, severity: "error", message }],
    source: { file, format: detectFormat(file, "") },
    positions: new Map(),
  };
}
