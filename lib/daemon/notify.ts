/**
 * Notify scripts with keepalived's semantics: on a state change, run the state's own script
 * (`notify_master` etc., exactly as configured, no extra arguments), then the generic `notify`
 * with `INSTANCE|GROUP NAME STATE PRIORITY`. Per instance they run strictly one at a time and in
 * the order of the changes; different instances do not wait for each other.
 */
import type { NotifyConfig, NotifyScript } from "../../config/model.ts";
import type { NotifyStatus } from "../control/types.ts";
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
  /** `script_user`: run scripts without a user of their own as this user when we are root */
  user?: string;
  group?: string;
}

/** One script a state change runs: its argv, and whom it runs as when it names a user. */
export interface NotifyCommand {
  argv: string[];
  label: string;
  user?: string;
  group?: string;
}

function command(n: NotifyScript, label: string, extra: string[] = []): NotifyCommand | string {
  const split = splitCommand(n.command);
  if (!split.ok) return `${label} ${JSON.stringify(n.command)}: ${split.error}`;
  const c: NotifyCommand = { argv: [...split.argv, ...extra], label };
  if (n.user !== undefined) c.user = n.user;
  if (n.group !== undefined) c.group = n.group;
  return c;
}

/**
 * The scripts one state change runs, in order (pure; exported for tests and `vrrp check`). The
 * words after a notify script in keepalived.conf are its user and group, never arguments.
 */
export function notifyCommands(
  name: string,
  kind: NotifyKind,
  cfg: NotifyConfig,
  priority: number,
  isGroup = false,
): NotifyCommand[] | { error: string } {
  const out: NotifyCommand[] = [];
  const specific = cfg[kind];
  if (specific !== undefined) {
    const c = command(specific, `notify_${kind}`);
    if (typeof c === "string") return { error: c };
    out.push(c);
  }
  if (cfg.notify !== undefined) {
    const args = [isGroup ? "GROUP" : "INSTANCE", name, kind.toUpperCase(), String(priority)];
    const c = command(cfg.notify, "notify", args);
    if (typeof c === "string") return { error: c };
    out.push(c);
  }
  return out;
}

/** Runs notify scripts through one queue per instance (and per sync group). */
export class NotifyRunner {
  readonly #opts: NotifyRunnerOptions;
  readonly #queues = new Map<string, Promise<void>>();
  /** runs per notification label (`notify_master`, `notify`, ...) */
  readonly #stats = new Map<string, NotifyStatus>();
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
      for (const c of cmds) await this.#run(who, c);
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

  /** Runs, failures and timeouts of the notify scripts so far, per kind (label). */
  stats(): NotifyStatus[] {
    return [...this.#stats.values()].map((s) => ({ ...s }));
  }

  async #run(who: string, c: NotifyCommand): Promise<void> {
    const { log, timeoutMs } = this.#opts;
    const { argv, label } = c;
    // a script's own user comes with its own group (or that user's primary group)
    const user = c.user ?? this.#opts.user;
    const group = c.user !== undefined ? c.group : this.#opts.group;
    const cmd = shellQuote(argv);
    log("info", `[${who}] running ${label}${user !== undefined ? ` as ${user}` : ""}: ${cmd}`);
    const r = await execScript(argv, { timeoutMs, user, group });
    let st = this.#stats.get(label);
    if (!st) this.#stats.set(label, st = { kind: label, runs: 0, failures: 0, timeouts: 0 });
    st.runs++;
    if (!r.ok) st.failures++;
    if (r.timedOut) st.timeouts++;
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
