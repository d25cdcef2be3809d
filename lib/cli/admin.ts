/**
 * `vrrp up NAME`, `vrrp down NAME`, `vrrp reload`: one request to the running daemon.
 * Exit codes: 0 ok, 1 the daemon said no (`ok:false`), 3 no daemon, 4 permission denied.
 */
import { controlRequest } from "../control/client.ts";
import { ControlError, ControlExit, exitCodeFor } from "../control/errors.ts";
import type { Reply, Request } from "../control/types.ts";

/** Options of the admin commands; the ones after `socket` exist for tests and embedding. */
export interface AdminOptions {
  socket: string;
  timeoutMs?: number;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

/** Runs `vrrp up|down|reload`; resolves to the exit code. */
export async function runAdmin(
  op: "up" | "down" | "reload",
  name: string | undefined,
  opts: AdminOptions,
): Promise<number> {
  const out = opts.out ?? ((t: string) => console.log(t));
  const err = opts.err ?? ((t: string) => console.error(t));
  let req: Request;
  if (op === "reload") {
    req = { op };
  } else {
    if (name === undefined || name === "") {
      err(`vrrp ${op}: an instance name is needed`);
      return ControlExit.failure;
    }
    req = { op, instance: name };
  }
  // reload re-reads the config and may reconcile addresses: give it longer
  const timeoutMs = opts.timeoutMs ?? (op === "reload" ? 30_000 : 10_000);
  let reply: Reply;
  try {
    reply = await controlRequest(opts.socket, req, { timeoutMs });
  } catch (e) {
    if (e instanceof ControlError) {
      err(`vrrp: ${e.message}`);
      return exitCodeFor(e);
    }
    throw e;
  }
  if (!reply.ok) {
    err(`vrrp ${op}: ${reply.error}`);
    for (const d of reply.diagnostics ?? []) err(d);
    return ControlExit.failure;
  }
  out("message" in reply ? reply.message : `${op}: ok`);
  return ControlExit.ok;
}
