/**
 * vrrp: the command tree, declared in one place. Each command lives in lib/cli/ and returns an
 * exit code; this file only parses arguments and maps errors to exit codes.
 */
import type { Command } from "@commander-js/extra-typings";
import { VERSION } from "./lib/version.ts";
import { parseRunArgs, RUN_OPTIONS } from "./lib/cli/run_options.ts";
import type { RunOptions } from "./lib/cli/run.ts";

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

/**
 * Builds the command tree; `setCode` receives the exit code of whichever command ran. Commander
 * is imported here, not at the top: `vrrp run` never loads it (see lib/cli/run_options.ts).
 */
export async function buildCli(setCode: (code: number) => void): Promise<Command> {
  const { Command, InvalidArgumentError, Option } = await import("@commander-js/extra-typings");
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

  // declared for `vrrp --help` and `vrrp help run`; main() parses `vrrp run` without commander
  const run = program.command("run").description("run the daemon in the foreground");
  for (const spec of RUN_OPTIONS) {
    const option = new Option(spec.flags, spec.description);
    if (spec.choices) option.choices(spec.choices);
    if (spec.default !== undefined) option.default(spec.default);
    const parse = spec.parse;
    if (parse) {
      option.argParser((text: string) => {
        try {
          return parse(text);
        } catch (err) {
          throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
        }
      });
    }
    run.addOption(option);
  }
  run.action(async (opts) => setCode(await runCommand(opts as RunOptions)));

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

async function runCommand(opts: RunOptions): Promise<number> {
  return await (await commands.run()).runDaemon(opts);
}

/** Runs the CLI with `args` and resolves to the exit code; never exits the process itself. */
export async function main(args: string[]): Promise<number> {
  if (args[0] === "run") {
    const parsed = parseRunArgs(args.slice(1));
    if (parsed.kind === "run") {
      try {
        return await runCommand(parsed.options);
      } catch (err) {
        return failed(err);
      }
    }
    if (parsed.kind === "help") {
      console.log(parsed.text);
      return Exit.ok;
    }
    console.error(`${parsed.message}\n\n(see vrrp run --help)`);
    return Exit.usage;
  }
  let code: number = Exit.ok;
  const program = await buildCli((c) => code = c);
  const { CommanderError } = await import("@commander-js/extra-typings");
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0
      return err.exitCode === 0 ? Exit.ok : Exit.usage;
    }
    return failed(err);
  }
  return code;
}

/** An error no command handled: one line, exit 1. */
function failed(err: unknown): number {
  console.error(`vrrp: ${err instanceof Error ? err.message : String(err)}`);
  return Exit.failure;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
