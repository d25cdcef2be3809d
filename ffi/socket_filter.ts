/** setsockopt(SO_ATTACH_FILTER) for any socket: the kernel then queues only what a program accepts. */
import { libc, SO_ATTACH_FILTER, SOL_SOCKET } from "./libc.ts";
import { check } from "./errors.ts";

/** sizeof(struct sock_fprog) on x86_64: an unsigned short, padding, a pointer. */
const SOCK_FPROG_BYTES = 16;

/**
 * Attaches (or replaces, atomically for the socket) the classic BPF `program` (8 bytes per
 * instruction) on `fd`; throws OsError. `what` names the socket in errors.
 */
export function attachSocketFilter(fd: number, program: Uint8Array, what: string): void {
  const fprog = new Uint8Array(SOCK_FPROG_BYTES);
  const v = new DataView(fprog.buffer);
  v.setUint16(0, program.length / 8, true);
  const ptr = Deno.UnsafePointer.of(program as Uint8Array<ArrayBuffer>);
  v.setBigUint64(8, BigInt(Deno.UnsafePointer.value(ptr)), true);
  // the kernel copies the program during the call
  check(
    "setsockopt(SO_ATTACH_FILTER)",
    libc().setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, SOCK_FPROG_BYTES),
    what,
  );
}
