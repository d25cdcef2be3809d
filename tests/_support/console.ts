/** Runs `fn` with console.log/error captured; resolves to its exit code and the lines printed. */
export async function captured(fn: () => Promise<number>) {
  const out: string[] = [];
  const err: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => out.push(a.join(" "));
  console.error = (...a: unknown[]) => err.push(a.join(" "));
  try {
    const code = await fn();
    return { code, out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}
