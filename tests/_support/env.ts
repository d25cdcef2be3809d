/**
 * Gates for tests that need root or a Debian package. On a developer's laptop they skip with a
 * visible notice; under CI=true they must run, so a missing prerequisite fails the test instead.
 */

const inCi = Deno.env.get("CI") === "true";

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

function hasCommand(name: string): boolean {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":").concat(["/usr/sbin", "/sbin"])) {
    try {
      if (Deno.statSync(`${dir}/${name}`).isFile) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * Returns a reason to skip, or null when everything needed is here.
 * Under CI=true it throws instead of returning a reason.
 */
export function missingPrerequisite(opts: { root?: boolean; commands?: string[] }): string | null {
  const missing: string[] = [];
  if (opts.root && !isRoot()) missing.push("root");
  for (const c of opts.commands ?? []) if (!hasCommand(c)) missing.push(`command ${c}`);
  if (missing.length === 0) return null;
  const reason = `needs ${missing.join(", ")}`;
  if (inCi) throw new Error(`CI=true but this test ${reason}`);
  return reason;
}

/**
 * `Deno.test` for tests with prerequisites: skipped with a printed notice when they are missing
 * (never under CI=true, where the missing prerequisite is a failure).
 */
export function testWith(
  name: string,
  needs: { root?: boolean; commands?: string[] },
  fn: (t: Deno.TestContext) => Promise<void> | void,
): void {
  let reason: string | null = null;
  let ciError: Error | null = null;
  try {
    reason = missingPrerequisite(needs);
  } catch (err) {
    ciError = err as Error;
  }
  if (reason !== null) {
    console.warn(`SKIP ${name}: ${reason}`);
    Deno.test({ name: `${name} (skipped: ${reason})`, ignore: true, fn: () => {} });
    return;
  }
  Deno.test({
    name,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: ciError ? () => Promise.reject(ciError) : fn,
  });
}
