/**
 * Footprint of a daemon's process tree from /proc: resident memory (VmRSS of every process in
 * the tree, and its proportional share, Pss, which splits the pages of a binary shared by several
 * processes) and CPU time: the nanosecond run time of every live thread (/proc/PID/task/TID/
 * schedstat), plus cutime + cstime (clock ticks) of children already reaped, such as the `ip`
 * processes a daemon spawns. Wake-ups are the threads' run slices (schedstat's third field).
 */

const CLOCK_TICKS_PER_SEC = 100; // Linux USER_HZ on every mainstream build (getconf CLK_TCK)

/** One reading of a process tree. */
export interface TreeSample {
  pids: number[];
  rssKb: number;
  /** Pss of the tree (smaps_rollup), 0 where the kernel has none */
  pssKb: number;
  cpuMs: number;
  /** run slices of every live thread so far: each wake-up of a thread is one */
  slices: number;
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

function pssKb(pid: number): number {
  const match = readText(`/proc/${pid}/smaps_rollup`)?.match(/^Pss:\s+(\d+) kB/m);
  return match ? Number(match[1]) : 0;
}

/** Run time (ns) and run slices summed over every live thread of `pid` (schedstat). */
function threadStats(pid: number): { threads: number; ns: number; slices: number } {
  const sum = { threads: 0, ns: 0, slices: 0 };
  try {
    for (const t of Deno.readDirSync(`/proc/${pid}/task`)) {
      const line = readText(`/proc/${pid}/task/${t.name}/schedstat`);
      if (line === null) continue;
      const [ns, , runs] = line.trim().split(" ");
      sum.ns += Number(ns);
      sum.slices += Number(runs ?? 0);
      sum.threads++;
    }
  } catch {
    // exited meanwhile
  }
  return sum;
}

/** CPU time of `pid` in ms (its threads' run time plus its reaped children's), and run slices. */
function cpuOf(pid: number): { ms: number; slices: number } {
  const f = statFields(pid);
  if (f === null) return { ms: 0, slices: 0 };
  // stat fields 16..17 (cutime cstime) are [13..14] here
  const reapedTicks = Number(f[13]) + Number(f[14]);
  const { threads, ns: threadsNs, slices } = threadStats(pid);
  if (threads === 0) {
    // no schedstat (kernel without CONFIG_SCHEDSTATS): utime + stime in ticks
    const ms = ((Number(f[11]) + Number(f[12]) + reapedTicks) * 1000) / CLOCK_TICKS_PER_SEC;
    return { ms, slices: 0 };
  }
  return { ms: threadsNs / 1e6 + (reapedTicks * 1000) / CLOCK_TICKS_PER_SEC, slices };
}

/** Reads RSS and cumulative CPU time of `root`'s whole tree now. */
export function sampleTree(root: number): TreeSample {
  const pids = processTree(root);
  let rss = 0;
  let pss = 0;
  let cpu = 0;
  let runs = 0;
  for (const pid of pids) {
    rss += rssKb(pid);
    pss += pssKb(pid);
    const c = cpuOf(pid);
    cpu += c.ms;
    runs += c.slices;
  }
  return { pids, rssKb: rss, pssKb: pss, cpuMs: cpu, slices: runs };
}

/** CPU use between two samples taken `wallMs` apart, as a percentage of one core. */
export function cpuPercent(before: TreeSample, after: TreeSample, wallMs: number): number {
  return wallMs <= 0 ? NaN : (100 * (after.cpuMs - before.cpuMs)) / wallMs;
}
