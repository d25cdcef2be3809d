/**
 * keepalived-style lexing: comments, `@ID` / `@^ID` conditional lines, parameters and ~SEQ
 * (see params.ts) and `include` are handled here; what comes out is one token list per logical line,
 * every token with its file, line and column. Bad input becomes diagnostics, never a throw.
 */
import type { SourcePos } from "./model.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { continuation, Params, parseDefinition, parseSequence, type ValueLine } from "./params.ts";
import type { FileKind } from "./read_file.ts";

/** One token: its text (quotes removed) and where it starts. */
export interface Token {
  text: string;
  quoted: boolean;
  pos: SourcePos;
}

/** Why a file was not read; `bound` when it is over a limit (an error whatever the include). */
export interface ReadRefusal {
  error: string;
  bound?: boolean;
}

/** What the lexer needs from the outside world; injectable for tests. */
export interface LexHost {
  /** the file's text; null when there is no such file, or why it was not read */
  readFile(path: string): string | null | ReadRefusal;
  /**
   * What `path` is, without opening it: includes use it to pass over directories and to refuse
   * FIFOs and devices without blocking. Without it, a path counts when readFile gives text.
   */
  fileKind?(path: string): FileKind;
  /** names in a directory, or null when it cannot be listed */
  listDir(path: string): string[] | null;
  /** the id `@ID` lines are compared with, and `${_INSTANCE}` */
  configId: string;
  /** a random integer in [min, max] for `${_RANDOM}` (default: Math.random) */
  random?(min: number, max: number): number;
  /** an environment variable for `${_ENV NAME}` (default: none set) */
  env?(name: string): string | undefined;
}

const MAX_INCLUDE_DEPTH = 32;
/** Parameters within parameters deeper than this are taken for a loop. */
const MAX_EXPANSION_DEPTH = 32;
/** Lines made by parameter expansion and ~SEQ, per configuration: a bound for runaway input. */
const MAX_EXPANDED_LINES = 100_000;
/**
 * Characters per configuration: every file read plus every line parameters produce. Doubling
 * definitions (`$A2=${A1}${A1}`...) grow exponentially; this stops them long before memory or
 * time runs out. A 1,000-instance config is about 300 KB.
 */
export const MAX_CONFIG_CHARS = 2 * 1024 * 1024;
/** Tokens per configuration: each costs far more memory than its characters. */
export const MAX_CONFIG_TOKENS = 500_000;
/** Files per configuration, the main file included: include fan-out is exponential too. */
export const MAX_CONFIG_FILES = 1000;
/** Bytes per file read (main file or include). */
export const MAX_FILE_BYTES = MAX_CONFIG_CHARS;

/** Everything one lexing run shares, across includes. */
interface LexRun {
  host: LexHost;
  diags: Diagnostics;
  params: Params;
  out: Token[][];
  expanded: number;
  /** characters read and produced so far (see MAX_CONFIG_CHARS) */
  chars: number;
  /** files read so far, the main one included */
  files: number;
  /** tokens produced so far */
  tokens: number;
  /** set once a bound was hit: everything after is skipped (one error said why) */
  stopped: boolean;
}

/** Lexes `text` (from `file`) into logical lines, expanding includes through `host`. */
export function lex(text: string, file: string, host: LexHost, diags: Diagnostics): Token[][] {
  const run: LexRun = {
    host,
    diags,
    params: new Params(),
    out: [],
    expanded: 0,
    chars: 0,
    files: 1,
    tokens: 0,
    stopped: false,
  };
  if (countChars(run, text.length, { file, line: 1, col: 1 })) lexInto(text, file, run, [file]);
  return run.out;
}

function lexInto(text: string, file: string, run: LexRun, stack: string[]): void {
  const lines = text.split("\n");
  const physical = (i: number) => {
    const pos = { file, line: i + 1, col: 1 };
    return { pos, text: stripComment(lines[i].replace(/\r$/, ""), pos, run.diags) };
  };
  for (let i = 0; i < lines.length && !run.stopped; i++) {
    const { pos, text: raw } = physical(i);
    const cond = conditional(raw, pos, run);
    // a definition left out by its @ID still owns its continuation lines
    const def = parseDefinition(raw.replace(/^\s*@\^?\S*/, (m) => " ".repeat(m.length)));
    if (def?.continued) {
      // a multi-line definition: every line but the last ends with "\"
      const value: ValueLine[] = def.value === "" ? [] : [{ text: def.value, pos }];
      for (let more = true; more;) {
        if (++i >= lines.length) {
          run.diags.error(
            pos,
            `multi-line definition of $${def.name} never ends (its last line ends with "\\")`,
          );
          break;
        }
        const next = physical(i);
        const c = continuation(next.text);
        value.push({ text: c.text, pos: next.pos });
        more = c.more;
      }
      if (cond !== null) run.params.define(def.name, value, true);
      continue;
    }
    if (cond !== null) processLine({ text: cond, pos }, file, run, stack, 0);
  }
}

/**
 * One logical line through keepalived's stages: a conditional prefix, a definition, a ~SEQ
 * repeater, parameter substitution (whose result goes through all stages again), and finally
 * tokens or an include.
 */
function processLine(
  line: ValueLine,
  file: string,
  run: LexRun,
  stack: string[],
  depth: number,
): void {
  const { diags } = run;
  if (run.stopped) return;
  if (depth > MAX_EXPANSION_DEPTH) {
    diags.error(
      line.pos,
      `parameters nested deeper than ${MAX_EXPANSION_DEPTH} levels: does one refer to itself?`,
    );
    return;
  }
  const text = conditional(line.text, line.pos, run);
  if (text === null) return;
  if (/^\s*\$[A-Za-z_][A-Za-z0-9_]*\s+=/.test(text)) {
    diags.error(line.pos, `a parameter definition has no blank before "=": write $NAME=value`);
    return;
  }
  const def = parseDefinition(text);
  if (def) {
    run.params.define(def.name, [{ text: def.value, pos: line.pos }]);
    return;
  }
  const seq = parseSequence(text);
  if (seq) {
    if (!seq.ok) return diags.error(line.pos, seq.message);
    // the repeated part keeps its columns
    const rest = " ".repeat(text.length - seq.rest.length) + seq.rest;
    for (const value of seq.values) {
      if (!countExpanded(run, 1, line.pos)) return;
      run.params.define(seq.name, [{ text: value, pos: line.pos }]);
      processLine({ text: rest, pos: line.pos }, file, run, stack, depth + 1);
    }
    return;
  }
  if (text.includes("$")) {
    const sub = run.params.substitute({ text, pos: line.pos }, {
      dir: dirname(file),
      configId: run.host.configId,
      random: run.host.random ?? randomInt,
      env: run.host.env,
      maxChars: MAX_CONFIG_CHARS - run.chars,
    });
    if (sub.tooLong) {
      countChars(run, MAX_CONFIG_CHARS + 1, line.pos);
      return;
    }
    if (sub.changed) {
      if (!countExpanded(run, sub.lines.length, line.pos)) return;
      const chars = sub.lines.reduce((n, l) => n + l.text.length, 0);
      if (!countChars(run, chars, line.pos)) return;
      for (const l of sub.lines) processLine(l, file, run, stack, depth + 1);
      return;
    }
    for (const u of sub.unknown) {
      diags.warning({ ...line.pos, col: u.col }, `unknown parameter "$${u.name}" left as is`);
    }
  }
  // keepalived spots include lines on the raw text, so `{a,b}` braces stay in the path
  const inc = /^(\s*)(include[rmwba]?)(\s+)(.*)$/.exec(text);
  if (inc !== null && Object.hasOwn(INCLUDE_CHECKS, inc[2])) {
    const at = (col: number) => ({ file: line.pos.file, line: line.pos.line, col: col + 1 });
    const toks: Token[] = [{ text: inc[2], quoted: false, pos: at(inc[1].length) }];
    const re = /\S+/g;
    const start = inc[1].length + inc[2].length + inc[3].length;
    for (let m; (m = re.exec(inc[4])) !== null;) {
      if (/^[#!]/.test(m[0])) break;
      toks.push({ text: m[0], quoted: false, pos: at(start + m.index) });
    }
    include(toks, file, run, stack);
    return;
  }
  const tokens = tokenize(text, line.pos.file, line.pos.line, diags);
  if (tokens.length === 0) return;
  run.tokens += tokens.length;
  if (run.tokens > MAX_CONFIG_TOKENS) {
    diags.error(
      line.pos,
      `more than ${MAX_CONFIG_TOKENS} words in the configuration: reading stopped`,
    );
    run.stopped = true;
    return;
  }
  if (isInclude(tokens[0])) {
    include(tokens, file, run, stack);
    return;
  }
  run.out.push(tokens);
}

/** Counts lines made by expansion; false (after one error) once there are too many. */
function countExpanded(run: LexRun, n: number, pos: SourcePos): boolean {
  if (run.expanded > MAX_EXPANDED_LINES) return false;
  run.expanded += n;
  if (run.expanded <= MAX_EXPANDED_LINES) return true;
  run.diags.error(
    pos,
    `parameters and ~SEQ expand to more than ${MAX_EXPANDED_LINES} lines: expansion stopped`,
  );
  run.stopped = true;
  return false;
}

/**
 * Counts characters read or produced; false (after one error) once the configuration is over
 * MAX_CONFIG_CHARS, and the run stops: a bound hit means the input is hostile or broken.
 */
function countChars(run: LexRun, n: number, pos: SourcePos): boolean {
  if (run.stopped) return false;
  run.chars += n;
  if (run.chars <= MAX_CONFIG_CHARS) return true;
  run.diags.error(
    pos,
    `the configuration grows past ${MAX_CONFIG_CHARS} characters (files and parameter ` +
      `expansions together): reading stopped; does a parameter double itself?`,
  );
  run.stopped = true;
  return false;
}

function randomInt(min: number, max: number): number {
  return min + Math.floor(Math.random() * (max - min + 1));
}

/**
 * `@ID` / `@^ID`: the line without its prefix (blanked, so columns stay) when it is kept on this
 * host, null when it is not; lines without a prefix are returned as they are.
 */
function conditional(text: string, pos: SourcePos, run: LexRun): string | null {
  const cond = /^(\s*)@(\^?)([^\s]*)/.exec(text);
  if (!cond) return text;
  const [whole, , negate, id] = cond;
  if (id === "") {
    run.diags.error({ ...pos, col: whole.length }, "conditional line needs an id after @");
    return null;
  }
  const match = id === run.host.configId;
  if (negate ? match : !match) return null;
  return " ".repeat(whole.length) + text.slice(whole.length);
}

/**
 * Cuts a comment off a physical line: `!` or `#` where a token would start, outside quotes.
 * `//` is cut too, with a warning that keepalived would not. Comments go before parameters are
 * substituted, so `${_HASH}` and `${_BANG}` give plain characters.
 */
export function stripComment(line: string, pos: SourcePos, diags: Diagnostics): string {
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (/\s/.test(c) || c === "{" || c === "}") {
      i++;
      continue;
    }
    if (c === "!" || c === "#") return line.slice(0, i);
    if (c === "/" && line[i + 1] === "/") {
      diags.warning(
        { ...pos, col: i + 1 },
        `"//" comment: accepted here, but keepalived does not treat "//" as a comment`,
      );
      return line.slice(0, i);
    }
    if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      if (end < 0) return line; // tokenize() reports it
      i = end + 1;
      continue;
    }
    while (i < line.length && !/[\s{}"']/.test(line[i])) i++;
  }
  return line;
}

/** Splits one comment-free line into tokens; `{` and `}` are tokens of their own. */
export function tokenize(line: string, file: string, lineNo: number, diags: Diagnostics): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    // the same blank class the word scan below stops at, so every step makes progress
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const pos = { file, line: lineNo, col: i + 1 };
    if (c === "{" || c === "}") {
      tokens.push({ text: c, quoted: false, pos });
      i++;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = line.indexOf(c, i + 1);
      if (end < 0) {
        diags.error(pos, `unterminated quoted string (missing ${c})`);
        tokens.push({ text: line.slice(i + 1), quoted: true, pos });
        break;
      }
      tokens.push({ text: line.slice(i + 1, end), quoted: true, pos });
      i = end + 1;
      continue;
    }
    let j = i;
    while (j < line.length && !/[\s{}"']/.test(line[j])) j++;
    tokens.push({ text: line.slice(i, j), quoted: false, pos });
    i = j;
  }
  return tokens;
}

/**
 * keepalived's include variants and the failures each turns into errors (parser.c, include_t):
 * r: a file that cannot be read; m: a path without wildcards that does not exist; w: a wildcard
 * matching nothing; b: a brace alternative matching nothing. Plain `include` reports them all as
 * warnings and goes on, as keepalived logs them and goes on.
 */
const INCLUDE_CHECKS: Record<string, string> = {
  include: "",
  includer: "r",
  includem: "rm",
  includew: "rmw",
  includeb: "rb",
  includea: "rmwb",
};

/** Whether `text` starts an include line. */
function isInclude(t: Token): boolean {
  return !t.quoted && Object.hasOwn(INCLUDE_CHECKS, t.text);
}

function include(tokens: Token[], file: string, run: LexRun, stack: string[]): void {
  const { host, diags } = run;
  const kw = tokens[0].text;
  const checks = INCLUDE_CHECKS[kw];
  if (tokens.length < 2) {
    diags.error(tokens[0].pos, `${kw} needs a path`);
    return;
  }
  const report = (check: string, pos: SourcePos, message: string) => {
    if (checks.includes(check)) diags.error(pos, `${message} (an error with ${kw})`);
    else diags.warning(pos, `${message}; skipped, as keepalived does`);
  };
  for (const t of tokens.slice(1)) {
    const alternatives = expandBraces(t.text, MAX_CONFIG_FILES + 1);
    if (alternatives.length > MAX_CONFIG_FILES) {
      diags.error(t.pos, `"${t.text}" names more than ${MAX_CONFIG_FILES} files: not reading them`);
      run.stopped = true;
      return;
    }
    const paths: string[] = [];
    for (const alt of alternatives) {
      const pattern = resolvePath(dirname(file), alt);
      const isGlob = /[*?[]/.test(pattern);
      if (isGlob) {
        const before = diags.list.length;
        const found = expandGlob(pattern, host, t.pos, diags);
        if (found.length > 0) paths.push(...found);
        else if (diags.list.length > before) continue; // a match was refused, and said so
        else if (alternatives.length > 1) report("b", t.pos, `include "${alt}" matches no file`);
        else report("w", t.pos, `include "${t.text}" matches no file`);
        continue;
      }
      const name = pattern.slice(pattern.lastIndexOf("/") + 1);
      // without opening it: a FIFO would block
      const exists = host.fileKind
        ? host.fileKind(pattern) !== "missing"
        : host.readFile(pattern) !== null ||
          (host.listDir(dirname(pattern)) ?? []).includes(name);
      if (exists) paths.push(pattern);
      else {
        report(alternatives.length > 1 ? "b" : "m", t.pos, `include file "${pattern}" is missing`);
      }
    }
    for (const path of paths) {
      if (run.stopped) return;
      if (stack.includes(path)) {
        diags.error(t.pos, `include cycle: ${[...stack, path].join(" -> ")}`);
        continue;
      }
      if (stack.length >= MAX_INCLUDE_DEPTH) {
        diags.error(t.pos, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
        continue;
      }
      if (++run.files > MAX_CONFIG_FILES) {
        diags.error(
          t.pos,
          `more than ${MAX_CONFIG_FILES} files included in all: reading stopped; ` +
            `does a file include another more than once (fan-out) or a symlink loop?`,
        );
        run.stopped = true;
        return;
      }
      const kind = host.fileKind?.(path) ?? "file";
      if (refusedKind(kind)) {
        diags.error(
          t.pos,
          `include "${path}" is a ${kind}, not a regular file; not reading it (keepalived ` +
            `skips it; here it is an error, as reading one blocks or never ends)`,
        );
        continue;
      }
      if (skippedKind(kind)) {
        diags.warning(t.pos, skippedMessage(path, kind));
        continue;
      }
      const text = host.readFile(path);
      if (text === null || typeof text !== "string") {
        const why = text === null ? "" : `: ${text.error}`;
        if (text?.bound) diags.error(t.pos, `cannot read include file "${path}"${why}`);
        else report("r", t.pos, `cannot read include file "${path}"${why}`);
        continue;
      }
      if (text.length > MAX_FILE_BYTES) {
        diags.error(
          t.pos,
          `include "${path}" is larger than ${MAX_FILE_BYTES} bytes; not reading it`,
        );
        continue;
      }
      if (!countChars(run, text.length, t.pos)) return;
      lexInto(text, path, run, [...stack, path]);
    }
  }
}

/**
 * csh-style `{a,b}` alternatives (glob(3) GLOB_BRACE), nested ones included; at most `limit`
 * of them (`{a,b}{a,b}…` doubles with each brace: past the limit the caller refuses the path).
 */
export function expandBraces(s: string, limit = Infinity): string[] {
  const open = s.indexOf("{");
  if (open < 0) return [s];
  let depth = 0;
  const commas: number[] = [];
  let close = -1;
  for (let i = open; i < s.length; i++) {
    if (s[i] === "{") depth++;
    else if (s[i] === "}" && --depth === 0) {
      close = i;
      break;
    } else if (s[i] === "," && depth === 1) commas.push(i);
  }
  if (close < 0 || commas.length === 0) return [s];
  const head = s.slice(0, open);
  const tail = s.slice(close + 1);
  const cuts = [open, ...commas, close];
  const out: string[] = [];
  for (let i = 0; i + 1 < cuts.length && out.length < limit; i++) {
    const alt = head + s.slice(cuts[i] + 1, cuts[i + 1]) + tail;
    for (const x of expandBraces(alt, limit - out.length)) out.push(x);
  }
  return out;
}

/** The directory part of `path` ("." when there is none). */
export function dirname(path: string): string {
  const at = path.lastIndexOf("/");
  if (at < 0) return ".";
  return at === 0 ? "/" : path.slice(0, at);
}

function resolvePath(dir: string, path: string): string {
  const joined = path.startsWith("/") ? path : `${dir}/${path}`;
  const parts: string[] = [];
  for (const p of joined.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === ".." && parts.length > 0 && parts[parts.length - 1] !== "..") parts.pop();
    else parts.push(p);
  }
  const prefix = joined.startsWith("/") ? "/" : "";
  return prefix + parts.join("/") || ".";
}

/**
 * Expands `*`, `?` and `[...]` segment by segment; results sorted, as glob(3) does. Directories
 * among the matches are passed over; FIFOs, devices and sockets are refused with an error at
 * `pos` (never opened: a FIFO would block).
 */
function expandGlob(pattern: string, host: LexHost, pos: SourcePos, diags: Diagnostics): string[] {
  const absolute = pattern.startsWith("/");
  let bases = [absolute ? "" : "."];
  for (const seg of pattern.split("/").filter((s) => s !== "")) {
    const next: string[] = [];
    for (const base of bases) {
      const prefix = base === "" ? "/" : base === "." && !absolute ? "" : `${base}/`;
      if (!/[*?[]/.test(seg)) {
        next.push(`${prefix}${seg}`);
        continue;
      }
      const re = globToRegExp(seg);
      const names = host.listDir(base === "" ? "/" : base) ?? [];
      for (const n of names.filter((n) => re.test(n) && !n.startsWith(".")).sort()) {
        next.push(`${prefix}${n}`);
      }
      // a wide directory times a few wildcard segments must not explode either
      if (next.length > MAX_CONFIG_FILES) break;
    }
    bases = next;
  }
  if (!host.fileKind) return bases.filter((p) => typeof host.readFile(p) === "string");
  return bases.filter((p) => {
    const kind = host.fileKind!(p);
    if (kind === "file") return true;
    if (refusedKind(kind)) {
      diags.error(
        pos,
        `include glob matches "${p}", a ${kind}, not a regular file; not reading it`,
      );
    } else if (skippedKind(kind)) diags.warning(pos, skippedMessage(p, kind));
    return false;
  });
}

/**
 * FIFOs, devices and sockets are refused: keepalived skips them with a warning, but reading one
 * blocks or never ends, so a config naming one is an error here (a reload is refused).
 */
function refusedKind(kind: FileKind): boolean {
  return kind === "fifo" || kind.endsWith("device") || kind === "socket";
}

/** Directories and executable files: keepalived skips them with a warning, whatever the include. */
function skippedKind(kind: FileKind): boolean {
  return kind === "directory" || kind === "executable file";
}

function skippedMessage(path: string, kind: FileKind): string {
  const what = kind === "directory" ? "a directory" : "an executable file";
  return `include "${path}" is ${what}, not a regular non-executable file; skipped, as ` +
    `keepalived does`;
}

function globToRegExp(seg: string): RegExp {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i + 1);
      if (end < 0) re += "\\[";
      else {
        const body = seg.slice(i + 1, end).replace(/^!/, "^").replace(/\\/g, "\\\\");
        re += `[${body}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  try {
    return new RegExp(`^${re}$`);
  } catch {
    return /^$/;
  }
}
