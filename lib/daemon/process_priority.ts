/**
 * keepalived's `vrrp_priority` (nice) and `vrrp_rt_priority` (SCHED_RR) for the daemon: applied
 * to every thread at start, and once more after the sockets are open (the runtime starts its
 * poll thread then). A failure is logged, never fatal: the daemon runs, at normal priority.
 */
import { setThreadNice, setThreadRoundRobin, threadIds } from "../../ffi/sched.ts";
import type { GlobalConfig } from "../../config/model.ts";
import type { Logger } from "./logger.ts";

/** Applies the configured priorities to every current thread; returns how many were changed. */
export function applyProcessPriority(
  global: Pick<GlobalConfig, "processNice" | "realtimePriority">,
  log: Pick<Logger, "info" | "warn">,
  quiet = false,
): number {
  const { processNice, realtimePriority } = global;
  if (processNice === undefined && realtimePriority === undefined) return 0;
  let changed = 0;
  const errors = new Set<string>();
  for (const tid of threadIds()) {
    try {
      if (processNice !== undefined) setThreadNice(tid, processNice);
      if (realtimePriority !== undefined) setThreadRoundRobin(tid, realtimePriority);
      changed++;
    } catch (err) {
      // a thread that ended meanwhile (ESRCH) is not a problem
      if (!(err instanceof Error && /ESRCH/.test(err.message))) errors.add(String(err));
    }
  }
  const what = [
    processNice !== undefined ? `nice ${processNice}` : null,
    realtimePriority !== undefined ? `SCHED_RR priority ${realtimePriority}` : null,
  ].filter((x) => x !== null).join(", ");
  if (errors.size > 0) {
    log.warn(`cannot set ${what} (vrrp_priority/vrrp_rt_priority): ${[...errors].join("; ")}`);
  } else if (!quiet) log.info(`running with ${what} (${changed} threads)`);
  return changed;
}
