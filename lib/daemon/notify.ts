/**
 * Notify scripts with keepalived's semantics: on a state change, run the state's own script
 * (`notify_master` etc., exactly as configured, no extra arguments), then the generic `notify`
 * with `INSTANCE|GROUP NAME STATE PRIORITY`. Per instance they run strictly one at a time and in
 * the order of the changes; different instances do not wait for each other.
 */
import type { NotifyConfig } from "../../config/model.ts";
import { shellQuote, splitCommand } from "../track/command.ts";
import { execScript } from "../track/exec.ts";

/** Which state was entered. */
export type NotifyKind = "master" | "backup" | "fault" | "stop";

/** Log callback: the daemon's logger. */
export type NotifyLog = (level: "debug" | "info" | "warn" | "error", msg: string) => void;

/** Options of a `NotifyRunner`. */
export interface NotifyRunnerOptions {
  log: NotifyLog;
  /** per script; it is killed (its whole process group) when it overruns */
  timeoutMs: number;
  /** `script_user`: run scripts as this user when we are root */
  user?: string;
  group?: string;
}

/** The argv lists one state change runs, in order (pure; exported for tests and `vrrp check`). */
export function notifyCommands(
  name: string,
  kind: NotifyKind,
  cfg: NotifyConfig,
  priority: number,
  isGroup = false,
): { argv: string[]; label: string }[] | { error: string } {
  const out: { argv: string[]; label: string }[] = [];
  const specific = cfg[kind];
  if (specific !== undefined) {
    const split = splitCommand(specific);
    if (!split.ok) return { error: `notify_${kind} ${JSON.stringify(specific)}: ${split.error}` };
    out.push({ argv: split.argv, label: `notify_${kind}` });
  }
  if (cfg.notify !== undefined) {
    const split = splitCommand(cfg.notify);
    if (!split.ok) return { error: `notify ${JSON.stringify(cfg.notify)}: ${split.error}` };
    out.push({
      argv: [
        ...split.argv,
        isGroup ? "GROUP" : "INSTANCE",
        name,
        kind.toUpperCase(),
        String(priority),
      ],
      label: "notify",
    });
  }
  return out;
}

/** Runs notify scripts through one queue per instance (and per sync group). */
export class NotifyRunner {
  readonly #opts: NotifyRunnerOptions;
  readonly #queues = new Map<string, Promise<void>>();
  #closed = false;

  constructor(opts: NotifyRunnerOptions) {
    this.#opts = opts;
  }

  /** Queues the scripts for `instance` entering `kind`; returns at once. */
  enqueue(
    instance: string,
    kind: NotifyKind,
    cfg: NotifyConfig,
    priority: number,
    isGroup = false,
  ): void {
    const who = `${isGroup ? "group" : "instance"} ${instance}`;
    if (this.#closed) {
      this.#opts.log("warn", `[${who}] notify ${kind} dropped: notify runner closed`);
      return;
    }
    const cmds = notifyCommands(instance, kind, cfg, priority, isGroup);
    if ("error" in cmds) {
      this.#opts.log("error", `[${who}] ${cmds.error}`);
      return;
    }
    if (cmds.length === 0) return;
    const key = queueKey(instance, isGroup);
    const prev = this.#queues.get(key) ?? Promise.resolve();
    const next = prev.then(async () => {
      for (const c of cmds) await this.#run(who, c.label, c.argv);
    });
    this.#queues.set(key, next);
    // forget the chain once it is drained, unless more was queued behind it
    void next.then(() => {
      if (this.#queues.get(key) === next) this.#queues.delete(key);
    });
  }

  /** Resolves when everything queued so far (for `instance`, or for all) has run. */
  async idle(instance?: string, isGroup = false): Promise<void> {
    if (instance !== undefined) {
      await this.#queues.get(queueKey(instance, isGroup));
      return;
    }
    while (this.#queues.size > 0) await Promise.all([...this.#queues.values()]);
  }

  /** Accepts nothing more and waits for the queued scripts (each bounded by the timeout). */
  async close(): Promise<void> {
    this.#closed = true;
    await this.idle();
  }

  async #run(who: string, label: string, argv: string[]): Promise<void> {
    const { log, timeoutMs, user, group } = this.#opts;
    const cmd = shellQuote(argv);
    log("info", `[${who}] running ${label}: ${cmd}`);
    const r = await execScript(argv, { timeoutMs, user, group });
    for (const l of r.stdout) log("info", `[${who}] ${label}: ${l}`);
    for (const l of r.stderr) log("warn", `[${who}] ${label} stderr: ${l}`);
    if (r.spawnError) log("error", `[${who}] ${label}: cannot run ${cmd}: ${r.spawnError}`);
    else if (r.timedOut) log("error", `[${who}] ${label}: killed after ${timeoutMs} ms: ${cmd}`);
    else if (!r.ok) log("warn", `[${who}] ${label}: exit code ${r.code ?? "signal"}: ${cmd}`);
  }
}

function queueKey(name: string, isGroup: boolean): string {
  return `${isGroup ? "group" : "instance"}:${name}`;
}
