/**
 * Scheduling of the whole process: nice value and SCHED_RR for every thread. On Linux both are
 * per thread (setpriority(PRIO_PROCESS, tid) and sched_setscheduler(tid)), and a Deno process
 * has several (the JS thread, the runtime's I/O and worker threads); threads started later
 * inherit from the thread that starts them.
 */

import { libc, PRIO_PROCESS, SCHED_RR } from "./libc.ts";
import { lastErrno, OsError, strerror } from "./errors.ts";

/** Every thread of this process (/proc/self/task): its id and its name (comm). */
export function threads(): { tid: number; name: string }[] {
  const out: { tid: number; name: string }[] = [];
  for (const e of Deno.readDirSync("/proc/self/task")) {
    const tid = Number(e.name);
    if (!Number.isInteger(tid)) continue;
    let name = "";
    try {
      name = Deno.readTextFileSync(`/proc/self/task/${tid}/comm`).trim();
    } catch {
      continue; // ended meanwhile
    }
    out.push({ tid, name });
  }
  return out;
}

/** Sets the nice value (-20..19) of thread `tid`; throws OsError (EACCES without CAP_SYS_NICE). */
export function setThreadNice(tid: number, nice: number): void {
  if (libc().setpriority(PRIO_PROCESS, tid, nice) !== 0) {
    const errno = lastErrno();
    throw new OsError("setpriority", errno, strerror(errno));
  }
}

/** Makes thread `tid` SCHED_RR at `priority` (1..99); throws OsError (EPERM without the right). */
export function setThreadRoundRobin(tid: number, priority: number): void {
  const param = new Uint8Array(4); // struct sched_param { int sched_priority; }
  new DataView(param.buffer).setInt32(0, priority, true);
  if (libc().sched_setscheduler(tid, SCHED_RR, param) !== 0) {
    const errno = lastErrno();
    throw new OsError("sched_setscheduler", errno, strerror(errno));
  }
}
