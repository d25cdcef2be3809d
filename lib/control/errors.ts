/** Typed failures of the control socket, for the client and for starting the server. */

/** Why talking to (or starting) the control socket failed. */
export const ControlErrorKind = {
  /** no socket file, or nothing listening on it (ENOENT, ECONNREFUSED) */
  noDaemon: "noDaemon",
  /** the socket or its directory is not ours to use (EACCES, EPERM) */
  permissionDenied: "permissionDenied",
  /** the daemon did not answer in time */
  timeout: "timeout",
  /** the daemon answered something that is not a reply, or hung up without one */
  protocol: "protocol",
  /** server start: another daemon answers on the socket */
  inUse: "inUse",
  /** server start: the path exists and is not a socket, or cannot be created */
  setup: "setup",
} as const;
export type ControlErrorKind = typeof ControlErrorKind[keyof typeof ControlErrorKind];

/** A control-socket failure with a kind the CLI maps to an exit code and a one-line message. */
export class ControlError extends Error {
  constructor(readonly kind: ControlErrorKind, readonly path: string, message: string) {
    super(message);
    this.name = "ControlError";
  }
}

/** Classifies an error thrown by `Deno.connect`/`Deno.listen` on `path`. */
export function controlErrorFrom(err: unknown, path: string): ControlError {
  if (err instanceof ControlError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.ConnectionRefused) {
    return new ControlError(
      "noDaemon",
      path,
      `no daemon is running (no control socket at ${path})`,
    );
  }
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    return new ControlError(
      "permissionDenied",
      path,
      `permission denied on the control socket ${path} (run as root or as the daemon's user)`,
    );
  }
  return new ControlError("protocol", path, `control socket ${path}: ${detail}`);
}

/** CLI exit codes for control commands (documented in docs/control.md). */
export const ControlExit = {
  ok: 0,
  failure: 1,
  noDaemon: 3,
  permissionDenied: 4,
} as const;

/** The exit code for a failed request. */
export function exitCodeFor(err: ControlError): number {
  switch (err.kind) {
    case "noDaemon":
      return ControlExit.noDaemon;
    case "permissionDenied":
      return ControlExit.permissionDenied;
    default:
      return ControlExit.failure;
  }
}
