/**
 * `vrrp run`: the daemon in the foreground, systemd-friendly. Refuses to start (exit 1, one clear
 * line) before touching the host when privileges, the config or an existing interface are wrong
 * (a missing interface only keeps its instances in FAULT until it appears), and with exit 5 when
 * another daemon runs on the same control socket. SIGTERM and SIGINT stop it cleanly (exit 0);
 * SIGHUP reloads the config.
 */
import { formatDiagnostic } from "../../config/diagnostics.ts";
import { hasErrors, loadConfig } from "../../config/load.ts";
import { applyScriptChecks } from "../track/script_checks.ts";
import type { LoadResult } from "../../config/model.ts";
import { ControlError } from "../control/errors.ts";
import { type ControlServer, startControlServer } from "../control/server.ts";
import type { DaemonApi } from "../control/types.ts";
import { loadAdminState, saveAdminState } from "../daemon/admin_state.ts";
import { NotifyRunner } from "../daemon/notify.ts";
import type { TransitionInfo } from "../daemon/instance.ts";
import { Daemon } from "../daemon/daemon.ts";
import { DEFAULT_VIP_FAIL_TIMEOUT_MS } from "../daemon/instance.ts";
import { InterfaceError } from "../daemon/effects.ts";
import { Logger, type LogLevel } from "../daemon/logger.ts";
import { realEffects } from "../daemon/real_effects.ts";
import { parseListenAddress } from "../../config/listen.ts";
import type { MetricsServer } from "../metrics/server.ts";
import { VERSION } from "../version.ts";
import { LockFile } from "../../ffi/lock_file.ts";

/** Exit code when another daemon already runs on the same control socket (its lock is held). */
export const EXIT_ALREADY_RUNNING = 5;

/** The lock file that makes one daemon per control socket: `<socket>.lock`, beside it. */
export function lockPathFor(controlSocket: string): string {
  return `${controlSocket}.lock`;
}
import { applyProcessPriority } from "../daemon/process_priority.ts";
import { applyReceiveGather } from "../daemon/receive_gather.ts";

/** Options of `vrrp run`, as main.ts parses them. */
export interface RunOptions {
  file?: string;
  configId?: string;
  logLevel?: LogLevel;
  logFormat?: "text" | "json";
  socket?: string;
  stateDir?: string;
  /** `--metrics-listen`: overrides the config's `vrrp_metrics_listen` */
  metricsListen?: string;
  /** seconds a master may lack its VIPs before it gives way (default 5) */
  vipFailTimeout?: number | string;
}

/** Linux capability bits (linux/capability.h). */
const CAP_NET_ADMIN = 12;
const CAP_NET_RAW = 13;

/**
 * Why a process may not run the daemon, or null when it may: it needs the effective capabilities
 * CAP_NET_RAW and CAP_NET_ADMIN (`procStatus` is the text of /proc/self/status; when it has no
 * CapEff line, uid 0 decides).
 */
export function privilegeProblem(uid: number, procStatus: string | null): string | null {
  const m = procStatus?.match(/^CapEff:\s*([0-9a-f]+)$/m);
  const capEff = m ? BigInt(`0x${m[1]}`) : null;
  const has = (bit: number) => capEff !== null && ((capEff >> BigInt(bit)) & 1n) === 1n;
  if (capEff !== null ? has(CAP_NET_RAW) && has(CAP_NET_ADMIN) : uid === 0) return null;
  const missing = [
    has(CAP_NET_RAW) ? null : "CAP_NET_RAW",
    has(CAP_NET_ADMIN) ? null : "CAP_NET_ADMIN",
  ].filter((x) => x !== null).join(" and ");
  return `vrrp run needs root (or ${missing}); running as uid ${uid}`;
}

function currentPrivilegeProblem(): string | null {
  let uid = -1;
  try {
    uid = Deno.uid() ?? -1;
  } catch {
    // not on Linux
  }
  let status: string | null = null;
  try {
    status = Deno.readTextFileSync("/proc/self/status");
  } catch {
    // no /proc: decide on the uid alone
  }
  return privilegeProblem(uid, status);
}

/** Runs the daemon until SIGTERM/SIGINT; resolves to the exit code. */
export async function runDaemon(opts: RunOptions): Promise<number> {
  const problem = currentPrivilegeProblem();
  if (problem !== null) {
    console.error(`vrrp: ${problem}`);
    return 1;
  }
  const overrides = (r: LoadResult): LoadResult => {
    if (opts.socket !== undefined) r.config.global.controlSocket = opts.socket;
    if (opts.stateDir !== undefined) r.config.global.stateDir = opts.stateDir;
    // keepalived's load-time script rules: scripts it would not run are taken out, with a warning
    if (!hasErrors(r.diagnostics)) applyScriptChecks(r);
    return r;
  };
  // a reload parses in a worker with a time limit: the event loop (adverts) never waits for it
  // (loaded on the first reload: not on the way to the first advert)
  const reload = async (): Promise<LoadResult> => {
    const { loadConfigInWorker } = await import("../daemon/config_loader.ts");
    return overrides(await loadConfigInWorker(opts.file, opts.configId));
  };
  const loaded = overrides(await loadConfig(opts.file, { configId: opts.configId }));
  if (hasErrors(loaded.diagnostics)) {
    for (const d of loaded.diagnostics) console.error(formatDiagnostic(d));
    const n = loaded.diagnostics.filter((d) => d.severity === "error").length;
    console.error(`vrrp: ${loaded.source.file}: ${n} error(s); not starting`);
    return 1;
  }
  if (loaded.config.instances.length === 0) {
    console.error(`vrrp: ${loaded.source.file}: no vrrp_instance configured; not starting`);
    return 1;
  }
  const logger = new Logger({ level: opts.logLevel ?? "info", format: opts.logFormat ?? "text" });
  for (const d of loaded.diagnostics) logger.warn(formatDiagnostic(d));
  applyProcessPriority(loaded.config.global, logger);
  applyReceiveGather(loaded.config.instances);

  const { controlSocket } = loaded.config.global;
  // one daemon per control socket, decided by the kernel before anything else is touched
  const lockPath = lockPathFor(controlSocket);
  let lock: LockFile | null;
  try {
    await Deno.mkdir(lockPath.slice(0, Math.max(1, lockPath.lastIndexOf("/"))), {
      recursive: true,
      mode: 0o755,
    });
    lock = LockFile.tryAcquire(lockPath);
  } catch (err) {
    console.error(`vrrp: cannot take the lock ${lockPath}: ${String(err)}; not starting`);
    return 1;
  }
  if (lock === null) {
    console.error(
      `vrrp: another vrrp daemon is running on ${controlSocket} (it holds ${lockPath}); ` +
        `not starting`,
    );
    return EXIT_ALREADY_RUNNING;
  }
  try {
    const vipFailTimeoutMs = Number(opts.vipFailTimeout ?? DEFAULT_VIP_FAIL_TIMEOUT_MS / 1000) *
      1000;
    const metricsListen = opts.metricsListen ?? loaded.config.global.metricsListen;
    return await runLocked(loaded, logger, reload, { vipFailTimeoutMs, metricsListen });
  } finally {
    lock.release();
  }
}

async function runLocked(
  loaded: LoadResult,
  logger: Logger,
  load: () => Promise<LoadResult>,
  { vipFailTimeoutMs, metricsListen }: { vipFailTimeoutMs: number; metricsListen?: string },
): Promise<number> {
  const { controlSocket, stateDir } = loaded.config.global;
  const listen = metricsListen === undefined ? undefined : parseListenAddress(metricsListen);
  if (listen !== undefined && "error" in listen) {
    console.error(`vrrp: --metrics-listen: ${listen.error}`);
    return 2;
  }
  const admin = await loadAdminState(stateDir);
  if (admin.warning) logger.warn(admin.warning);

  const notify = new NotifyRunner({
    log: (level, msg) => logger.log(level, msg),
    timeoutMs: loaded.config.global.scriptTimeoutSec * 1000,
    user: loaded.config.global.scriptUser,
    group: loaded.config.global.scriptGroup,
  });
  // keepalived's notify_master/backup/fault on entering the state, notify_stop on shutdown
  const onTransition = (t: TransitionInfo) => {
    const kind = t.to === "initialize" ? (t.reason === "shutdown" ? "stop" : null) : t.to;
    if (kind !== null) notify.enqueue(t.cfg.name, kind, t.cfg.notify, t.effectivePriority);
  };

  // The sockets open and join the VRRP groups first, for the shortest way to the first advert
  // (issue 14); no instance runs and nothing on the host changes until opened.run() below, so
  // the control socket and the metrics listener can still refuse the start.
  // Signals are ours from here on: a SIGTERM during start-up ends the start cleanly (before the
  // host is touched, or by a normal shutdown once running), it never kills a half-started daemon.
  const stopped = Promise.withResolvers<void>();
  let running: Daemon | null = null;
  let stopSignal: string | null = null;
  const stopRunning = (d: Daemon) =>
    d.shutdown().then(() => stopped.resolve(), (err) => stopped.reject(err));
  const onStop = (signal: string) => () => {
    logger.info(`received ${signal}`);
    stopSignal ??= signal;
    if (running !== null) stopRunning(running);
  };
  const onHup = () => {
    logger.info("received SIGHUP");
    if (running !== null) void running.reload();
    else logger.warn("SIGHUP while starting: the configuration just read is used");
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", onStop("SIGTERM")],
    ["SIGINT", onStop("SIGINT")],
    ["SIGHUP", onHup],
  ];
  for (const [sig, fn] of handlers) Deno.addSignalListener(sig, fn);
  const removeHandlers = () => {
    for (const [sig, fn] of handlers) Deno.removeSignalListener(sig, fn);
  };

  let opened: Daemon;
  try {
    opened = await Daemon.open(loaded.config, {
      effects: realEffects(logger),
      logger,
      loadConfig: load,
      configFile: loaded.source.file,
      adminDownAtStart: admin.down,
      onAdminChange: (down) => saveAdminState(stateDir, down),
      onTransition,
      vipFailTimeoutMs,
      // keepalived runs a group's scripts with GROUP NAME STATE and priority 0
      onGroupTransition: (c) => notify.enqueue(c.group.name, c.to, c.group.notify, 0, true),
    });
  } catch (err) {
    removeHandlers();
    await notify.close();
    if (err instanceof InterfaceError) {
      console.error(`vrrp: ${err.message}`);
      return 1;
    }
    throw err;
  }

  // the control socket answers "starting" until the daemon runs
  let daemon: Daemon | null = null;
  const starting = { ok: false as const, error: "daemon is starting" };
  const api: DaemonApi = {
    status: (name) => daemon?.status(name) ?? starting,
    adminDown: (name) => daemon?.adminDown(name) ?? Promise.resolve(starting),
    adminUp: (name) => daemon?.adminUp(name) ?? Promise.resolve(starting),
    reload: () => daemon?.reload() ?? Promise.resolve(starting),
  };
  let control: ControlServer | null = null;
  let metrics: MetricsServer | null = null;
  /** Closes what is open; the start is refused with `code`. */
  const refuse = async (code: number): Promise<number> => {
    removeHandlers();
    await opened.shutdown();
    await control?.close();
    await metrics?.close();
    await notify.close();
    return code;
  };
  try {
    control = await startControlServer(controlSocket, api, (m) => logger.warn(m));
  } catch (err) {
    if (err instanceof ControlError && err.kind === "inUse") {
      console.error(`vrrp: another vrrp daemon answers on ${controlSocket}; not starting`);
      return await refuse(EXIT_ALREADY_RUNNING);
    }
    // the daemon keeps the VIPs alive without it; `vrrp status` will say it cannot connect
    logger.error(`control socket unavailable: ${err instanceof Error ? err.message : String(err)}`);
  }

  // the listener opens before anything changes on the host: an address in use refuses the start
  if (listen !== undefined) {
    // loaded only when configured: the metrics code is not on the way to the first advert
    const [{ renderMetricsBytes }, { startMetricsServer }] = await Promise.all([
      import("../metrics/exposition.ts"),
      import("../metrics/server.ts"),
    ]);
    /** One synchronous read of every counter; `keepalived_up 0` until the daemon is up. */
    const metricsPage = (): string | Uint8Array<ArrayBuffer> => {
      const snap = daemon?.snapshot();
      if (!snap?.ok) {
        return "# HELP keepalived_up Whether the VRRP daemon is up\n# TYPE keepalived_up gauge\n" +
          "keepalived_up 0\n";
      }
      return renderMetricsBytes(snap, { version: VERSION, notify: notify.stats() });
    };
    try {
      metrics = await startMetricsServer(listen, () => metricsPage(), (m) => logger.warn(m));
    } catch (err) {
      console.error(
        `vrrp: cannot serve metrics on ${metricsListen}: ${
          err instanceof Error ? err.message : String(err)
        }; not starting`,
      );
      return await refuse(1);
    }
  }

  // stopped while starting: nothing on the host has changed yet
  if (stopSignal !== null) return await refuse(0);
  try {
    await opened.run();
  } catch (err) {
    await refuse(1);
    throw err;
  }
  daemon = opened;
  if (control) logger.info(`control socket at ${controlSocket}`);
  if (metrics) logger.info(`metrics at http://${metrics.address}/metrics`);
  // threads the runtime started meanwhile (the poll() worker) get the same priority
  applyProcessPriority(loaded.config.global, logger, true);
  running = daemon;
  // a stop asked for while run() was starting the instances is carried out now
  if (stopSignal !== null) stopRunning(running);
  try {
    await stopped.promise;
  } finally {
    removeHandlers();
    await control?.close();
    await metrics?.close();
    await notify.close();
  }
  return 0;
}
