/**
 * vrrp: the command tree, declared in one place. Each command lives in lib/cli/ and returns an
 * exit code; this file only parses arguments and maps errors to exit codes.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import { VERSION } from "./lib/version.ts";

// Each command's module is loaded only when that command runs: the daemon then carries none of
// the decode, sniff, convert or status code (about a megabyte of RSS it would never use).
const commands = {
  check: () => import("./lib/cli/check.ts"),
  convert: () => import("./lib/cli/convert.ts"),
  decode: () => import("./lib/cli/decode.ts"),
  run: () => import("./lib/cli/run.ts"),
  status: () => import("./lib/cli/status.ts"),
  admin: () => import("./lib/cli/admin.ts"),
  sniff: () => import("./lib/cli/sniff.ts"),
};

/** Exit codes shared by every command. */
export const Exit = {
  ok: 0,
  failure: 1,
  usage: 2,
  noDaemon: 3,
  permissionDenied: 4,
  /** `vrrp run`: another daemon holds the control socket's lock (EXIT_ALREADY_RUNNING) */
  alreadyRunning: 5,
} as const;

const DEFAULT_SOCKET = "/run/vrrp/vrrp.sock";

/** Builds the command tree; `setCode` receives the exit code of whichever command ran. */
export function buildCli(setCode: (code: number) => void): Command {
  const program = new Command()
    .name("vrrp")
    .description("VRRPv2 (RFC 3768) high-availability daemon: keeps virtual IPs alive across hosts")
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError();

  const configOption = () =>
    new Option(
      "-f, --file <FILE>",
      "config file (default /etc/vrrp/vrrp.toml, then /etc/keepalived/keepalived.conf)",
    );
  const configIdOption = () =>
    new Option("--config-id <ID>", "id for @ID conditional lines (default: short hostname)");
  const socketOption = () =>
    new Option("--socket <PATH>", "control socket of the running daemon").default(DEFAULT_SOCKET);

  program.command("run")
    .description("run the daemon in the foreground")
    .addOption(configOption())
    .addOption(configIdOption())
    .addOption(
      new Option("--log-level <LEVEL>", "least severe level logged").choices(
        ["debug", "info", "warn", "error"] as const,
      ).default("info" as const),
    )
    .addOption(
      new Option("--log-format <FORMAT>", "log line format").choices(["text", "json"] as const)
        .default("text" as const),
    )
    .addOption(new Option("--socket <PATH>", "control socket path (overrides the config)"))
    .addOption(
      new Option("--state-dir <DIR>", "administrative state directory (overrides the config)"),
    )
    .addOption(
      new Option(
        "--metrics-listen <ADDR:PORT>",
        "serve Prometheus metrics at http://ADDR:PORT/metrics; a bare PORT means 127.0.0.1 " +
          "(overrides the config; off by default)",
      ),
    )
    .addOption(
      new Option(
        "--vip-fail-timeout <SECONDS>",
        "a master whose VIPs cannot be configured for this long gives way (FAULT)",
      ).default("5").argParser((v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0 || n > 3600) {
          throw new InvalidArgumentError("expected seconds, more than 0 and at most 3600");
        }
        return n;
      }),
    )
    .action(async (opts) => setCode(await (await commands.run()).runDaemon(opts)));

  program.command("status")
    .description("show the live state of the running daemon")
    .argument("[NAME]", "only this instance")
    .option("--json", "machine-readable output (see docs/control.md)")
    .option("--watch", "redraw on every change")
    .addOption(socketOption())
    .action(async (name, opts) => setCode(await (await commands.status()).runStatus(name, opts)));

  program.command("up")
    .description("administratively bring an instance back into the election")
    .argument("<NAME>", "instance name")
    .addOption(socketOption())
    .action(async (name, opts) =>
      setCode(await (await commands.admin()).runAdmin("up", name, opts))
    );

  program.command("down")
    .description("planned maintenance: hand over at once and stay out of the election")
    .argument("<NAME>", "instance name")
    .addOption(socketOption())
    .action(async (name, opts) =>
      setCode(await (await commands.admin()).runAdmin("down", name, opts))
    );

  program.command("reload")
    .description("ask the daemon to re-read its config and report the outcome")
    .addOption(socketOption())
    .action(async (opts) =>
      setCode(await (await commands.admin()).runAdmin("reload", undefined, opts))
    );

  program.command("check")
    .description("validate a config file; never touches the host")
    .addOption(configOption())
    .addOption(configIdOption())
    .option("--json", "machine-readable diagnostics")
    .action(async (opts) => setCode(await (await commands.check()).runCheck(opts)));

  program.command("convert")
    .description("print the equivalent config in the other format")
    .addOption(configOption().makeOptionMandatory())
    .addOption(configIdOption())
    .addOption(
      new Option("--to <FORMAT>", "output format").choices(["toml", "keepalived"] as const)
        .default("toml" as const),
    )
    .action(async (opts) => setCode(await (await commands.convert()).runConvert(opts)));

  program.command("decode")
    .description("decode VRRP and ARP packets from a pcap file (- for stdin) or hex")
    .argument("[FILE]", "classic libpcap capture")
    .option("--hex <HEX>", "one IPv4 packet or bare VRRP message as hex")
    .option("--json", "one JSON object per packet")
    .action(async (file, opts) => setCode(await (await commands.decode()).runDecode(file, opts)));

  program.command("sniff")
    .description("live view of every VRRP advert on an interface, grouped by VRID (root)")
    .argument("<IFACE>", "interface to listen on")
    .option("--json", "one JSON object per advert")
    .option("--duration <SECONDS>", "stop after this many seconds")
    .action(async (iface, opts) => setCode(await (await commands.sniff()).runSniff(iface, opts)));

  return program;
}

/** Runs the CLI with `args` and resolves to the exit code; never exits the process itself. */
export async function main(args: string[]): Promise<number> {
  let code: number = Exit.ok;
  const program = buildCli((c) => code = c);
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0
      return err.exitCode === 0 ? Exit.ok : Exit.usage;
    }
    console.error(`vrrp: ${err instanceof Error ? err.message : String(err)}`);
    return Exit.failure;
  }
  return code;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
