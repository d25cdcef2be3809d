/**
 * Running one tracking or notify script: no shell, its own process group (so a timeout kills
 * everything it started), optionally as another user, with a timeout and its output captured.
 */

/** How a run ended. */
export interface ExecResult {
  /** exit code; null when it could not start or was killed */
  code: number | null;
  /** true when exit code 0 */
  ok: boolean;
  timedOut: boolean;
  /** why it could not start */
  spawnError?: string;
  /** stdout and stderr lines, in the order of each stream (capped) */
  stdout: string[];
  stderr: string[];
}

/** Options for `execScript`. */
export interface ExecOptions {
  timeoutMs: number;
  /** run as this user (only when we are root); its primary group unless `group` is given */
  user?: string;
  group?: string;
  /** most lines kept per stream */
  maxLines?: number;
  /** called with the pid right after start, e.g. for tests */
  onStart?: (pid: number) => void;
}

/** Time between SIGTERM and SIGKILL for a script that overran its timeout. */
const KILL_GRACE_MS = 1000;

/** Builds the argv actually spawned: `setsid` for a process group, `setpriv` to drop to a user. */
export function wrapArgv(argv: string[], asUser?: { user: string; group?: string }): string[] {
  const wrapped = ["setsid"];
  if (asUser) {
    wrapped.push(
      "setpriv",
      `--reuid=${asUser.user}`,
      `--regid=${asUser.group ?? primaryGroupOf(asUser.user) ?? asUser.user}`,
      "--init-groups",
      "--",
    );
  }
  return [...wrapped, ...argv];
}

/** The primary gid of `user` from /etc/passwd, as a string; null when unknown. */
export function primaryGroupOf(user: string): string | null {
  try {
    for (const line of Deno.readTextFileSync("/etc/passwd").split("\n")) {
      const f = line.split(":");
      if (f[0] === user && f.length >= 4) return f[3];
    }
  } catch {
    // no passwd file: let setpriv report the unknown user
  }
  return null;
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

/** Runs `argv` (argv[0] a path or a name on PATH) and resolves when it ended. Never throws. */
export async function execScript(argv: string[], opts: ExecOptions): Promise<ExecResult> {
  const maxLines = opts.maxLines ?? 100;
  const asUser = opts.user !== undefined && isRoot()
    ? { user: opts.user, group: opts.group }
    : undefined;
  const full = wrapArgv(argv, asUser);
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(full[0], {
      args: full.slice(1),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    return {
      code: null,
      ok: false,
      timedOut: false,
      spawnError: (err as Error).message,
      stdout: [],
      stderr: [],
    };
  }
  opts.onStart?.(child.pid);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const outReader = child.stdout.getReader();
  const errReader = child.stderr.getReader();
  const readers = [collect(outReader, stdout, maxLines), collect(errReader, stderr, maxLines)];
  let timedOut = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, "SIGTERM");
    killTimer = setTimeout(() => killGroup(child.pid, "SIGKILL"), KILL_GRACE_MS);
  }, opts.timeoutMs);
  const status = await child.status;
  clearTimeout(timer);
  // a background child may still hold the pipes: give the readers a moment, then stop reading
  const drained = await Promise.race([
    Promise.all(readers).then(() => true),
    new Promise<false>((r) => setTimeout(() => r(false), 200)),
  ]);
  if (!drained) {
    // leave what it started in the background alone; just stop listening to it
    await Promise.allSettled([outReader.cancel(), errReader.cancel()]);
    await Promise.allSettled(readers);
  }
  clearTimeout(killTimer);
  // setsid (or setpriv) exits 126/127 with a message when it cannot exec the script
  const spawnError = (status.code === 126 || status.code === 127) &&
      stderr.some((l) => /^(setsid|setpriv): /.test(l))
    ? stderr.filter((l) => /^(setsid|setpriv): /.test(l)).join("; ")
    : undefined;
  return {
    code: status.signal ? null : status.code,
    ok: status.success && !timedOut,
    timedOut,
    ...(spawnError ? { spawnError } : {}),
    stdout,
    stderr,
  };
}

function killGroup(pid: number, signal: Deno.Signal): void {
  try {
    Deno.kill(-pid, signal);
  } catch {
    try {
      Deno.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

async function collect(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  into: string[],
  maxLines: number,
): Promise<void> {
  const decoder = new TextDecoder();
  let partial = "";
  try {
    while (true) {
      const { value: chunk, done } = await reader.read();
      if (done) break;
      partial += decoder.decode(chunk, { stream: true });
      const lines = partial.split("\n");
      partial = lines.pop() ?? "";
      for (const l of lines) if (into.length < maxLines) into.push(l);
      if (partial.length > 4096) partial = partial.slice(0, 4096);
    }
  } catch {
    // the stream was cut off
  }
  if (partial !== "" && into.length < maxLines) into.push(partial);
}
