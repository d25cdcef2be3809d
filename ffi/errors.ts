/** Failed system calls as typed errors, with errno read right after the failing call. */

import { libc } from "./libc.ts";

/** errno numbers (Linux) to their symbolic names, for the ones this layer can meet. */
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  4: "EINTR",
  5: "EIO",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  19: "ENODEV",
  22: "EINVAL",
  23: "ENFILE",
  24: "EMFILE",
  25: "ENOTTY",
  28: "ENOSPC",
  32: "EPIPE",
  88: "ENOTSOCK",
  90: "EMSGSIZE",
  92: "ENOPROTOOPT",
  93: "EPROTONOSUPPORT",
  95: "EOPNOTSUPP",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  101: "ENETUNREACH",
  105: "ENOBUFS",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
};

/** errno value for "try again" (also EWOULDBLOCK). */
export const EAGAIN = 11;
/** errno value for "interrupted system call". */
export const EINTR = 4;
/** errno value for "no such device". */
export const ENODEV = 19;

/** A failed system call: which one, its errno, and the symbolic code (e.g. `EBADF`). */
export class OsError extends Error {
  /** e.g. `"EBADF"`; `"E<number>"` for an errno this module has no name for. */
  readonly code: string;

  constructor(readonly syscall: string, readonly errno: number, message?: string) {
    const code = ERRNO_NAMES[errno] ?? `E${errno}`;
    super(`${syscall}: ${message ?? code} (${code}, errno ${errno})`);
    this.name = "OsError";
    this.code = code;
  }
}

/** The calling thread's errno. Call it as the very next FFI call after the one that failed. */
export function lastErrno(): number {
  const ptr = libc().__errno_location();
  if (ptr === null) return 0;
  return new Deno.UnsafePointerView(ptr).getInt32();
}

/** The C library's text for an errno. */
export function strerror(errno: number): string {
  const ptr = libc().strerror(errno);
  return ptr === null ? `errno ${errno}` : Deno.UnsafePointerView.getCString(ptr);
}

/**
 * Reads errno now (the caller has just seen `syscall` fail) and returns the error to throw.
 * `detail` is added to the message, e.g. the interface name.
 */
export function osErrorNow(syscall: string, detail?: string): OsError {
  const errno = lastErrno();
  const text = strerror(errno);
  return new OsError(syscall, errno, detail ? `${text} (${detail})` : text);
}

/** Throws an OsError for `syscall` when `result` is negative; returns the result as a number. */
export function check(syscall: string, result: number | bigint, detail?: string): number {
  const n = Number(result);
  if (n < 0) throw osErrorNow(syscall, detail);
  return n;
}
