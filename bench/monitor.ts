/**
 * Kernel-timestamped address and link events of one lab node (`ip -ts monitor link address`):
 * when a VIP really appeared on or left an interface, and when a link lost its carrier.
 */
import type { Lab, LabProcess } from "../tests/netns/lab.ts";

/** One address or link event. */
export interface NetEvent {
  tMs: number;
  kind: "addrAdded" | "addrDeleted" | "link";
  /** the IPv4 address (address events) */
  address?: string;
  /** the link flags, e.g. "NO-CARRIER,BROADCAST,MULTICAST,UP" (link events) */
  flags?: string;
}

const LINE = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\]\s+(Deleted\s+)?(.*)$/;

/** Parses `ip -ts monitor` output (timestamps in UTC: the monitor runs with TZ=UTC). */
export function parseMonitor(text: string): NetEvent[] {
  const events: NetEvent[] = [];
  for (const line of text.split("\n")) {
    const m = line.match(LINE);
    if (!m) continue;
    const tMs = Date.parse(`${m[1]}Z`) + (m[2] ? Number(m[2]) * 1000 : 0);
    const deleted = m[3] !== undefined;
    const rest = m[4];
    const inet = rest.match(/\binet (\d+\.\d+\.\d+\.\d+)\//);
    if (inet) {
      events.push({ tMs, kind: deleted ? "addrDeleted" : "addrAdded", address: inet[1] });
      continue;
    }
    const link = rest.match(/^\d+: [^:]+: <([^>]*)>/);
    if (link) events.push({ tMs, kind: "link", flags: link[1] });
  }
  return events;
}

/** A running `ip -ts monitor link address` inside a node. */
export class NetMonitor {
  readonly #proc: LabProcess;

  private constructor(proc: LabProcess) {
    this.#proc = proc;
  }

  /** Starts the monitor in `node`; netlink has no "ready" line, so it waits a moment. */
  static async start(lab: Lab, node: string): Promise<NetMonitor> {
    const proc = lab.spawn(node, ["ip", "-ts", "monitor", "link", "address"], {
      env: { TZ: "UTC" },
    });
    await new Promise((r) => setTimeout(r, 150));
    return new NetMonitor(proc);
  }

  /** Every event so far. */
  events(): NetEvent[] {
    return parseMonitor(this.#proc.stdout());
  }

  /** Resolves with the first event at or after `afterMs` matching `pred`, or null at timeout. */
  async waitFor(
    pred: (e: NetEvent) => boolean,
    afterMs: number,
    timeoutMs: number,
  ): Promise<NetEvent | null> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const hit = this.events().find((e) => e.tMs >= afterMs && pred(e));
      if (hit) return hit;
      if (Date.now() > deadline) return null;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Stops the monitor. */
  async stop(): Promise<void> {
    await this.#proc.stop(1000);
  }
}

/** Predicate: `address` was added. */
export const added = (address: string) => (e: NetEvent) =>
  e.kind === "addrAdded" && e.address === address;
/** Predicate: `address` was deleted. */
export const deleted = (address: string) => (e: NetEvent) =>
  e.kind === "addrDeleted" && e.address === address;
/** Predicate: a link event without carrier or administratively down. */
export const linkLost = (e: NetEvent) =>
  e.kind === "link" && (/NO-CARRIER/.test(e.flags ?? "") || !/\bUP\b/.test(e.flags ?? ""));
/** Predicate: a link event that is up with carrier (LOWER_UP). */
export const linkBack = (e: NetEvent) => e.kind === "link" && /LOWER_UP/.test(e.flags ?? "");
