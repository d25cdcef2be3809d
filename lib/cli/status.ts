/**
 * `vrrp status [NAME] [--json] [--watch]`: the live state of the running daemon, read over the
 * control socket. Exit codes: 0 ok, 1 error reply (e.g. unknown NAME), 3 no daemon,
 * 4 permission denied (docs/control.md).
 */
import { controlRequest } from "../control/client.ts";
import { ControlError, ControlExit, exitCodeFor } from "../control/errors.ts";
import type { InstanceStatus, Reply, StatusReply } from "../control/types.ts";

/** Options of `vrrp status`; the ones after `socket` exist for tests and embedding. */
export interface StatusOptions {
  json?: true | boolean;
  watch?: true | boolean;
  socket: string;
  timeoutMs?: number;
  /** where output goes (default stdout / stderr) */
  out?: (text: string) => void;
  err?: (text: string) => void;
  /** --watch: stop after this many polls (default: until SIGINT; env VRRP_WATCH_ITERATIONS) */
  watchIterations?: number;
  /** --watch: poll period (default 500 ms) */
  watchIntervalMs?: number;
}

const CLEAR_SCREEN = "\x1b[2J\x1b[H";

/** Runs `vrrp status`; resolves to the exit code. */
export async function runStatus(name: string | undefined, opts: StatusOptions): Promise<number> {
  const out = opts.out ?? ((t: string) => console.log(t));
  const err = opts.err ?? ((t: string) => console.error(t));
  if (opts.watch) return await watch(name, opts, out);
  const got = await fetchStatus(name, opts);
  if ("code" in got) {
    err(`vrrp: ${got.message}`);
    return got.code;
  }
  out(opts.json ? JSON.stringify(got.reply, null, 2) : renderStatus(got.reply));
  return ControlExit.ok;
}

type Fetched = { reply: StatusReply } | { code: number; message: string };

async function fetchStatus(name: string | undefined, opts: StatusOptions): Promise<Fetched> {
  let reply: Reply;
  try {
    reply = await controlRequest(
      opts.socket,
      name === undefined ? { op: "status" } : { op: "status", instance: name },
      { timeoutMs: opts.timeoutMs },
    );
  } catch (e) {
    if (e instanceof ControlError) return { code: exitCodeFor(e), message: e.message };
    throw e;
  }
  if (!reply.ok) return { code: ControlExit.failure, message: reply.error };
  if (!("instances" in reply)) {
    return { code: ControlExit.failure, message: "the daemon sent no status" };
  }
  if (name !== undefined) {
    const instances = reply.instances.filter((i) => i.name === name);
    if (instances.length === 0) {
      return { code: ControlExit.failure, message: `no instance named ${JSON.stringify(name)}` };
    }
    return { reply: { ...reply, instances } };
  }
  return { reply };
}

async function watch(
  name: string | undefined,
  opts: StatusOptions,
  out: (text: string) => void,
): Promise<number> {
  const envLimit = Number(Deno.env.get("VRRP_WATCH_ITERATIONS") ?? "");
  const limit = opts.watchIterations ??
    (Number.isInteger(envLimit) && envLimit > 0 ? envLimit : Infinity);
  const intervalMs = opts.watchIntervalMs ?? 500;
  let stop = false;
  let wake: () => void = () => {};
  const onSigint = () => {
    stop = true;
    wake();
  };
  try {
    Deno.addSignalListener("SIGINT", onSigint);
  } catch {
    // no signal support here: the iteration limit still ends the loop
  }
  let last: string | null = null;
  let code: number = ControlExit.ok;
  try {
    for (let i = 0; i < limit && !stop; i++) {
      const got = await fetchStatus(name, opts);
      const frame = "code" in got
        ? `vrrp: ${got.message}`
        : opts.json
        ? JSON.stringify(got.reply, null, 2)
        : renderStatus(got.reply);
      code = "code" in got ? got.code : ControlExit.ok;
      // the reply decides whether to redraw ("heard 0.4 s ago" alone moves with the clock)
      const key = "code" in got ? frame : JSON.stringify(got.reply);
      if (key !== last) {
        out(CLEAR_SCREEN + frame);
        last = key;
      }
      if (i + 1 >= limit || stop) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    try {
      Deno.removeSignalListener("SIGINT", onSigint);
    } catch {
      // never added
    }
  }
  return stop ? ControlExit.ok : code;
}

/** Renders a status reply for people: one block per instance; `now` dates "heard … ago". */
export function renderStatus(reply: StatusReply, now: Date = new Date()): string {
  const lines: string[] = [
    `vrrp daemon pid ${reply.pid}, config ${reply.configFile}, up since ${reply.startedAt}`,
  ];
  if (reply.instances.length === 0) lines.push("", "no instances configured");
  for (const inst of reply.instances) lines.push("", ...renderInstance(inst, now));
  const ifaceDrops = Object.entries(reply.interfaceDrops ?? {}).map(([iface, d]) =>
    [iface, dropList(d)] as const
  ).filter(([, list]) => list.length > 0);
  if (ifaceDrops.length > 0) {
    lines.push("", "dropped before any instance (too short for a VRID, or a VRID not configured):");
    for (const [iface, list] of ifaceDrops) lines.push(`  ${iface.padEnd(12)} ${list.join(", ")}`);
  }
  return lines.join("\n");
}

/** `reason n` for every non-zero counter, by reason. */
function dropList(drops: Record<string, number>): string[] {
  return Object.entries(drops).filter(([, n]) => n > 0)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([reason, n]) => `${reason} ${n}`);
}

function renderInstance(i: InstanceStatus, now: Date): string[] {
  const row = (label: string, value: string) => `  ${label.padEnd(12)} ${value}`;
  const state = i.state.toUpperCase() + (i.adminDown ? " (admin down)" : "");
  const proto = i.protocolVersion === undefined
    ? ""
    : `  VRRPv${i.protocolVersion} ${i.family === "ipv6" ? "IPv6" : "IPv4"}`;
  const lines = [`${i.name}: ${state}  interface ${i.interface}  vrid ${i.vrid}${proto}`];
  const adjusted = i.priorityAdjustments.length > 0 ? ` (${i.priorityAdjustments.join(", ")})` : "";
  lines.push(
    row("priority", `${i.effectivePriority} effective, ${i.basePriority} base${adjusted}`),
  );
  const master = i.masterIp === null
    ? "unknown"
    : i.state === "master"
    ? `${i.masterIp} (this host)`
    : i.masterIp;
  lines.push(row("master", master));
  if (i.advertIntervalMs !== undefined && i.masterAdvertIntervalMs !== undefined) {
    const ms = (x: number | undefined) => `${Number((x ?? 0).toFixed(3))} ms`;
    const learned = i.masterAdvertIntervalMs !== i.advertIntervalMs
      ? `, master's ${ms(i.masterAdvertIntervalMs)}`
      : "";
    lines.push(
      row(
        "timers",
        `advert ${ms(i.advertIntervalMs)}${learned}, skew ${ms(i.skewTimeMs)}, ` +
          `master down ${ms(i.masterDownIntervalMs)}`,
      ),
    );
  }
  if (i.vips.length === 0) lines.push(row("vips", "none"));
  i.vips.forEach((v, n) => {
    const text = `${v.address}/${v.prefixLen} dev ${v.dev}  ${v.present ? "present" : "absent"}${
      v.excluded ? "  (excluded: not in adverts)" : ""
    }`;
    lines.push(row(n === 0 ? "vips" : "", text));
  });
  if (i.vipError) lines.push(row("VIP ERROR", `${i.vipError} (retrying)`));
  const t = i.lastTransition;
  lines.push(row("last change", t ? `${t.from} -> ${t.to} (${t.reason}) at ${t.at}` : "none"));
  lines.push(row("adverts", `sent ${i.advertsSent}, received ${i.advertsReceived}`));
  lines.push(...renderWire(i, now, row));
  if (i.sendErrors) {
    lines.push(row("SEND ERRORS", `${i.sendErrors} (last: ${i.lastSendError ?? "unknown"})`));
  }
  if (i.vipGiveWays) {
    lines.push(row("gave way", `${i.vipGiveWays} time(s): VIPs not configured in time`));
  }
  const drops = dropList(i.drops);
  lines.push(row("drops", drops.length > 0 ? drops.join(", ") : "none"));
  if (i.splitBrain) {
    const s = i.splitBrain;
    lines.push(row("SPLIT BRAIN", `peer ${s.peer} priority ${s.priority} since ${s.at}`));
  }
  return lines;
}

/** Where the adverts go and, in unicast mode, whether each peer is heard. */
function renderWire(
  i: InstanceStatus,
  now: Date,
  row: (label: string, value: string) => string,
): string[] {
  const a = i.adverts;
  if (a === undefined) return [];
  if (a.mode === "multicast") return [row("sent to", `${a.group} (multicast) from ${a.source}`)];
  const n = a.peers.length;
  const lines = [
    row(
      "unicast",
      `from ${a.source} to ${n} peer${n === 1 ? "" : "s"}` +
        (a.checkSource ? ", other sources dropped" : "") +
        (n === 0 ? " (FAULT: unicast_fault_no_peer)" : ""),
    ),
  ];
  for (const p of a.peers) {
    const heard = p.lastHeardAt === null
      ? "never heard"
      : `heard ${((now.getTime() - Date.parse(p.lastHeardAt)) / 1000).toFixed(1)} s ago ` +
        `at priority ${p.priority} (${p.advertsReceived} adverts)`;
    lines.push(row("peer", `${p.address}  ${heard}`));
  }
  return lines;
}
