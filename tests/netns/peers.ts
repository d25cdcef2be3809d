/**
 * Helpers shared by the real-wire tests and the demo: start a vrrp daemon inside a lab router,
 * read where the tutorial's four VIPs are, and wait for a condition with a bound.
 */
import type { StatusReply } from "../../lib/control/types.ts";
import { DAEMON_DENO_FLAGS } from "../../lib/daemon/v8_flags.ts";
import { masterDownIntervalMs, skewTimeMs } from "../../lib/vrrp/timers.ts";
import { type ExecResult, type Lab, type LabProcess, REPO_ROOT } from "./lab.ts";

/** The tutorial's virtual addresses, by instance. */
export const VIPS = {
  "ha-internal-1": ["10.101.0.101", "10.101.0.102"],
  "ha-internal-2": ["10.101.0.107", "10.101.0.108"],
} as const;
/** All four, in order. */
export const ALL_VIPS = [...VIPS["ha-internal-1"], ...VIPS["ha-internal-2"]];

/** Master_Down_Interval of the tutorial's backups (priority 99): 3613 ms. */
export const MASTER_DOWN_99_MS = masterDownIntervalMs(2, 100, 99);
/** Skew_Time of the tutorial's backups (priority 99): 613 ms. */
export const SKEW_99_MS = skewTimeMs(2, 99, 100);

/** The bundled example config for router `a` (10.101.1.185) or `b` (10.101.1.186). */
export function exampleConfig(node: "a" | "b"): string {
  return `${REPO_ROOT}/examples/seed-10.101.1.${node === "a" ? 185 : 186}.conf`;
}

/** `lab.denoCmd()` with the daemon's runtime flags (the ones the built binary has baked in). */
export function daemonDenoCmd(lab: Lab): string[] {
  const [deno, run, ...rest] = lab.denoCmd();
  return [deno, run, ...DAEMON_DENO_FLAGS, ...rest];
}

/**
 * Starts `vrrp run` inside `node` with its own control socket and state dir under `tmp`
 * (the filesystem is shared between namespaces) and waits until its instances are running.
 */
export async function startVrrp(
  lab: Lab,
  node: string,
  config: string,
  tmp: string,
  extra: string[] = [],
): Promise<LabProcess> {
  const p = lab.spawn(node, [
    ...daemonDenoCmd(lab),
    "run",
    "-f",
    config,
    "--socket",
    `${tmp}/${node}.sock`,
    "--state-dir",
    `${tmp}/${node}-state`,
    ...extra,
  ]);
  try {
    await p.waitFor(/started with \d+ instance/, 15_000);
  } catch (err) {
    p.kill("SIGKILL");
    throw err;
  }
  return p;
}

/** Which of the four VIPs each router holds right now. */
export async function placement(lab: Lab, routers: string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  await Promise.all(routers.map(async (r) => {
    const addrs = await lab.addresses(r);
    out[r] = ALL_VIPS.filter((v) => addrs.includes(v));
  }));
  return out;
}

/**
 * Polls `check` every `intervalMs` until it returns true; resolves to the elapsed ms, or throws
 * after `timeoutMs` with `what` (and the last `describe()` when given).
 */
export async function waitUntil(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  opts: { intervalMs?: number; since?: number; describe?: () => Promise<string> | string } = {},
): Promise<number> {
  const since = opts.since ?? performance.now();
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (await check()) return performance.now() - since;
    if (performance.now() > deadline) {
      const detail = opts.describe ? `: ${await opts.describe()}` : "";
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 50));
  }
}

/**
 * Waits out the start-up election, then for `steady`. Two routers started together are both
 * backups whose Master_Down timers end within moments of each other: the one started first
 * (lower priority here) may claim an instance and hand it over on the first higher-priority
 * advert, and a placement read while its `ip addr add` is still running looks steady too. After
 * the last router's Master_Down_Interval and one more advert every claim is settled.
 * `lastStartedAt` is `performance.now()` after the last router's start returned.
 */
export async function startupSettled(
  lastStartedAt: number,
  steady: () => Promise<boolean>,
  describe: () => Promise<string>,
): Promise<void> {
  const rest = lastStartedAt + MASTER_DOWN_99_MS + 1000 - performance.now();
  if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  await waitUntil("the placement after the start-up election", steady, 5000, { describe });
}

/** Same members, any order. */
export function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

/**
 * Samples both routers for `durationMs` and returns every moment a VIP was on both at once
 * (empty when the steady state held).
 */
export async function dualHoldings(
  lab: Lab,
  routers: [string, string],
  durationMs: number,
): Promise<string[]> {
  const problems: string[] = [];
  const end = performance.now() + durationMs;
  let samples = 0;
  while (performance.now() < end) {
    const p = await placement(lab, routers);
    samples++;
    const both = p[routers[0]].filter((v) => p[routers[1]].includes(v));
    if (both.length > 0) problems.push(`sample ${samples}: ${both.join(", ")} on both`);
    await new Promise((r) => setTimeout(r, 50));
  }
  if (samples < 10) problems.push(`only ${samples} samples`);
  return problems;
}

/** Runs the `vrrp` CLI inside `node` (e.g. `["status", "--json", "--socket", path]`). */
export function vrrpCli(lab: Lab, node: string, args: string[]): Promise<ExecResult> {
  return lab.exec(node, [...lab.denoCmd(), ...args], { timeoutMs: 20_000 });
}

/** `vrrp status --json` of the daemon started by {@link startVrrp} in `node`. */
export async function vrrpStatus(lab: Lab, node: string, tmp: string): Promise<StatusReply> {
  const r = await vrrpCli(lab, node, ["status", "--json", "--socket", `${tmp}/${node}.sock`]);
  if (r.code !== 0) throw new Error(`vrrp status on ${node} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as StatusReply;
}

/**
 * The tutorial's config for router `node`, with extra text inserted at the top (e.g. a
 * `vrrp_script`) and inside each instance's block (`notify`, `track_script`...).
 */
export async function extendedConfig(
  node: "a" | "b",
  extra: { top?: string; instances?: Record<string, string> },
): Promise<string> {
  let text = await Deno.readTextFile(exampleConfig(node));
  for (const [name, add] of Object.entries(extra.instances ?? {})) {
    const head = `vrrp_instance ${name} {\n`;
    if (!text.includes(head)) throw new Error(`no ${head.trim()} in ${exampleConfig(node)}`);
    text = text.replace(head, `${head}${add}\n`);
  }
  return `${extra.top ?? ""}\n${text}`;
}

/**
 * The tutorial's config for router `node` in unicast form (as in a cloud): `unicast_src_ip` its
 * own address, the other router as `unicast_peer`, plus `extra` lines in each instance; written
 * under `tmp`, the path returned.
 */
export async function unicastConfig(
  lab: Lab,
  node: "a" | "b",
  tmp: string,
  extra = "",
): Promise<string> {
  const other = node === "a" ? "b" : "a";
  const lines = `    unicast_src_ip ${lab.ip(node)}\n    unicast_peer {\n        ${
    lab.ip(other)
  }\n    }\n${extra}`;
  const text = await extendedConfig(node, {
    instances: { "ha-internal-1": lines, "ha-internal-2": lines },
  });
  const file = `${tmp}/${node}-unicast.conf`;
  await Deno.writeTextFile(file, text);
  return file;
}
