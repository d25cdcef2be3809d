/** Sub-millisecond waits without blocking the event loop: usleep() on a worker thread. */

import { libc } from "./libc.ts";

/** Resolves after about `micros` microseconds (usleep on a worker thread; never rejects). */
export async function sleepMicros(micros: number): Promise<void> {
  const us = Math.max(0, Math.min(0xffffffff, Math.round(micros)));
  if (us === 0) return;
  await libc().usleep(us);
}
