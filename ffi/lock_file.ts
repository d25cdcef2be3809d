/**
 * An exclusive advisory lock on a file (flock(2), LOCK_EX | LOCK_NB): one daemon per control
 * socket. The kernel drops the lock when the process exits, however it exits, so a crash never
 * leaves a stale lock behind (unlike a pid file). The file itself is never removed: removing a
 * lock file while another process waits on it would let two holders in.
 */
import { libc, LOCK_EX, LOCK_NB, O_CLOEXEC, O_RDWR } from "./libc.ts";
import { EAGAIN, lastErrno, OsError, strerror } from "./errors.ts";
import { cString } from "./structs.ts";

/** A held lock; {@link LockFile.release} (or the process ending) frees it. */
export class LockFile {
  #fd: number;

  private constructor(readonly path: string, fd: number) {
    this.#fd = fd;
  }

  /**
   * Creates `path` if needed (mode 0600) and takes the lock without waiting. Null when another
   * process holds it; throws OsError when the file cannot be created or opened.
   */
  static tryAcquire(path: string): LockFile | null {
    // created through Deno (open(2) with O_CREAT needs a mode, a variadic argument)
    Deno.openSync(path, { create: true, write: true, mode: 0o600 }).close();
    const c = libc();
    const fd = c.open(cString(path), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
      const errno = lastErrno();
      throw new OsError("open", errno, `${strerror(errno)} (${path})`);
    }
    if (c.flock(fd, LOCK_EX | LOCK_NB) < 0) {
      const errno = lastErrno();
      c.close(fd);
      if (errno === EAGAIN) return null;
      throw new OsError("flock", errno, `${strerror(errno)} (${path})`);
    }
    return new LockFile(path, fd);
  }

  /** Frees the lock (closing the descriptor); idempotent. */
  release(): void {
    if (this.#fd < 0) return;
    libc().close(this.#fd);
    this.#fd = -1;
  }
}
