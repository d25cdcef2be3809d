/**
 * Runs keepalived 2.2.7 (`/usr/sbin/keepalived`) inside a lab node for interop tests: its own
 * config copy, pid files and log, VRRP subsystem only, in the foreground. Nothing it writes is
 * shared with any other process; only processes it started are ever signalled, by PID.
 */
import assert from "node:assert/strict";
import type { Lab, LabProcess } from "./lab.ts";

/** Where the Debian package installs it. */
export const KEEPALIVED = "/usr/sbin/keepalived";

/** A keepalived started by {@link startKeepalived}. */
export interface Keepalived {
  readonly proc: LabProcess;
  /** everything it logged (stdout and stderr) */
  log(): string;
  /** the VRRP child's pid, from its pid file (null if not written yet) */
  vrrpPid(): Promise<number | null>;
  /** SIGKILL to the VRRP child, then to the parent: a crash, no priority-0 advert */
  crash(): Promise<void>;
  /** SIGTERM (keepalived sends priority 0 and removes its VIPs); resolves with the exit code */
  stop(): Promise<number>;
}

/** Log lines that would mean keepalived rejected a packet (config-file lines excluded). */
export function packetErrors(log: string): string[] {
  return log.split("\n")
    .filter((l) => !/Line \d+\)/.test(l)) // config diagnostics, e.g. "Truncating auth_pass"
    // election, not a packet error: a backup about to preempt ignores a lower-priority master
    .filter((l) => !/received lower priority \(\d+\) advert from .* - discarding/.test(l))
    .filter((l) =>
      /invalid|bad |checksum|ttl|auth|mismatch|wrong|malformed|discard|error|ignoring/i.test(l)
    );
}

/**
 * Interop's last word: keepalived peers logged no packet errors and vrrp peers dropped nothing.
 */
export function assertCleanLogs(peers: readonly { kind: string; log(): string }[]): void {
  for (const p of peers) {
    const log = p.log();
    if (p.kind === "keepalived") assert.deepEqual(packetErrors(log), []);
    else assert.doesNotMatch(log, /dropped packet/);
  }
}

/**
 * Starts keepalived in `node` with a copy of `config` under `tmp`, and waits for its VRRP child
 * to finish starting.
 */
export async function startKeepalived(
  lab: Lab,
  node: string,
  config: string,
  tmp: string,
): Promise<Keepalived> {
  const conf = `${tmp}/${node}-keepalived.conf`;
  const pid = `${tmp}/${node}-keepalived.pid`;
  const vrrpPidFile = `${tmp}/${node}-keepalived-vrrp.pid`;
  await Deno.copyFile(config, conf);
  await Deno.remove(vrrpPidFile).catch(() => {});
  const proc = lab.spawn(node, [
    KEEPALIVED,
    "--dont-fork",
    "--log-console",
    "--log-detail",
    "--no-syslog",
    "--vrrp",
    "--no_bfd",
    "--dont-respawn",
    "--use-file",
    conf,
    "--pid",
    pid,
    "--vrrp_pid",
    vrrpPidFile,
  ]);
  const vrrpPid = async (): Promise<number | null> => {
    try {
      const n = Number((await Deno.readTextFile(vrrpPidFile)).trim());
      return Number.isInteger(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  };
  const child = { pid: null as number | null };
  try {
    await proc.waitFor(/Startup complete/, 15_000);
    child.pid = await vrrpPid();
  } catch (err) {
    proc.kill("SIGKILL");
    throw err;
  }
  return {
    proc,
    log: () => proc.stdout() + proc.stderr(),
    vrrpPid,
    async crash() {
      if (child.pid !== null) {
        try {
          Deno.kill(child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
      proc.kill("SIGKILL");
      await proc.status;
    },
    async stop() {
      return (await proc.stop(5000)).code;
    },
  };
}
