/**
 * The options of `vrrp run`, one table: main.ts declares them to commander for `vrrp --help`,
 * and parses `vrrp run ...` itself with {@link parseRunArgs}, so the daemon never loads
 * commander (13 MB of RSS: it pulls in Deno's Node compatibility layer). A new option is one
 * entry here plus its field in `RunOptions`.
 */
import type { RunOptions } from "./run.ts";

/** One option of `vrrp run`. */
export interface RunOptionSpec {
  /** commander-style flags: `"-f, --file <FILE>"`; without `<ARG>` the option is a switch */
  flags: string;
  /** the field of `RunOptions` it sets */
  key: keyof RunOptions;
  description: string;
  /** the only values accepted */
  choices?: readonly string[];
  /** shown in the help; also the value when the option is absent */
  default?: string;
  /** turns the text into the value; throws an Error whose message says what is wrong */
  parse?: (text: string) => unknown;
}

/** Every option of `vrrp run`, in the order `--help` lists them. */
export const RUN_OPTIONS: readonly RunOptionSpec[] = [
  {
    flags: "-f, --file <FILE>",
    key: "file",
    description: "config file (default /etc/vrrp/vrrp.toml, then /etc/keepalived/keepalived.conf)",
  },
  {
    flags: "--config-id <ID>",
    key: "configId",
    description: "id for @ID conditional lines (default: short hostname)",
  },
  {
    flags: "--log-level <LEVEL>",
    key: "logLevel",
    description: "least severe level logged",
    choices: ["debug", "info", "warn", "error"],
    default: "info",
  },
  {
    flags: "--log-format <FORMAT>",
    key: "logFormat",
    description: "log line format",
    choices: ["text", "json"],
    default: "text",
  },
  {
    flags: "--socket <PATH>",
    key: "socket",
    description: "control socket path (overrides the config)",
  },
  {
    flags: "--state-dir <DIR>",
    key: "stateDir",
    description: "administrative state directory (overrides the config)",
  },
  {
    flags: "--metrics-listen <ADDR:PORT>",
    key: "metricsListen",
    description: "serve Prometheus metrics at http://ADDR:PORT/metrics; a bare PORT means " +
      "127.0.0.1 (overrides the config; off by default)",
  },
  {
    flags: "--vip-fail-timeout <SECONDS>",
    key: "vipFailTimeout",
    description: "a master whose VIPs cannot be configured for this long gives way (FAULT)",
    default: "5",
    parse: (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0 || n > 3600) {
        throw new Error("expected seconds, more than 0 and at most 3600");
      }
      return n;
    },
  },
];

/** What `vrrp run` was asked for: options to run with, the help text, or a usage error. */
export type RunArgs =
  | { kind: "run"; options: RunOptions }
  | { kind: "help"; text: string }
  | { kind: "usage"; message: string };

interface Flags {
  short: string | null;
  long: string;
  /** the `<ARG>` placeholder, null for a switch */
  arg: string | null;
}

function splitFlags(flags: string): Flags {
  const m = flags.match(/^(?:-(\w), )?--([\w-]+)(?: <([^>]+)>)?$/);
  if (!m) throw new Error(`run option table: bad flags ${JSON.stringify(flags)}`);
  return { short: m[1] ?? null, long: m[2], arg: m[3] ?? null };
}

function describe(spec: RunOptionSpec): string {
  const extra = [
    spec.choices ? `choices: ${spec.choices.map((c) => JSON.stringify(c)).join(", ")}` : null,
    spec.default !== undefined ? `default: ${JSON.stringify(spec.default)}` : null,
  ].filter((x) => x !== null);
  return extra.length ? `${spec.description} (${extra.join(", ")})` : spec.description;
}

/** Breaks `text` into lines of at most `width` characters (at spaces). */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  return [...lines, line];
}

/** The text of `vrrp run --help`, laid out like commander's (80 columns). */
export function runHelp(table: readonly RunOptionSpec[] = RUN_OPTIONS): string {
  const rows = [...table.map((s) => [s.flags, describe(s)]), ["-h, --help", "display help"]];
  const width = Math.max(...rows.map((r) => r[0].length)) + 2;
  const body = rows.flatMap(([f, d]) =>
    wrap(d, Math.max(20, 78 - width)).map((l, i) => `  ${(i === 0 ? f : "").padEnd(width)}${l}`)
  );
  return [
    "Usage: vrrp run [options]",
    "",
    "run the daemon in the foreground",
    "",
    "Options:",
    ...body,
    "",
  ].join("\n");
}

/**
 * Parses the arguments after `run` (`--opt VALUE`, `--opt=VALUE`, `-f VALUE`, `-fVALUE`, `--`
 * ends the options); defaults fill absent options.
 */
export function parseRunArgs(
  args: readonly string[],
  table: readonly RunOptionSpec[] = RUN_OPTIONS,
): RunArgs {
  const specs = table.map((spec) => ({ spec, ...splitFlags(spec.flags) }));
  const values: Record<string, unknown> = {};
  const usage = (message: string): RunArgs => ({ kind: "usage", message: `error: ${message}` });
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === "--") {
      i++;
      break;
    }
    if (a === "-h" || a === "--help") return { kind: "help", text: runHelp(table) };
    if (!a.startsWith("-") || a === "-") break;
    let name: string;
    let inline: string | null = null;
    let found;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      if (eq >= 0) inline = a.slice(eq + 1);
      found = specs.find((s) => s.long === name);
    } else {
      name = a[1];
      if (a.length > 2) inline = a.slice(2);
      found = specs.find((s) => s.short === name);
    }
    if (!found) return usage(`unknown option '${inline !== null ? a.split("=")[0] : a}'`);
    const { spec, arg } = found;
    let value: unknown = true;
    if (arg !== null) {
      let text = inline;
      if (text === null) {
        if (i + 1 >= args.length) return usage(`option '${spec.flags}' argument missing`);
        text = args[++i];
      }
      if (spec.choices && !spec.choices.includes(text)) {
        return usage(
          `option '${spec.flags}' argument '${text}' is invalid. ` +
            `Allowed choices are ${spec.choices.join(", ")}.`,
        );
      }
      try {
        value = spec.parse ? spec.parse(text) : text;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return usage(`option '${spec.flags}' argument '${text}' is invalid. ${why}`);
      }
    } else if (inline !== null) {
      return usage(`option '${spec.flags}' takes no argument`);
    }
    values[spec.key] = value;
  }
  if (i < args.length) {
    return usage(`too many arguments for 'run'. Expected 0 arguments but got ${args.length - i}.`);
  }
  for (const { spec } of specs) {
    if (!(spec.key in values) && spec.default !== undefined) {
      values[spec.key] = spec.parse ? spec.parse(spec.default) : spec.default;
    }
  }
  return { kind: "run", options: values as RunOptions };
}
