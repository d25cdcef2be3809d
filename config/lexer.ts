/**
 * keepalived-style lexing: comments, `$NAME=value` parameters, `@ID` / `@^ID` conditional
 * lines and `include` are handled here; what comes out is one token list per logical line,
 * every token with its file, line and column. Bad input becomes diagnostics, never a throw.
 */
import type { SourcePos } from "./model.ts";
import type { Diagnostics } from "./diagnostics.ts";

/** One token: its text (quotes removed) and where it starts. */
export interface Token {
  text: string;
  quoted: boolean;
  pos: SourcePos;
}

/** What the lexer needs from the outside world; injectable for tests. */
export interface LexHost {
  /** the file's text, or null when it cannot be read */
  readFile(path: string): string | null;
  /** names in a directory, or null when it cannot be listed */
  listDir(path: string): string[] | null;
  /** the id `@ID` lines are compared with */
  configId: string;
}

const MAX_INCLUDE_DEPTH = 32;

/** Lexes `text` (from `file`) into logical lines, expanding includes through `host`. */
export function lex(text: string, file: string, host: LexHost, diags: Diagnostics): Token[][] {
  const out: Token[][] = [];
  lexInto(text, file, host, diags, new Map(), [file], out);
  return out;
}

function lexInto(
  text: string,
  file: string,
  host: LexHost,
  diags: Diagnostics,
  params: Map<string, string>,
  stack: string[],
  out: Token[][],
): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/\r$/, "");
    const lineNo = i + 1;
    // @ID / @^ID: keep the line only on the matching (or, with ^, any other) host
    const cond = /^(\s*)@(\^?)([^\s]*)/.exec(line);
    if (cond) {
      const [whole, , negate, id] = cond;
      const match = id === host.configId;
      if (id === "") {
        diags.error(
          { file, line: lineNo, col: whole.length },
          "conditional line needs an id after @",
        );
        continue;
      }
      if (negate ? match : !match) continue;
      line = " ".repeat(whole.length) + line.slice(whole.length);
    }
    // $NAME=value defines a parameter for the lines that follow
    const def = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (def) {
      params.set(def[1], def[2].trim());
      continue;
    }
    if (line.includes("$")) line = substitute(line, params, { file, line: lineNo, col: 1 }, diags);
    const tokens = tokenize(line, file, lineNo, diags);
    if (tokens.length === 0) continue;
    if (tokens[0].text === "include" && !tokens[0].quoted) {
      include(tokens, file, host, diags, params, stack, out);
      continue;
    }
    out.push(tokens);
  }
}

function substitute(
  line: string,
  params: Map<string, string>,
  pos: SourcePos,
  diags: Diagnostics,
): string {
  return line.replace(
    /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
    (m, a, b, at) => {
      const name = (a ?? b) as string;
      const value = params.get(name);
      if (value !== undefined) return value;
      diags.warning({ ...pos, col: (at as number) + 1 }, `unknown parameter "$${name}" left as is`);
      return m;
    },
  );
}

/** Splits one line into tokens; `{` and `}` are tokens of their own. */
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
    if (c === "!" || c === "#") break;
    if (c === "/" && line[i + 1] === "/") {
      diags.warning(
        pos,
        `"//" comment: accepted here, but keepalived does not treat "//" as a comment`,
      );
      break;
    }
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

function include(
  tokens: Token[],
  file: string,
  host: LexHost,
  diags: Diagnostics,
  params: Map<string, string>,
  stack: string[],
  out: Token[][],
): void {
  if (tokens.length < 2) {
    diags.error(tokens[0].pos, "include needs a path");
    return;
  }
  for (const t of tokens.slice(1)) {
    const pattern = resolvePath(dirname(file), t.text);
    const isGlob = /[*?[]/.test(pattern);
    const paths = isGlob ? expandGlob(pattern, host) : [pattern];
    if (isGlob && paths.length === 0) {
      diags.warning(t.pos, `include "${t.text}" matches no file`);
    }
    for (const path of paths) {
      if (stack.includes(path)) {
        diags.error(t.pos, `include cycle: ${[...stack, path].join(" -> ")}`);
        continue;
      }
      if (stack.length >= MAX_INCLUDE_DEPTH) {
        diags.error(t.pos, `includes nested deeper than ${MAX_INCLUDE_DEPTH}`);
        continue;
      }
      const text = host.readFile(path);
      if (text === null) {
        diags.error(t.pos, `cannot read include file "${path}"`);
        continue;
      }
      lexInto(text, path, host, diags, params, [...stack, path], out);
    }
  }
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

/** Expands `*`, `?` and `[...]` segment by segment; results sorted, as glob(3) does. */
function expandGlob(pattern: string, host: LexHost): string[] {
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
    }
    bases = next;
  }
  return bases.filter((p) => host.readFile(p) !== null);
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
