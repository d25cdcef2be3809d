/**
 * Adding and removing one instance's virtual addresses with retries: each try is a VipBatcher
 * batch (one `ip -batch - -force`, idempotent, read back to verify), retried with bounded
 * backoff, never touching an address that is not in the list given; and whether VIPs are there.
 */

import type { VipConfig } from "../../config/model.ts";
import { type CommandRunner, denoCommandRunner } from "./command.ts";
import { type HostAddresses, vipDev, vipMatches } from "./ip_batch.ts";
import { hostAddresses, VipBatcher, type VipResult } from "./batcher.ts";

export type { CommandRunner } from "./command.ts";
export type { VipResult } from "./batcher.ts";

/** Longest pause between two tries. */
const MAX_RETRY_DELAY_MS = 2000;

/** Manages VIPs through `ip`; see the module comment. */
export class VipManager {
  readonly #run: CommandRunner;
  readonly #batcher: VipBatcher;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #log: (message: string) => void;

  /**
   * `run` defaults to Deno.Command; `retries` is the number of tries (default 3);
   * `retryDelayMs` the first pause (default 200, doubled each time, at most 2 s);
   * `log` receives each failed try with ip's stderr (default console.warn).
   */
  constructor(
    opts: {
      run?: CommandRunner;
      retries?: number;
      retryDelayMs?: number;
      log?: (message: string) => void;
    } = {},
  ) {
    this.#run = opts.run ?? denoCommandRunner;
    this.#retries = Math.max(1, opts.retries ?? 3);
    this.#retryDelayMs = opts.retryDelayMs ?? 200;
    this.#log = opts.log ?? ((m) => console.warn(m));
    // each try is one batch of its own; the failures are logged here, with the try count
    this.#batcher = new VipBatcher({ run: this.#run, log: () => {} });
  }

  /** Which of `vips` are on the host now (address and prefix on their interface). */
  async present(vips: VipConfig[], defaultDev: string): Promise<boolean[]> {
    const byDev = await this.#hostAddresses(vips, defaultDev);
    return vips.map((v) => vipMatches(v, byDev.get(vipDev(v, defaultDev))?.addrs ?? []));
  }

  /** Puts every VIP on its interface (dev, brd, scope, label as configured). */
  add(vips: VipConfig[], defaultDev: string): Promise<VipResult> {
    return this.#apply("add", vips, defaultDev);
  }

  /** Takes every VIP off its interface; ones already absent are fine. */
  remove(vips: VipConfig[], defaultDev: string): Promise<VipResult> {
    return this.#apply("remove", vips, defaultDev);
  }

  /** At start: removes configured VIPs a previous (crashed) run left on the host. */
  reconcile(vips: VipConfig[], defaultDev: string): Promise<VipResult> {
    return this.remove(vips, defaultDev);
  }

  async #apply(op: "add" | "remove", vips: VipConfig[], defaultDev: string): Promise<VipResult> {
    if (vips.length === 0) return { ok: true, changed: [] };
    let last = { error: "", stderr: "" };
    for (let attempt = 1; attempt <= this.#retries; attempt++) {
      const r = await this.#batcher[op](vips, defaultDev);
      if (r.ok) return r;
      last = r;
      this.#log(
        `vip ${op} failed (try ${attempt}/${this.#retries}): ${r.error}` +
          (r.stderr ? `; ip said: ${r.stderr.trim()}` : ""),
      );
      if (attempt < this.#retries) {
        const delay = Math.min(MAX_RETRY_DELAY_MS, this.#retryDelayMs * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    return { ok: false, error: last.error, stderr: last.stderr, attempts: this.#retries };
  }

  /** IPv4 addresses per interface the VIPs use; a missing interface has none (and its stderr). */
  #hostAddresses(vips: VipConfig[], defaultDev: string): Promise<HostAddresses> {
    return hostAddresses(this.#run, new Set(vips.map((v) => vipDev(v, defaultDev))));
  }
}
