/** The control socket client: one request, one reply, over a fresh connection. */
import { ControlError, controlErrorFrom } from "./errors.ts";
import { decodeReply, encodeRequest, LineSplitter } from "./protocol.ts";
import type { Reply, Request } from "./types.ts";

export { ControlError } from "./errors.ts";

/** Default time to wait for the daemon's reply. */
export const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Sends `req` to the daemon listening on `path` and resolves to its reply.
 * Throws a `ControlError` (kinds noDaemon, permissionDenied, timeout, protocol), never anything else.
 */
export async function controlRequest(
  path: string,
  req: Request,
  opts: { timeoutMs?: number } = {},
): Promise<Reply> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path });
  } catch (err) {
    throw controlErrorFrom(err, path);
  }
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      conn.close();
    } catch {
      // already closed
    }
  }, timeoutMs);
  try {
    const splitter = new LineSplitter(16 * 1024 * 1024);
    const buf = new Uint8Array(64 * 1024);
    try {
      await writeAll(conn, new TextEncoder().encode(encodeRequest(req)));
    } catch (err) {
      // a busy daemon answers before reading and hangs up ("Broken pipe" on our write):
      // its reply is still waiting to be read
      const early = await readReplyAfterFailedWrite(conn, splitter, buf);
      if (early) return early;
      throw err;
    }
    while (true) {
      const n = await conn.read(buf);
      if (n === null) {
        throw new ControlError(
          "protocol",
          path,
          "the daemon closed the connection without a reply",
        );
      }
      const { lines } = splitter.push(buf.subarray(0, n));
      if (lines.length > 0) {
        const decoded = decodeReply(lines[0]);
        if (!decoded.ok) throw new ControlError("protocol", path, decoded.error);
        return decoded.reply;
      }
    }
  } catch (err) {
    if (timedOut) {
      throw new ControlError("timeout", path, `the daemon did not answer within ${timeoutMs} ms`);
    }
    throw controlErrorFrom(err, path);
  } finally {
    clearTimeout(timer);
    if (!timedOut) {
      try {
        conn.close();
      } catch {
        // already closed
      }
    }
  }
}

/** The reply the daemon sent before closing, or null when there is none. */
async function readReplyAfterFailedWrite(
  conn: Deno.Conn,
  splitter: LineSplitter,
  buf: Uint8Array,
): Promise<Reply | null> {
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) return null;
      const { lines } = splitter.push(buf.subarray(0, n));
      if (lines.length > 0) {
        const decoded = decodeReply(lines[0]);
        return decoded.ok ? decoded.reply : null;
      }
    }
  } catch {
    return null;
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}
