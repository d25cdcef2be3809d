/**
 * The control socket server. It holds no daemon state: every request goes to a `DaemonApi`.
 * Bad input gets an `{ok:false,error}` reply, never a crash; a stuck or flooding client is cut
 * off by a connection limit, an idle timeout and a line-length limit.
 */
import { ControlError, controlErrorFrom } from "./errors.ts";
import { decodeRequest, encodeReply, LineSplitter, MAX_LINE_BYTES } from "./protocol.ts";
import type { DaemonApi, Reply, Request } from "./types.ts";

/** A running control server. */
export interface ControlServer {
  readonly path: string;
  /** Stops accepting, drops open connections and removes the socket file. Idempotent. */
  close(): Promise<void>;
}

/** Limits; the defaults suit a daemon and its operators. */
export interface ControlServerOptions {
  /** connections served at once; more are told so and closed (default 16) */
  maxConnections?: number;
  /** a connection with no complete request for this long is closed (default 10000) */
  idleTimeoutMs?: number;
  /** longest request line in bytes (default 64 KiB) */
  maxLineBytes?: number;
}

/** Refused connections are logged at most once per this window (with how many). */
export const REFUSAL_LOG_WINDOW_MS = 10_000;

/** Where the server binds before renaming to `path`: `.<name>.tmp` beside it. */
export function socketTempPath(path: string): string {
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? "" : ".";
  return `${dir}/.${path.slice(slash + 1)}.tmp`;
}

/** Every unix path the daemon binds or the CLI connects to for control socket `path`. */
export function socketNetPaths(path: string): string[] {
  return [path, socketTempPath(path)];
}

/**
 * Listens on the unix socket `path` (mode 0600, parent directory created 0755 if missing).
 * A stale socket file is removed only when nothing answers on it. Rejects with a `ControlError`
 * of kind `inUse` when another daemon answers there, `setup` when the path is not a socket or
 * cannot be created.
 */
export async function startControlServer(
  path: string,
  api: DaemonApi,
  log: (msg: string) => void = () => {},
  opts: ControlServerOptions = {},
): Promise<ControlServer> {
  const maxConnections = opts.maxConnections ?? 16;
  const idleTimeoutMs = opts.idleTimeoutMs ?? 10_000;
  const maxLineBytes = opts.maxLineBytes ?? MAX_LINE_BYTES;
  const slash = path.lastIndexOf("/");
  const dir = slash > 0 ? path.slice(0, slash) : slash === 0 ? "/" : ".";

  await ensureDir(dir, path);
  await clearStale(path);

  // Bind under a temporary name, restrict it, then rename: the final path is never reachable
  // with looser permissions than 0600. The name is fixed (not per pid) so that a binary built
  // with net access for exactly these two paths can bind (see scripts/build.ts).
  const tmp = socketTempPath(path);
  await Deno.remove(tmp).catch(() => {});
  let listener: Deno.UnixListener;
  try {
    listener = Deno.listen({ transport: "unix", path: tmp });
  } catch (err) {
    throw setupError(path, `cannot listen on ${tmp}`, err);
  }
  let ino: number | null = null;
  try {
    await Deno.chmod(tmp, 0o600);
    await Deno.rename(tmp, path);
    ino = (await Deno.lstat(path)).ino;
  } catch (err) {
    listener.close();
    await Deno.remove(tmp).catch(() => {});
    throw setupError(path, `cannot install the socket at ${path}`, err);
  }

  const conns = new Set<Deno.Conn>();
  const handlers = new Set<Promise<void>>();
  let closing = false;
  // a flood of refused connections logs one line per window, with the count
  let refusedSinceLog = 0;
  let refusedTotal = 0;
  let lastRefusalLogAt = -Infinity;

  const acceptLoop = (async () => {
    while (!closing) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (err) {
        if (closing) return;
        log(`control: accept failed: ${(err as Error).message}`);
        if (err instanceof Deno.errors.BadResource) return;
        continue;
      }
      if (conns.size >= maxConnections) {
        refusedTotal++;
        refusedSinceLog++;
        const now = performance.now();
        if (now - lastRefusalLogAt >= REFUSAL_LOG_WINDOW_MS) {
          log(
            `control: refused ${refusedSinceLog} connection(s): ${maxConnections} already open ` +
              `(${refusedTotal} refused since start; logged at most every ` +
              `${REFUSAL_LOG_WINDOW_MS / 1000} s)`,
          );
          lastRefusalLogAt = now;
          refusedSinceLog = 0;
        }
        void refuse(conn, `daemon busy: too many connections (limit ${maxConnections})`);
        continue;
      }
      conns.add(conn);
      const h = serveConnection(conn, api, log, idleTimeoutMs, maxLineBytes).finally(() => {
        conns.delete(conn);
        handlers.delete(h);
      });
      handlers.add(h);
    }
  })();

  let closed: Promise<void> | null = null;
  return {
    path,
    close() {
      closed ??= (async () => {
        closing = true;
        safeClose(listener);
        for (const c of conns) safeClose(c);
        await acceptLoop;
        await Promise.allSettled([...handlers]);
        try {
          // remove only our own socket: a newer daemon may have taken the path
          if ((await Deno.lstat(path)).ino === ino) await Deno.remove(path);
        } catch {
          // already gone
        }
      })();
      return closed;
    },
  };
}

async function ensureDir(dir: string, path: string): Promise<void> {
  try {
    await Deno.stat(dir);
    return;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw setupError(path, `cannot use ${dir}`, err);
  }
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
    await Deno.chmod(dir, 0o755); // mkdir's mode is filtered by the umask
  } catch (err) {
    throw setupError(path, `cannot create ${dir}`, err);
  }
}

/** Removes a socket file nobody answers on; refuses when a daemon answers or it is no socket. */
async function clearStale(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return;
    throw setupError(path, `cannot inspect ${path}`, err);
  }
  if (!info.isSocket) {
    throw new ControlError("setup", path, `${path} exists and is not a socket; not touching it`);
  }
  let conn: Deno.UnixConn | null = null;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (err) {
    if (err instanceof Deno.errors.ConnectionRefused) {
      await Deno.remove(path).catch(() => {});
      return;
    }
    throw setupError(path, `cannot probe ${path}`, err);
  }
  safeClose(conn);
  throw new ControlError(
    "inUse",
    path,
    `another vrrp daemon is answering on ${path}; refusing to start a second one`,
  );
}

function setupError(path: string, what: string, err: unknown): ControlError {
  const classified = controlErrorFrom(err, path);
  const detail = err instanceof Error ? err.message : String(err);
  return new ControlError(
    classified.kind === "permissionDenied" ? "permissionDenied" : "setup",
    path,
    `${what}: ${detail}`,
  );
}

async function serveConnection(
  conn: Deno.Conn,
  api: DaemonApi,
  log: (msg: string) => void,
  idleTimeoutMs: number,
  maxLineBytes: number,
): Promise<void> {
  const splitter = new LineSplitter(maxLineBytes);
  const buf = new Uint8Array(4096);
  let timer = setTimeout(() => safeClose(conn), idleTimeoutMs);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return;
      const { lines, overflow } = splitter.push(buf.subarray(0, n));
      for (const line of lines) {
        if (line.trim() === "") continue;
        clearTimeout(timer);
        await writeAll(conn, encodeReply(await handleLine(line, api, log)));
        timer = setTimeout(() => safeClose(conn), idleTimeoutMs);
      }
      if (overflow) {
        await writeAll(
          conn,
          encodeReply({ ok: false, error: `request line over ${maxLineBytes} bytes` }),
        );
        return;
      }
    }
  } catch {
    // the client went away or the idle timer closed the connection
  } finally {
    clearTimeout(timer);
    safeClose(conn);
  }
}

/** Decodes one line and asks the daemon; anything thrown becomes an error reply. */
export async function handleLine(
  line: string,
  api: DaemonApi,
  log: (msg: string) => void = () => {},
): Promise<Reply> {
  const decoded = decodeRequest(line);
  if (!decoded.ok) return { ok: false, error: decoded.error };
  try {
    return await dispatch(decoded.request, api);
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    log(`control: ${decoded.request.op} failed: ${msg}`);
    return { ok: false, error: `${decoded.request.op} failed: ${msg}` };
  }
}

function dispatch(req: Request, api: DaemonApi): Promise<Reply> | Reply {
  switch (req.op) {
    case "status":
      return api.status(req.instance);
    case "down":
      return api.adminDown(req.instance);
    case "up":
      return api.adminUp(req.instance);
    case "reload":
      return api.reload();
  }
}

async function refuse(conn: Deno.Conn, error: string): Promise<void> {
  const timer = setTimeout(() => safeClose(conn), 1000);
  try {
    await writeAll(conn, encodeReply({ ok: false, error }));
  } catch {
    // the client is gone
  } finally {
    clearTimeout(timer);
    safeClose(conn);
  }
}

async function writeAll(conn: Deno.Conn, text: string): Promise<void> {
  const data = new TextEncoder().encode(text);
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

function safeClose(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}
