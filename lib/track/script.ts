/**
 * `vrrp_script`: runs a check every `intervalSec` (never two runs at once), a run that overruns
 * `timeoutSec` is killed and counts as a failure, and `rise`/`fall` hysteresis decides when the
 * script's state flips. Only flips are reported.
 */
import type { VrrpScriptConfig } from "../../config/model.ts";
import { shellQuote, splitCommand } from "./command.ts";
import { execScript } from "./exec.ts";
import { type HysteresisState, stepHysteresis } from "./priority.ts";

/** Options of a `ScriptTracker`. */
export interface ScriptTrackerOptions {
  log?: (level: "debug" | "info" | "warn" | "error", msg: string) => void;
  /** start in the failed state (keepalived's `init_fail`); default: start OK */
  initFail?: boolean;
  /** `script_user USER [GROUP]` from global_defs, used when the script has no `user` of its own */
  defaultUser?: string;
  defaultGroup?: string;
}

/** Runs one `vrrp_script` periodically. */
export class ScriptTracker {
  readonly name: string;
  readonly #cfg: VrrpScriptConfig;
  readonly #onChange: (name: string, ok: boolean) => void;
  readonly #log: NonNullable<ScriptTrackerOptions["log"]>;
  readonly #user: string | undefined;
  readonly #group: string | undefined;
  #state: HysteresisState;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | null = null;
  #stopped = true;
  #runs = 0;
  #failures = 0;
  #timeouts = 0;

  constructor(
    cfg: VrrpScriptConfig,
    onChange: (name: string, ok: boolean) => void,
    opts: ScriptTrackerOptions = {},
  ) {
    this.name = cfg.name;
    this.#cfg = cfg;
    this.#onChange = onChange;
    this.#log = opts.log ?? (() => {});
    this.#user = cfg.user ?? opts.defaultUser;
    // the script's own user comes with its own group (or that user's primary group)
    this.#group = cfg.user !== undefined ? cfg.group : opts.defaultGroup;
    this.#state = { ok: !opts.initFail, streak: 0 };
  }

  /** The script's current state after hysteresis. */
  get ok(): boolean {
    return this.#state.ok;
  }

  /** How many runs finished so far. */
  get runs(): number {
    return this.#runs;
  }

  /** Runs that failed (non-zero exit, could not start, killed), and of those, timed out. */
  get failures(): number {
    return this.#failures;
  }

  get timeouts(): number {
    return this.#timeouts;
  }

  /** A run is in progress. */
  get running(): boolean {
    return this.#running !== null;
  }

  /** Runs the script now and then every `intervalSec`. */
  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#schedule(0);
  }

  /** Stops scheduling and waits for a run in progress. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }

  #schedule(delayMs: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      const started = Date.now();
      this.#running = this.#runOnce().finally(() => {
        this.#running = null;
        const elapsed = Date.now() - started;
        this.#schedule(Math.max(0, this.#cfg.intervalSec * 1000 - elapsed));
      });
    }, delayMs);
  }

  /** One run and its effect on the state. */
  async #runOnce(): Promise<void> {
    const split = splitCommand(this.#cfg.script);
    let resultOk: boolean;
    if (!split.ok) {
      this.#log("error", `[script ${this.name}] ${split.error}: ${this.#cfg.script}`);
      resultOk = false;
    } else {
      const r = await execScript(split.argv, {
        timeoutMs: this.#cfg.timeoutSec * 1000,
        user: this.#user,
        group: this.#group,
      });
      resultOk = r.ok;
      if (r.spawnError) {
        this.#log(
          "error",
          `[script ${this.name}] cannot run ${shellQuote(split.argv)}: ${r.spawnError}`,
        );
      } else if (r.timedOut) {
        this.#timeouts++;
        this.#log("warn", `[script ${this.name}] timed out after ${this.#cfg.timeoutSec} s`);
      }
    }
    this.#runs++;
    if (!resultOk) this.#failures++;
    if (this.#stopped) return;
    const before = this.#state.ok;
    this.#state = stepHysteresis(this.#state, resultOk, this.#cfg.rise, this.#cfg.fall);
    if (this.#state.ok !== before) {
      this.#log("info", `[script ${this.name}] ${before ? "ok -> failed" : "failed -> ok"}`);
      this.#onChange(this.name, this.#state.ok);
    }
  }
}
