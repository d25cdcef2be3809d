/**
 * keepalived's configuration parameters: `$NAME=value` definitions (one line, or several lines
 * joined by a trailing `\`), their substitution (`${NAME}` anywhere, `$NAME` before a blank or
 * the end of the line, recursively, at use time), the pre-defined `_PWD`, `_INSTANCE`, `_HASH`,
 * `_BANG`, `_RANDOM`, and the `~SEQ(var, start, step, end)` line repeater.
 */
import type { SourcePos } from "./model.ts";

/** One line of a parameter's value, with where it was written. */
export interface ValueLine {
  text: string;
  pos: SourcePos;
}

/** A definition at the start of a line: `$NAME=value` (only blanks before the `$`). */
const DEFINITION = /^\s*\$([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

/**
 * `${NAME}`, `${_RANDOM 1 9}`, `${_ENV NAME}`, or `$NAME` followed by a blank or the end of the
 * line.
 */
const REFERENCE =
  /\$\{([A-Za-z_][A-Za-z0-9_]*)((?:\s+\d+){0,2}|\s+[A-Za-z_][A-Za-z0-9_]*)\s*\}|\$([A-Za-z_][A-Za-z0-9_]*)(?=\s|$)/g;

/** `~SEQ(...)` / `~SEQx(...)` at the start of a line, and the rest of the line. */
const SEQUENCE = /^\s*~SEQ(x?)\(([^)]*)\)(.*)$/;

/** More repetitions than this from one `~SEQ` is surely a mistake. */
export const MAX_SEQUENCE_STEPS = 10_000;

/** A parsed definition line; `continued` when the value goes on over the next lines. */
export function parseDefinition(
  text: string,
): { name: string; value: string; continued: boolean } | null {
  const m = DEFINITION.exec(text);
  if (!m) return null;
  const value = m[2].trim();
  if (value.endsWith("\\")) {
    return { name: m[1], value: value.slice(0, -1).trim(), continued: true };
  }
  return { name: m[1], value, continued: false };
}

/** A continuation line of a multi-line definition: its text, and whether another follows. */
export function continuation(text: string): { text: string; more: boolean } {
  const trimmed = text.replace(/\s+$/, "");
  if (trimmed.endsWith("\\")) return { text: trimmed.slice(0, -1), more: true };
  return { text: trimmed, more: false };
}

/** A `~SEQ` line: the variable, its values (formatted) and the line to repeat; or an error. */
export type Sequence =
  | { ok: true; name: string; values: string[]; rest: string }
  | { ok: false; message: string };

/** Parses a `~SEQ(var, [start, [step,]] end) rest` line; null when the line is not one. */
export function parseSequence(text: string): Sequence | null {
  const m = SEQUENCE.exec(text);
  if (!m) return null;
  const hex = m[1] === "x";
  const args = m[2].split(",").map((a) => a.trim());
  const name = args[0];
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name ?? "")) {
    return { ok: false, message: `~SEQ needs a variable name first, got "${name ?? ""}"` };
  }
  const nums = args.slice(1).map((a) => /^-?\d+$/.test(a) ? Number(a) : NaN);
  if (nums.length < 1 || nums.length > 3 || nums.some((n) => !Number.isSafeInteger(n))) {
    return {
      ok: false,
      message: `~SEQ(${m[2]}): expected ~SEQ(var, [start, [step,]] end) with whole numbers`,
    };
  }
  const end = nums[nums.length - 1];
  const start = nums.length >= 2 ? nums[0] : end < 0 ? -1 : 1;
  const step = nums.length === 3 ? nums[1] : end >= start ? 1 : -1;
  if (step === 0) return { ok: false, message: `~SEQ(${m[2]}): the step must not be 0` };
  const count = Math.floor((end - start) / step) + 1;
  if (count > MAX_SEQUENCE_STEPS) {
    return {
      ok: false,
      message: `~SEQ(${m[2]}) repeats ${count} times, more than ${MAX_SEQUENCE_STEPS}`,
    };
  }
  const values: string[] = [];
  for (let i = 0; i < count; i++) {
    const v = start + i * step;
    values.push(hex ? (v < 0 ? `-${(-v).toString(16)}` : v.toString(16)) : String(v));
  }
  return { ok: true, name, values, rest: m[3] };
}

/** The outcome of substituting one line. */
export interface Substituted {
  /** false when no defined parameter occurred (the line is final as it is) */
  changed: boolean;
  /** the resulting lines: a multi-line value makes several */
  lines: ValueLine[];
  /** names used but not defined (left as written, like keepalived) */
  unknown: { name: string; col: number }[];
  /** set when the result would pass `ParamContext.maxChars`: substitution stopped there */
  tooLong?: boolean;
}

/** What the pre-defined parameters need to know. */
export interface ParamContext {
  /** `_PWD`: the directory of the file being read */
  dir: string;
  /** `_INSTANCE`: the config id */
  configId: string;
  /** a random integer in [min, max] for `_RANDOM` */
  random(min: number, max: number): number;
  /** `${_ENV NAME}`: the environment variable, undefined when unset */
  env?(name: string): string | undefined;
  /** the longest result allowed; past it, substitution stops with `tooLong` (default none) */
  maxChars?: number;
}

/** The parameters defined so far (one set for a file and everything it includes). */
export class Params {
  readonly #values = new Map<string, ValueLine[]>();
  /** names whose value came from a multi-line definition */
  readonly #multiline = new Set<string>();

  /** Defines (or redefines) `name`; a multi-line definition has one entry per line. */
  define(name: string, lines: ValueLine[], multiline = false): void {
    this.#values.set(name, lines);
    if (multiline) this.#multiline.add(name);
    else this.#multiline.delete(name);
  }

  /**
   * Replaces every reference in `line` once. A line that is only a reference to a multi-line
   * value becomes that value's lines, each at the place it was defined; otherwise every
   * resulting line keeps `line`'s position. The caller substitutes the result again (keepalived
   * replaces recursively), so values may refer to parameters defined later.
   */
  substitute(line: ValueLine, ctx: ParamContext): Substituted {
    const unknown: { name: string; col: number }[] = [];
    const whole = /^\s*(?:\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*))\s*$/.exec(
      line.text,
    );
    const wholeName = whole ? whole[1] ?? whole[2] : "";
    const wholeValue = this.#values.get(wholeName);
    if (wholeValue && this.#multiline.has(wholeName)) {
      return { changed: true, lines: wholeValue.map((l) => ({ ...l })), unknown };
    }
    let changed = false;
    // bounded: many references to one long value would otherwise build one huge string
    let room = (ctx.maxChars ?? Infinity) - line.text.length;
    let tooLong = false;
    const text = line.text.replace(REFERENCE, (m, braced, args, bare, at: number) => {
      if (tooLong) return m;
      const name = (braced ?? bare) as string;
      const value = this.#lookup(name, (args ?? "") as string, ctx);
      if (value === null) {
        unknown.push({ name, col: at + 1 });
        return m;
      }
      room -= value.length - m.length;
      if (room < 0) {
        tooLong = true;
        return m;
      }
      changed = true;
      return value;
    });
    if (tooLong) return { changed: false, lines: [], unknown, tooLong };
    if (!changed) return { changed, lines: [line], unknown };
    return {
      changed,
      lines: text.split("\n").map((t) => ({ text: t, pos: line.pos })),
      unknown,
    };
  }

  #lookup(name: string, args: string, ctx: ParamContext): string | null {
    const own = this.#values.get(name);
    if (own) return own.map((l) => l.text).join("\n");
    if (name === "_ENV") {
      // keepalived 2.4: ${_ENV NAME} is the environment variable (nothing when it is unset)
      const v = args.trim();
      return v === "" ? null : ctx.env?.(v) ?? "";
    }
    if (/[A-Za-z_]/.test(args)) return null;
    const nums = args.trim() === "" ? [] : args.trim().split(/\s+/).map(Number);
    if (nums.length > 0 && name !== "_RANDOM") return null;
    switch (name) {
      case "_PWD":
        return ctx.dir;
      case "_INSTANCE":
        return ctx.configId;
      case "_HASH":
        return "#";
      case "_BANG":
        return "!";
      case "_RANDOM": {
        const min = nums[0] ?? 0;
        const max = nums[1] ?? 32767;
        return String(ctx.random(Math.min(min, max), Math.max(min, max)));
      }
      default:
        return null;
    }
  }
}
