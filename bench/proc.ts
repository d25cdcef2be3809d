/**
 * Footprint of a daemon's process tree from /proc: resident memory (VmRSS of every process in
 * the tree) and CPU time (utime + stime, plus cutime + cstime of children already reaped).
 */

const CLOCK_TICKS_PER_SEC = 100; // Linux USER_HZ on every mainstream build (getconf CLK_TCK)

/** One reading of a process tree. */
export interface TreeSample {
  pids: number[];
  rssKb: number;
  cpuMs: number;
}

function readText(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return null;
  }
}

/** Fields of /proc/PID/stat after the parenthesised command name (which may hold spaces). */
function statFields(pid: number): string[] | null {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  const close = text.lastIndexOf(")");
  return text.slice(close + 2).trim().split(" ");
}

/** Parent of every live process, read once per sample. */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid)) continue;
    const fields = statFields(pid);
    if (fields === null) continue;
    const ppid = Number(fields[1]); // field 4 of stat; [0] is field 3 (state)
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  return children;
}

/** `root` and all its live descendants. */
export function processTree(root: number): number[] {
  const children = parentMap();
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    if (readText(`/proc/${pid}/stat`) === null) continue;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

function rssKb(pid: number): number {
  const match = readText(`/proc/${pid}/status`)?.match(/^VmRSS:\s+(\d+) kB/m);
  return match ? Number(match[1]) : 0;
}

function cpuTicks(pid: number): number {
  const f = statFields(pid);
  if (f === null) return 0;
  // stat fields 14..17 (utime stime cutime cstime) are [11..14] here
  return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
}

/** Reads RSS and cumulative CPU time of `root`'s whole tree now. */
export function sampleTree(root: number): TreeSample {
  const pids = processTree(root);
  let rss = 0;
  let ticks = 0;
  for (const pid of pids) {
    rss += rssKb(pid);
    ticks += cpuTicks(pid);
  }
  return { pids, rssKb: rss, cpuMs: (ticks * 1000) / CLOCK_TICKS_PER_SEC };
}

/** CPU use between two samples taken `wallMs` apart, as a percentage of one core. */
export function cpuPercent(before: TreeSample, after: TreeSample, wallMs: number): number {
  return wallMs <= 0 ? NaN : (100 * (after.cpuMs - before.cpuMs)) / wallMs;
}
