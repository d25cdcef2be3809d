/**
 * Daemon-wide coalescing of VIP changes: requests from every instance are merged into one
 * `ip -batch - -force` run (plus one read-back `ip -j -4 addr show` per device before and after)
 * instead of three processes per instance. When 100 instances fail over at once this is a
 * handful of processes instead of hundreds.
 *
 * - Requests that arrive while a batch runs go into the next one; a batch starts on the next
 *   turn of the event loop, so requests made in the same turn share it.
 * - Order is kept: lines are written in request order, so one instance's add and later remove
 *   never reorder (the instance runtime also waits for each result before the next change).
 * - Each request gets its own result: a failing batch line is attributed to the request that
 *   wrote it, the read-back is checked per request. One try per request; retrying is the
 *   caller's (the instance runtime's) job, as with `VipManager({ retries: 1 })`.
 */

import type { VipConfig } from "../../config/model.ts";
import { type CommandRunner, denoCommandRunner } from "./command.ts";
import {
  batchErrors,
  type BatchLine,
  batchLines,
  type HostAddresses,
  isAlreadyAbsent,
  parseAddrShow,
  verifyAfter,
  vipDev,
  type VipFailure,
  wouldChange,
} from "./ip_batch.ts";

/** Outcome of add()/remove(): which VIPs changed (`ADDR/PREFIX dev DEV`), or why it failed. */
export type VipResult =
  | { ok: true; changed: string[] }
  | { ok: false; error: string; stderr: string; attempts: number };

interface Pending {
  op: "add" | "remove";
  vips: VipConfig[];
  dev: string;
  resolve: (r: VipResult) => void;
}

/**
 * How long a batch waits for more requests: a few microtask turns. Instances that change role in
 * one timer tick or one drained burst of packets ask within a turn or two of each other (their
 * VIP chains are one `.then` deep); a macrotask would cost ~2 ms here (setTimeout(0)) or load
 * Deno's Node layer (setImmediate from node:timers), both of which the daemon avoids.
 */
const BATCH_MICROTASK_TURNS = 8;

function afterPendingMicrotasks(fn: () => void): void {
  let turns = 0;
  const turn = () => ++turns < BATCH_MICROTASK_TURNS ? queueMicrotask(turn) : fn();
  queueMicrotask(turn);
}

/** Coalesces add/remove requests into shared `ip -batch` runs; see the module comment. */
export class VipBatcher {
  readonly #run: CommandRunner;
  readonly #log: (message: string) => void;
  readonly #defer: (fn: () => void) => void;
  readonly #read: (devs: Set<string>) => Promise<HostAddresses>;
  #queue: Pending[] = [];
  #running = false;
  #scheduled = false;
  /** how many `ip -batch` runs were made (for tests and status) */
  batches = 0;

  /**
   * `run` defaults to Deno.Command; `log` receives each failed request with ip's stderr;
   * `defer` schedules the start of a batch (default: a few microtask turns); `read` reads the
   * host's addresses before and after (default: `ip -j addr show` through `run`).
   */
  constructor(
    opts: {
      run?: CommandRunner;
      log?: (message: string) => void;
      defer?: (fn: () => void) => void;
      read?: (devs: Set<string>) => Promise<HostAddresses>;
    } = {},
  ) {
    this.#run = opts.run ?? denoCommandRunner;
    this.#read = opts.read ?? ((devs) => hostAddresses(this.#run, devs));
    this.#log = opts.log ?? ((m) => console.warn(m));
    this.#defer = opts.defer ?? afterPendingMicrotasks;
  }

  /** Puts every VIP on its interface, in the next shared batch. */
  add(vips: VipConfig[], defaultDev: string): Promise<VipResult> {
    return this.#enqueue("add", vips, defaultDev);
  }

  /** Takes every VIP off its interface (already absent is fine), in the next shared batch. */
  remove(vips: VipConfig[], defaultDev: string): Promise<VipResult> {
    return this.#enqueue("remove", vips, defaultDev);
  }

  #enqueue(op: "add" | "remove", vips: VipConfig[], dev: string): Promise<VipResult> {
    if (vips.length === 0) return Promise.resolve({ ok: true, changed: [] });
    return new Promise((resolve) => {
      this.#queue.push({ op, vips, dev, resolve });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#running || this.#scheduled || this.#queue.length === 0) return;
    this.#scheduled = true;
    this.#defer(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const batch = this.#queue;
    this.#queue = [];
    let results: VipResult[];
    try {
      results = await this.#runBatch(batch);
    } catch (err) {
      const error = `VIP batch failed: ${err instanceof Error ? err.message : String(err)}`;
      results = batch.map(() => ({ ok: false, error, stderr: "", attempts: 1 }));
    }
    this.#running = false;
    batch.forEach((p, i) => p.resolve(results[i]));
    this.#kick();
  }

  async #runBatch(batch: Pending[]): Promise<VipResult[]> {
    const devs = new Set(batch.flatMap((p) => p.vips.map((v) => vipDev(v, p.dev))));
    const before = await this.#read(devs);
    const lines: BatchLine[] = [];
    /** the request each batch line belongs to */
    const owner: number[] = [];
    batch.forEach((p, i) => {
      for (const l of batchLines(p.op, p.vips, p.dev, before)) {
        lines.push(l);
        owner.push(i);
      }
    });
    const failures: (VipFailure | null)[] = batch.map(() => null);
    this.batches++;
    const out = await this.#run(
      ["ip", "-batch", "-", "-force"],
      lines.map((l) => l.text).join("\n") + "\n",
    );
    const errors = batchErrors(out.stderr);
    for (const [n, text] of errors) {
      const line = lines[n - 1];
      if (line === undefined) {
        // a line number ip made up: nobody to attribute it to, so everyone fails
        for (let i = 0; i < batch.length; i++) {
          failures[i] ??= { error: `ip line ${n}: ${text}`, stderr: out.stderr };
        }
        continue;
      }
      if (line.del && isAlreadyAbsent(text)) continue;
      // only this line's error: the batch's stderr also holds other instances' lines
      failures[owner[n - 1]] ??= { error: `ip ${line.text}: ${text}`, stderr: text };
    }
    if (out.code !== 0 && errors.size === 0) {
      for (let i = 0; i < batch.length; i++) {
        failures[i] ??= { error: `ip -batch exited with ${out.code}`, stderr: out.stderr };
      }
    }
    const after = await this.#read(devs);
    return batch.map((p, i) => {
      const failure = failures[i] ?? verifyAfter(p.op, p.vips, p.dev, after, "");
      if (failure === null) return { ok: true, changed: wouldChange(p.op, p.vips, p.dev, before) };
      this.#log(
        `vip ${p.op} failed: ${failure.error}` +
          (failure.stderr ? `; ip said: ${failure.stderr.trim()}` : ""),
      );
      return { ok: false, error: failure.error, stderr: failure.stderr, attempts: 1 };
    });
  }
}

/** IPv4 and IPv6 addresses of each of `devs` (one `ip -j addr show dev D` each, in parallel). */
export async function hostAddresses(
  run: CommandRunner,
  devs: Iterable<string>,
): Promise<HostAddresses> {
  const result: HostAddresses = new Map();
  await Promise.all([...devs].map(async (dev) => {
    const out = await run(["ip", "-j", "addr", "show", "dev", dev]);
    result.set(
      dev,
      out.code === 0 ? { addrs: parseAddrShow(out.stdout) } : { addrs: [], stderr: out.stderr },
    );
  }));
  return result;
}
