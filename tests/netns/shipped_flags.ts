/** The permission flags of the shipped binary, as `deno run` takes them (for real-wire tests). */
import assert from "node:assert/strict";
import { compileArgs } from "../../scripts/build.ts";

/**
 * The permission flags of the shipped binary, as `deno run` takes them; `socketPaths` and
 * `metricsListen` as `scripts/build.ts --allow-socket-paths` / `--metrics-listen` bake them in.
 */
export function shippedRunFlags(socketPaths?: string[], metricsListen?: string): string[] {
  const args = compileArgs({ socketPaths, metricsListen });
  assert.equal(args[0], "compile");
  const out: string[] = [];
  for (let i = 1; i < args.length; i++) {
    if (args[i] === "-o") {
      i++; // its value
      continue;
    }
    if (args[i].startsWith("--include=")) continue; // compile-only
    if (args[i].startsWith("--")) out.push(args[i]);
  }
  return out;
}
