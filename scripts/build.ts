/**
 * Builds the single `dist/vrrp` binary with `deno compile`, for the current platform, with the
 * smallest permission set the daemon and the CLI need (each flag is explained in PERMISSIONS).
 *
 *   deno run --allow-read --allow-write --allow-env --allow-run scripts/build.ts [--dry-run]
 *
 * `--dry-run` prints the exact command (shell-quoted) and exits without running it. `DENORT_BIN`
 * (a local denort binary, for building offline) is passed through to `deno compile`, which reads it.
 */
import { formatListenAddress, parseListenAddress } from "../config/listen.ts";
import { socketNetPaths } from "../lib/control/server.ts";
import { DAEMON_DENO_FLAGS } from "../lib/daemon/v8_flags.ts";
import { shellQuote } from "../lib/track/command.ts";

/** Worker entry points the binary must carry (lib/daemon/config_loader.ts). */
export const WORKER_MODULES = ["lib/daemon/config_worker.ts"];

/** The default control socket (config/defaults.ts). */
const DEFAULT_SOCKET = "/run/vrrp/vrrp.sock";

/**
 * `--allow-net` for the control sockets at `paths` only (the socket and its bind-time name),
 * plus exactly the metrics listen address when one is given (`IP:PORT`, already canonical).
 */
export function socketNetFlag(paths: string[], metricsListen?: string): string {
  const unix = paths.flatMap(socketNetPaths).map((p) => `unix:${p}`);
  return `--allow-net=${[...unix, ...(metricsListen ? [metricsListen] : [])].join(",")}`;
}

/** The canonical `IP:PORT` of a `--metrics-listen` value (a bare port is 127.0.0.1); throws. */
export function metricsNetAddress(text: string): string {
  const listen = parseListenAddress(text);
  if ("error" in listen) throw new Error(listen.error);
  return formatListenAddress(listen);
}

/** The permission flags baked into the binary, and why each is needed. */
export const PERMISSIONS: { flag: string; why: string }[] = [
  {
    flag: "--allow-read",
    why: "config files (-f, any path), track_file paths, scripts, /etc/passwd (script_user), " +
      "the control socket, pcap files for `vrrp decode`",
  },
  {
    flag: "--allow-write=/run/vrrp,/var/lib/vrrp",
    why: "the control socket (RuntimeDirectory) and admin-state.json (StateDirectory); " +
      "a unix socket needs read+write on its path",
  },
  {
    flag: socketNetFlag([DEFAULT_SOCKET]),
    why: "the control socket: Deno 2 also asks net access for a unix socket, by its exact " +
      "path (no directory scope), for `vrrp run` (which binds `.vrrp.sock.tmp` and renames " +
      "it) and the CLI alike; nothing else on the network (VRRP goes through FFI raw sockets), " +
      "unless --metrics-listen adds exactly that one listen address",
  },
  {
    flag: "--allow-run=ip,setsid",
    why: "`ip` adds/removes VIPs; every notify and vrrp_script runs through `setsid` " +
      "(its own process group, and setpriv for script_user), so no other binary is spawned directly",
  },
  {
    flag: "--allow-ffi",
    why: "libc: raw IP socket (protocol 112), packet socket for GARP, ioctls",
  },
  {
    flag: "--allow-env=NO_COLOR,FORCE_COLOR,CLICOLOR_FORCE,VRRP_WATCH_ITERATIONS",
    why: "commander's colour switches; `vrrp status --watch` iteration limit",
  },
  { flag: "--allow-sys=hostname,uid", why: "default config id (short hostname); root checks" },
];

/** The argv of `deno compile` (without the deno binary itself); the daemon's V8 flags are baked in. */
export function compileArgs(
  opts: {
    output?: string;
    entry?: string;
    writePaths?: string[];
    socketPaths?: string[];
    /** the `vrrp run --metrics-listen` address the binary may listen on (none by default) */
    metricsListen?: string;
  } = {},
): string[] {
  const metrics = opts.metricsListen === undefined
    ? undefined
    : metricsNetAddress(opts.metricsListen);
  const perms = PERMISSIONS.map((p) =>
    opts.writePaths && p.flag.startsWith("--allow-write=")
      ? `--allow-write=${opts.writePaths.join(",")}`
      : (opts.socketPaths || metrics) && p.flag.startsWith("--allow-net=")
      ? socketNetFlag(opts.socketPaths ?? [DEFAULT_SOCKET], metrics)
      : p.flag
  );
  return [
    "compile",
    "--no-prompt",
    ...perms,
    ...DAEMON_DENO_FLAGS,
    // the reload's config parser runs in a Worker, a module deno compile cannot see statically
    ...WORKER_MODULES.map((m) => `--include=${m}`),
    "-o",
    opts.output ?? "dist/vrrp",
    opts.entry ?? "main.ts",
  ];
}

const USAGE = `usage: scripts/build.ts [--dry-run] [--output PATH] [--allow-write-paths A,B]
                        [--allow-socket-paths S] [--metrics-listen ADDR:PORT]
  --dry-run              print the deno compile command and exit 0
  --output PATH          binary to write (default dist/vrrp)
  --allow-write-paths    replaces /run/vrrp,/var/lib/vrrp (for a non-default socket or state dir)
  --allow-socket-paths   replaces /run/vrrp/vrrp.sock (the control socket paths it may use)
  --metrics-listen       lets the binary listen on exactly ADDR:PORT (a bare PORT: 127.0.0.1)
                         for vrrp run --metrics-listen / vrrp_metrics_listen; default: none
env DENORT_BIN           a local denort binary for deno compile (offline builds)`;

/** Runs the build with `args`; resolves to the exit code. */
export async function build(
  args: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => console.log(s),
    err: (s) => console.error(s),
  },
): Promise<number> {
  let dryRun = false;
  let output: string | undefined;
  let writePaths: string[] | undefined;
  let socketPaths: string[] | undefined;
  let metricsListen: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    const value = (name: string) => {
      const eq = a.indexOf("=");
      if (eq >= 0) return a.slice(eq + 1);
      if (i + 1 >= args.length) throw new Error(`${name} needs a value`);
      return args[++i];
    };
    try {
      if (a === "--dry-run") dryRun = true;
      else if (a === "--output" || a.startsWith("--output=")) output = value("--output");
      else if (a === "--allow-write-paths" || a.startsWith("--allow-write-paths=")) {
        writePaths = value("--allow-write-paths").split(",").filter((p) => p !== "");
      } else if (a === "--allow-socket-paths" || a.startsWith("--allow-socket-paths=")) {
        socketPaths = value("--allow-socket-paths").split(",").filter((p) => p !== "");
      } else if (a === "--metrics-listen" || a.startsWith("--metrics-listen=")) {
        metricsListen = value("--metrics-listen");
        metricsNetAddress(metricsListen); // a bad address is a usage error
      } else if (a === "-h" || a === "--help") {
        io.out(USAGE);
        return 0;
      } else {
        io.err(`build: unknown argument ${JSON.stringify(a)}\n${USAGE}`);
        return 2;
      }
    } catch (e) {
      io.err(`build: ${(e as Error).message}`);
      return 2;
    }
  }
  const deno = Deno.execPath();
  const argv = compileArgs({ output, writePaths, socketPaths, metricsListen });
  const denort = Deno.env.get("DENORT_BIN");
  const prefix = denort ? `DENORT_BIN=${shellQuote([denort])} ` : "";
  if (denort) io.out(`build: using DENORT_BIN=${denort}`);
  io.out(prefix + shellQuote([deno, ...argv]));
  if (dryRun) return 0;
  await Deno.mkdir((output ?? "dist/vrrp").replace(/\/[^/]*$/, "") || ".", { recursive: true });
  // the child inherits the environment, DENORT_BIN included
  const status = await new Deno.Command(deno, { args: argv, stdout: "inherit", stderr: "inherit" })
    .spawn().status;
  if (!status.success) io.err(`build: deno compile failed (exit ${status.code})`);
  return status.code;
}

if (import.meta.main) {
  Deno.exit(await build(Deno.args));
}
