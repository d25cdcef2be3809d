/**
 * What a reload changes: instances are compared by name and by their whole configuration, so an
 * unchanged instance keeps running without a flap.
 */
import type { InstanceConfig } from "../../config/model.ts";

/** The plan of a reload. */
export interface ReloadPlan {
  /** running instances no longer configured: shut down like on SIGTERM */
  removed: string[];
  /** configured instances not running yet: start */
  added: InstanceConfig[];
  /** instances whose configuration differs: stop, then start with the new one */
  changed: InstanceConfig[];
  /**
   * unicast instances whose only change is their unicast peer list: the running instance takes
   * the new peers without a restart (role, timers and VIPs stay)
   */
  peersChanged: InstanceConfig[];
  /** identical: left alone */
  unchanged: string[];
}

/** Peers configured, or unicast_fault_no_peer: the instance is unicast with any peer list. */
function unicastMode(c: InstanceConfig): boolean {
  return c.unicastPeers.length > 0 || c.unicastFaultNoPeer;
}

/** Whether `a` and `b` differ in their unicast peers alone, both in unicast mode. */
function onlyPeersDiffer(a: InstanceConfig, b: InstanceConfig): boolean {
  if (!unicastMode(a) || !unicastMode(b)) return false;
  return canonical({ ...a, unicastPeers: [] }) === canonical({ ...b, unicastPeers: [] });
}

/** A canonical form of a config value: object keys sorted, so key order never counts as a change. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) => {
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    }
    return v;
  });
}

/** Compares the running instances with the newly loaded ones. */
export function planReload(running: InstanceConfig[], next: InstanceConfig[]): ReloadPlan {
  const before = new Map(running.map((c) => [c.name, c]));
  const plan: ReloadPlan = { removed: [], added: [], changed: [], peersChanged: [], unchanged: [] };
  const nextNames = new Set(next.map((c) => c.name));
  for (const c of running) if (!nextNames.has(c.name)) plan.removed.push(c.name);
  for (const c of next) {
    const old = before.get(c.name);
    if (old === undefined) plan.added.push(c);
    else if (canonical(old) === canonical(c)) plan.unchanged.push(c.name);
    else if (onlyPeersDiffer(old, c)) plan.peersChanged.push(c);
    else plan.changed.push(c);
  }
  return plan;
}
