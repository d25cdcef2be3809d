/**
 * The runtime flags the daemon runs with: baked into the `deno compile` binary by
 * scripts/build.ts and passed by everything that starts the daemon with `deno run` (tests,
 * demo, bench), so they all measure the same process.
 *
 * Measured on the namespace lab (one sample each, 15-60 s windows):
 * - 255-instance master: RSS 113 MB without V8 flags, 103 MB with {@link DAEMON_V8_FLAGS}, CPU
 *   unchanged. `--lite-mode` saved 10 MB more but doubled the CPU, so it is not used.
 * - example config, V8 code cache (no `--no-code-cache`): it makes loading the daemon's ~80
 *   modules 13-17 ms shorter; spawn -> group joined 104-118 -> 96-104 ms, -> instances'
 *   timers started 115-135 -> 115-120 ms (medians of 6-12 alternating starts each, 2026-12-03);
 *   RSS 52.8 -> 53.2 MB (median of 6, 5 s after spawn). Issue 14 wants start-up no slower
 *   than keepalived and RSS <= 45 MB, both missed either way (README): the cache takes 5-8% off
 *   the start-up miss and adds 5% to the RSS miss. A `deno compile` binary keeps its own, `$TMPDIR/deno-compile-vrrp.cache`
 *   written on its first start (vrrp.service: the unit's private /tmp).
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
export const DAEMON_DENO_FLAGS: readonly string[] = [DAEMON_V8_FLAGS_ARG];
