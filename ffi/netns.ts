/**
 * Running synchronous code with the calling thread in another network namespace. Sockets keep
 * the namespace they were created in, so tests can open sockets in several namespaces from one
 * process. Only the main thread moves, and it is moved back before returning.
 */

import { CLONE_NEWNET, libc, O_CLOEXEC, O_RDONLY } from "./libc.ts";
import { check } from "./errors.ts";
import { cString } from "./structs.ts";

/** Runs `fn` inside the named namespace (`/run/netns/<name>`, as `ip netns add` makes it). */
export function inNetns<T>(name: string, fn: () => T): T {
  const c = libc();
  const own = check("open", c.open(cString("/proc/thread-self/ns/net"), O_RDONLY | O_CLOEXEC));
  try {
    const target = check("open", c.open(cString(`/run/netns/${name}`), O_RDONLY | O_CLOEXEC), name);
    try {
      check("setns", c.setns(target, CLONE_NEWNET), name);
    } finally {
      c.close(target);
    }
    try {
      return fn();
    } finally {
      check("setns", c.setns(own, CLONE_NEWNET), "back to the original namespace");
    }
  } finally {
    c.close(own);
  }
}
