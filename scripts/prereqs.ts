/**
 * The Debian tools the demo (and the bench) drive, and how to get them: a fresh machine has
 * iproute2 but not ping, arping or nft. As root with apt-get at hand, missing ones are installed
 * (saying so); otherwise the exact command to run is printed.
 */

/** Command → the Debian package that provides it. */
export const DEMO_TOOLS: Readonly<Record<string, string>> = {
  ip: "iproute2",
  ping: "iputils-ping",
  arping: "arping",
  nft: "nftables",
};

const SEARCH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

/** Whether `name` is an executable file on PATH or in the usual system directories. */
export function hasCommand(name: string): boolean {
  const dirs = (Deno.env.get("PATH") ?? "").split(":").filter(Boolean).concat(SEARCH);
  return dirs.some((d) => {
    try {
      return Deno.statSync(`${d}/${name}`).isFile;
    } catch {
      return false;
    }
  });
}

/** The packages providing the commands of `tools` that are missing, deduplicated, sorted. */
export function missingPackages(
  tools: Readonly<Record<string, string>>,
  has: (cmd: string) => boolean = hasCommand,
): string[] {
  return [...new Set(Object.entries(tools).filter(([c]) => !has(c)).map(([, p]) => p))].sort();
}

/**
 * Makes sure every command of `tools` is there, installing the missing packages with apt-get when
 * that is possible. Returns null when all is well, else a one-line explanation.
 */
export async function ensureTools(
  tools: Readonly<Record<string, string>>,
  say: (line: string) => void,
): Promise<string | null> {
  const missing = missingPackages(tools);
  if (missing.length === 0) return null;
  const line = `apt-get update && apt-get install -y ${missing.join(" ")}`;
  if (Deno.uid() !== 0 || !hasCommand("apt-get")) return `missing ${missing.join(", ")}: ${line}`;
  say(`Installing missing Debian packages: ${missing.join(" ")} (apt-get)`);
  const env = { DEBIAN_FRONTEND: "noninteractive" };
  for (const args of [["update", "-qq"], ["install", "-y", "-qq", ...missing]]) {
    const r = await new Deno.Command("apt-get", { args, env, stdout: "null", stderr: "piped" })
      .output();
    if (!r.success) {
      const err = new TextDecoder().decode(r.stderr).trim().split("\n").pop() ?? "";
      return `apt-get ${args[0]} failed (${err}); run: ${line}`;
    }
  }
  const still = missingPackages(tools);
  return still.length === 0 ? null : `still missing after apt-get: ${still.join(", ")}`;
}
