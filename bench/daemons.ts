/**
 * The two implementations under test, started the same way inside a lab node: vrrp (`vrrp run`,
 * JSON logs) and keepalived 2.2.7 (`--dont-fork --log-console --log-detail --vrrp`). Every log
 * line is stamped on arrival, because keepalived's console timestamps have whole seconds only.
 */
import { DAEMON_DENO_FLAGS } from "../lib/daemon/v8_flags.ts";
import type { Lab } from "../tests/netns/lab.ts";

/** Which implementation. */
export type ImplName = "vrrp" | "keepalived";

/** The implementations, in the order the bench alternates them. */
export const IMPLS: readonly ImplName[] = ["keepalived", "vrrp"];

/** A log line and the wall-clock time (ms) the bench read it. */
export interface StampedLine {
  arrivedMs: number;
  text: string;
}

/** A daemon the bench started. */
export interface RunningDaemon {
  readonly impl: ImplName;
  readonly node: string;
  /** pid of the program itself (`ip netns exec` execs it) */
  readonly pid: number;
  /** resolves with the exit code */
  readonly exited: Promise<number>;
  lines(): StampedLine[];
  /** when the daemon decided `instance` becomes master, at or after `afterMs`; null if not logged */
  masterAt(instance: string, afterMs: number): number | null;
  /** sends a signal if still running */
  signal(sig: Deno.Signal): void;
  /** SIGTERM, SIGKILL after `graceMs`; also reaps a keepalived VRRP child left behind */
  stop(graceMs?: number): Promise<void>;
}

function argvFor(
  impl: ImplName,
  lab: Lab,
  conf: string,
  dir: string,
  extra: string[] = [],
): string[] {
  if (impl === "keepalived") {
    return [
      "keepalived",
      "--dont-fork",
      "--log-console",
      "--log-detail",
      "--vrrp",
      "--use-file",
      conf,
      "--pid",
      `${dir}/k.pid`,
      "--vrrp_pid",
      `${dir}/kv.pid`,
    ];
  }
  return [
    ...lab.denoCmd().toSpliced(2, 0, ...DAEMON_DENO_FLAGS),
    "run",
    "-f",
    conf,
    "--socket",
    `${dir}/vrrp.sock`,
    "--state-dir",
    `${dir}/state`,
    "--log-format",
    "json",
    ...extra,
  ];
}

/** Time of a vrrp JSON log line saying `instance` went to master, or null. */
function vrrpMasterTime(line: StampedLine, instance: string): number | null {
  if (!line.text.startsWith("{")) return null;
  try {
    const j = JSON.parse(line.text) as { ts?: string; instance?: string | null; msg?: string };
    if (!j.instance?.startsWith(`${instance} `) || !/-> master\b/.test(j.msg ?? "")) return null;
    const t = Date.parse(j.ts ?? "");
    return Number.isNaN(t) ? line.arrivedMs : t;
  } catch {
    return null;
  }
}

function keepalivedMasterTime(line: StampedLine, instance: string): number | null {
  return line.text.includes(`(${instance}) Entering MASTER STATE`) ? line.arrivedMs : null;
}

/** Whether `pid` is still a keepalived process (guards against a recycled pid). */
function isKeepalived(pid: number): boolean {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).startsWith("keepalived");
  } catch {
    return false;
  }
}

/**
 * Starts `impl` in `node` with config `conf`; `dir` holds its pid files, socket and state;
 * `extra` arguments go to `vrrp run` (keepalived takes none).
 */
export function startDaemon(
  impl: ImplName,
  lab: Lab,
  node: string,
  conf: string,
  dir: string,
  extra: string[] = [],
): RunningDaemon {
  Deno.mkdirSync(`${dir}/state`, { recursive: true });
  const child = new Deno.Command("ip", {
    args: ["netns", "exec", lab.ns(node), ...argvFor(impl, lab, conf, dir, extra)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: StampedLine[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const dec = new TextDecoder();
    let partial = "";
    for await (const chunk of stream) {
      const arrivedMs = Date.now();
      const parts = (partial + dec.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop() ?? "";
      for (const text of parts) lines.push({ arrivedMs, text });
    }
    if (partial) lines.push({ arrivedMs: Date.now(), text: partial });
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]).catch(() => {});
  let done = false;
  const exited = child.status.then(async (s) => {
    done = true;
    await pumps;
    return s.code;
  });
  const signal = (sig: Deno.Signal) => {
    if (done) return;
    try {
      child.kill(sig);
    } catch {
      // exited meanwhile
    }
  };
  const masterTime = impl === "vrrp" ? vrrpMasterTime : keepalivedMasterTime;
  return {
    impl,
    node,
    pid: child.pid,
    exited,
    lines: () => lines,
    masterAt: (instance, afterMs) => {
      for (const l of lines) {
        const t = masterTime(l, instance);
        if (t !== null && t >= afterMs) return t;
      }
      return null;
    },
    signal,
    stop: async (graceMs = 5000) => {
      let vrrpChild: number | null = null;
      if (impl === "keepalived") {
        try {
          vrrpChild = Number(Deno.readTextFileSync(`${dir}/kv.pid`).trim()) || null;
        } catch {
          // not written yet
        }
      }
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // kept with the pcaps when the bench runs with --keep
      await Deno.writeTextFile(
        `${dir}/daemon.log`,
        lines.map((l) => `${new Date(l.arrivedMs).toISOString()} ${l.text}\n`).join(""),
      ).catch(() => {});
      // keepalived's VRRP child normally exits with its parent; never leave it behind
      if (vrrpChild !== null && isKeepalived(vrrpChild)) {
        try {
          Deno.kill(vrrpChild, "SIGKILL");
        } catch {
          // gone
        }
      }
    },
  };
}
