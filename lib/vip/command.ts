/** Running external commands behind a small interface, so the VIP logic is unit-testable. */

/** What a finished command reported. */
export interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `argv` (argv[0] is the program), feeding `stdin` when given. Never throws for a non-zero exit. */
export type CommandRunner = (argv: string[], stdin?: string) => Promise<CommandOutput>;

/** The real runner: `Deno.Command`; a program that cannot start yields code 127 and the error as stderr. */
export const denoCommandRunner: CommandRunner = async (argv, stdin) => {
  try {
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    if (stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(stdin));
      await w.close();
    }
    const out = await child.output();
    const d = new TextDecoder();
    return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
  } catch (err) {
    return { code: 127, stdout: "", stderr: `${argv[0]}: ${(err as Error).message}` };
  }
};

/** A runner that runs every command inside network namespace `ns` (`ip netns exec`). */
export function netnsRunner(ns: string, inner: CommandRunner = denoCommandRunner): CommandRunner {
  return (argv, stdin) => inner(["ip", "netns", "exec", ns, ...argv], stdin);
}
