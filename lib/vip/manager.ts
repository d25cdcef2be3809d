/**
 * Adding and removing one instance's virtual addresses with iproute2: one `ip -batch - -force`
 * per operation, idempotent (already present / already absent is success), read back with
 * `ip -j -4 addr show` to verify, retried with bounded backoff, and never touching an address
 * that is not in the list given.
 */

import type { VipConfig } from "../../config/model.ts";
import { type CommandRunner, denoCommandRunner } from "./command.ts";
import {
  addLine,
  batchErrors,
  delLine,
  type HostAddress,
  isAlreadyAbsent,
  parseAddrShow,
  vipCidr,
  vipDev,
  vipMatches,
} from "./ip_batch.ts";

export type { CommandRunner } from "./command.ts";

/** Outcome of add()/remove(): which VIPs changed (`ADDR/PREFIX dev DEV`), or why it failed. */
export type VipResult =
  | { ok: true; changed: string[] }
  | { ok: false; error: string; stderr: string; attempts: number };

/** Longest pause between two tries. */
const MAX_RETRY_DELAY_MS = 2000;

function describe(vip: VipConfig, defaultDev: string): string {
  return `${vipCidr(vip)} dev ${vipDev(vip, defaultDev)}`;
}

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
      changed ??= vips
        .filter((v) => {
          const there = vipMatches(v, host.get(vipDev(v, defaultDev))?.addrs ?? [], op === "add");
          return op === "add" ? !there : there;
        })
        .map((v) => describe(v, defaultDev));
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

  /**
   * One `ip -batch` run plus read-back; null on success, else what went wrong. `addr replace`
   * keeps an existing address's label, so a VIP present with other attributes is deleted first.
   */
  async #tryOnce(
    op: "add" | "remove",
    vips: VipConfig[],
    defaultDev: string,
    before: Map<string, { addrs: HostAddress[]; stderr?: string }>,
  ): Promise<{ error: string; stderr: string } | null> {
    const lines: { text: string; vip: VipConfig; del: boolean }[] = [];
    for (const vip of vips) {
      const addrs = before.get(vipDev(vip, defaultDev))?.addrs ?? [];
      if (op === "remove" || (vipMatches(vip, addrs) && !vipMatches(vip, addrs, true))) {
        lines.push({ text: delLine(vip, defaultDev), vip, del: true });
      }
      if (op === "add") lines.push({ text: addLine(vip, defaultDev), vip, del: false });
    }
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
    // read back: every VIP must now be there (exactly as configured) or gone
    const after = await this.#hostAddresses(vips, defaultDev);
    for (const vip of vips) {
      const host = after.get(vipDev(vip, defaultDev));
      if (host?.stderr && op === "add") {
        return { error: `cannot read back ${describe(vip, defaultDev)}`, stderr: host.stderr };
      }
      if (op === "add" && !vipMatches(vip, host?.addrs ?? [], true)) {
        return { error: `${describe(vip, defaultDev)} missing after add`, stderr: out.stderr };
      }
      if (op === "remove" && vipMatches(vip, host?.addrs ?? [])) {
        return {
          error: `${describe(vip, defaultDev)} still present after remove`,
          stderr: out.stderr,
        };
      }
    }
    return null;
  }

  /** IPv4 addresses per interface the VIPs use; a missing interface has none (and its stderr). */
  async #hostAddresses(
    vips: VipConfig[],
    defaultDev: string,
  ): Promise<Map<string, { addrs: HostAddress[]; stderr?: string }>> {
    const devs = [...new Set(vips.map((v) => vipDev(v, defaultDev)))];
    const result = new Map<string, { addrs: HostAddress[]; stderr?: string }>();
    await Promise.all(devs.map(async (dev) => {
      const out = await this.#run(["ip", "-j", "-4", "addr", "show", "dev", dev]);
      result.set(
        dev,
        out.code === 0 ? { addrs: parseAddrShow(out.stdout) } : { addrs: [], stderr: out.stderr },
      );
    }));
    return result;
  }
}
