/**
 * The runtime flags the daemon runs with: baked into the `deno compile` binary by
 * scripts/build.ts and passed by everything that starts the daemon with `deno run` (tests,
 * demo, bench), so they all measure the same process.
 *
 * Measured on the namespace lab (one sample each, 15-60 s windows):
 * - 255-instance master: RSS 113 MB without V8 flags, 103 MB with {@link DAEMON_V8_FLAGS}, CPU
 *   unchanged. `--lite-mode` saved 10 MB more but doubled the CPU, so it is not used.
 * - example config: RSS 61.2 MB -> 59.5 MB with `--no-code-cache` (the V8 code cache is a
 *   1.6 MB file mapping); it costs about 25 ms of start-up (103 -> 128 ms to "started").
 * The rest of the example config's RSS is mostly the Deno runtime itself (an empty script: 35 MB).
 */

/** Young-generation semi-spaces of 1 MB (V8's default grows to 16 MB); GC on the main thread. */
export const DAEMON_V8_FLAGS: readonly string[] = [
  "--max-semi-space-size=1",
  "--single-threaded-gc",
];

/** The `deno run` / `deno compile` option carrying {@link DAEMON_V8_FLAGS}. */
export const DAEMON_V8_FLAGS_ARG = `--v8-flags=${DAEMON_V8_FLAGS.join(",")}`;

/** Every `deno run` / `deno compile` option of the daemon, before the entry point. */
export const DAEMON_DENO_FLAGS: readonly string[] = ["--no-code-cache", DAEMON_V8_FLAGS_ARG];
