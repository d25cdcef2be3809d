/**
 * The daemon's log: one line per event on stderr, as text or as one JSON object per line.
 * Every line about an instance carries its prefix, e.g. `[ha-internal-1 vrid 1 eth0]`.
 */

/** Log levels, least to most severe. */
export type LogLevel = "debug" | "info" | "warn" | "error";

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** Extra structured data attached to a line (JSON form only; the text line is the message). */
export type LogFields = Record<string, unknown>;

/** Where the lines go; tests collect them in an array. */
export type LogSink = (line: string) => void;

/** Options of {@link Logger}. */
export interface LoggerOptions {
  level: LogLevel;
  format: "text" | "json";
  sink?: LogSink;
  /** wall clock for the `ts` field; tests pass a fixed one */
  wallClock?: () => Date;
}

const encoder = new TextEncoder();

/** Writes synchronously to stderr so lines are never lost when the process exits. */
export function stderrSink(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/** A leveled logger; `forInstance()` gives a child that prefixes the instance. */
export class Logger {
  readonly #opts: Required<LoggerOptions>;
  readonly #instance: string | null;

  constructor(opts: LoggerOptions, instance: string | null = null) {
    this.#opts = {
      sink: stderrSink,
      wallClock: () => new Date(),
      ...opts,
    };
    this.#instance = instance;
  }

  /** A logger whose lines carry `[NAME vrid N IFACE]`. */
  forInstance(name: string, vrid: number, iface: string): Logger {
    return new Logger(this.#opts, `${name} vrid ${vrid} ${iface}`);
  }

  /** Whether a line at `level` would be written. */
  enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.#opts.level];
  }

  debug(msg: string, fields?: LogFields): void {
    this.log("debug", msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log("info", msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log("warn", msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log("error", msg, fields);
  }

  /** Writes one line at `level` if enabled. */
  log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    const ts = this.#opts.wallClock().toISOString();
    if (this.#opts.format === "json") {
      this.#opts.sink(JSON.stringify({
        ts,
        level,
        instance: this.#instance,
        msg,
        fields: fields ?? {},
      }));
      return;
    }
    const prefix = this.#instance === null ? "" : `[${this.#instance}] `;
    this.#opts.sink(`${ts} ${level.toUpperCase().padEnd(5)} ${prefix}${msg}`);
  }
}
