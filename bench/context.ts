/** What every scenario gets: the lab, a scratch directory, the options, and small helpers. */
import type { Lab } from "../tests/netns/lab.ts";
import { type ImplName, type RunningDaemon, startDaemon } from "./daemons.ts";

/** Command-line options of the bench. */
export interface BenchOptions {
  runs: number;
  only: string[] | null;
  impls: ImplName[];
  quick: boolean;
  /** idle and scale measurement window */
  windowMs: number;
  /** the 20 ms soak's window and its busy loops */
  soakMs: number;
  loops: number;
  outDir: string;
  /** keep the scratch directory (captures, daemon logs, configs) */
  keep: boolean;
  /** only rebuild the table and latest.md from latest.json */
  render: boolean;
}

/** Shared state of one bench run. */
export interface BenchContext {
  lab: Lab;
  /** scratch directory, removed at the end */
  work: string;
  opts: BenchOptions;
  /** eth0 MAC of each router */
  macs: Record<string, string>;
  /** progress line on stderr */
  log: (msg: string) => void;
}

/** Resolves after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

let seq = 0;

/** A fresh directory under the scratch dir for one daemon run. */
export function runDir(ctx: BenchContext, label: string): string {
  const dir = `${ctx.work}/${String(++seq).padStart(3, "0")}-${label}`;
  Deno.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Starts `impl` in `node` with `conf` and a fresh run directory (`extra`: vrrp run's options). */
export function start(
  ctx: BenchContext,
  impl: ImplName,
  node: string,
  conf: string,
  label: string,
  extra: string[] = [],
): RunningDaemon {
  return startDaemon(impl, ctx.lab, node, conf, runDir(ctx, `${impl}-${node}-${label}`), extra);
}

/**
 * Brings routers back to a clean slate between runs: link up, and every secondary address
 * (VIPs a killed daemon may have left) removed from eth0.
 */
export async function resetRouters(ctx: BenchContext): Promise<void> {
  for (const node of ctx.lab.routers) {
    await ctx.lab.linkUp(node);
    await ctx.lab.exec(node, ["ip", "addr", "flush", "dev", "eth0", "secondary"]);
    // IPv6 VIPs (the link-local address stays)
    await ctx.lab.exec(node, ["ip", "-6", "addr", "flush", "dev", "eth0", "scope", "global"]);
  }
}

/** Polls `cond` every `everyMs` until it holds or `timeoutMs` passes; resolves whether it held. */
export async function pollUntil(
  cond: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return true;
    await sleep(everyMs);
  }
  return false;
}

/** True when `node` holds every address of `want` and none of `not`. */
export async function holds(
  ctx: BenchContext,
  node: string,
  want: string[],
  not: string[] = [],
): Promise<boolean> {
  const have = new Set(await ctx.lab.addresses(node));
  return want.every((a) => have.has(a)) && not.every((a) => !have.has(a));
}

/** Stops daemons, ignoring the ones already gone. */
export async function stopAll(daemons: (RunningDaemon | null | undefined)[]): Promise<void> {
  await Promise.all(daemons.map((d) => d?.stop().catch(() => {})));
}

/** The last lines of a daemon's log, for an error message. */
export function tail(d: RunningDaemon, n = 15): string {
  return d.lines().slice(-n).map((l) => `  ${d.impl}@${d.node}: ${l.text}`).join("\n");
}
