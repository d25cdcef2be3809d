/**
 * keepalived's `vrrp_priority` (nice) and `vrrp_rt_priority` (SCHED_RR) for the daemon: applied
 * at start, and once more after the sockets are open (the runtime starts its poll thread then).
 * The nice value goes to every thread; SCHED_RR only to the threads on the timing path (the JS
 * thread and the runtime's I/O threads), not to V8's background workers: at real-time priority
 * their compile and GC jobs would compete with the adverts on a busy host (measured: 297 false
 * elections in 10 minutes with them, see the README). A failure is logged, never fatal: the
 * daemon runs, at normal priority.
 */
import { setThreadNice, setThreadRoundRobin, threads } from "../../ffi/sched.ts";
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
  for (const { tid, name } of threads()) {
    try {
      if (processNice !== undefined) setThreadNice(tid, processNice);
      if (realtimePriority !== undefined && !isV8Worker(name)) {
        setThreadRoundRobin(tid, realtimePriority);
      }
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

/** V8's platform workers ("V8 DefaultWorker", cut to 15 characters by the kernel). */
export function isV8Worker(threadName: string): boolean {
  return threadName.startsWith("V8 ");
}
