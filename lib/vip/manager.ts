/**
 * Adding and removing one instance's virtual addresses with iproute2: one `ip -batch - -force`
 * per operation, idempotent (already present / already absent is success), read back with
 * `ip -j -4 addr show` to verify, retried with bounded backoff, and never touching an address
 * that is not in the list given.
 */

import type { VipConfig } from "../../config/model.ts";
import { type CommandRunner, denoCommandRunner } from "./command.ts";
import {
  batchErrors,
  batchLines,
  type HostAddresses,
  isAlreadyAbsent,
  parseAddrShow,
  verifyAfter,
  vipDev,
  vipMatches,
  wouldChange,
} from "./ip_batch.ts";

export type { CommandRunner } from "./command.ts";

/** Outcome of add()/remove(): which VIPs changed (`ADDR/PREFIX dev DEV`), or why it failed. */
export type VipResult =
  | { ok: true; changed: string[] }
  | { ok: false; error: string; stderr: string; attempts: number };

/** Longest pause between two tries. */
const MAX_RETRY_DELAY_MS = 2000;

/** Manages VIPs through `ip`; see the module comment. */
export class VipManager {
  readonly #run: CommandRunner;
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
    let changed: string[] | null = null;
    let last = { error: "", stderr: "" };
    for (let attempt = 1; attempt <= this.#retries; attempt++) {
      const host = await this.#hostAddresses(vips, defaultDev);
      changed ??= wouldChange(op, vips, defaultDev, host);
      const failure = await this.#tryOnce(op, vips, defaultDev, host);
      if (failure === null) return { ok: true, changed };
      last = failure;
      this.#log(
        `vip ${op} failed (try ${attempt}/${this.#retries}): ${failure.error}` +
          (failure.stderr ? `; ip said: ${failure.stderr.trim()}` : ""),
      );
      if (attempt < this.#retries) {
        const delay = Math.min(MAX_RETRY_DELAY_MS, this.#retryDelayMs * 2 ** (attempt - 1));
        await new Promise((r) => setTimeout(r, delay));
      }
    }
    return { ok: false, error: last.error, stderr: last.stderr, attempts: this.#retries };
  }

  /** One `ip -batch` run plus read-back; null on success, else what went wrong. */
  async #tryOnce(
    op: "add" | "remove",
    vips: VipConfig[],
    defaultDev: string,
    before: HostAddresses,
  ): Promise<{ error: string; stderr: string } | null> {
    const lines = batchLines(op, vips, defaultDev, before);
    const out = await this.#run(
      ["ip", "-batch", "-", "-force"],
      lines.map((l) => l.text).join("\n") + "\n",
    );
    const errors = batchErrors(out.stderr);
    for (const [n, text] of errors) {
      const line = lines[n - 1];
      if (line?.del && isAlreadyAbsent(text)) continue;
      const what = line ? line.text : `line ${n}`;
      return { error: `ip ${what}: ${text}`, stderr: out.stderr };
    }
    if (out.code !== 0 && errors.size === 0) {
      return { error: `ip -batch exited with ${out.code}`, stderr: out.stderr };
    }
    return verifyAfter(
      op,
      vips,
      defaultDev,
      await this.#hostAddresses(vips, defaultDev),
      out.stderr,
    );
  }

  /** IPv4 addresses per interface the VIPs use; a missing interface has none (and its stderr). */
  #hostAddresses(vips: VipConfig[], defaultDev: string): Promise<HostAddresses> {
    return hostAddresses(this.#run, new Set(vips.map((v) => vipDev(v, defaultDev))));
  }
}

/** IPv4 addresses of each of `devs` (one `ip -j -4 addr show dev D` each, in parallel). */
export async function hostAddresses(
  run: CommandRunner,
  devs: Iterable<string>,
): Promise<HostAddresses> {
  const result: HostAddresses = new Map();
  await Promise.all([...devs].map(async (dev) => {
    const out = await run(["ip", "-j", "-4", "addr", "show", "dev", dev]);
    result.set(
      dev,
      out.code === 0 ? { addrs: parseAddrShow(out.stdout) } : { addrs: [], stderr: out.stderr },
    );
  }));
  return result;
}
