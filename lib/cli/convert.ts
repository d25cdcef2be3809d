/**
 * `vrrp convert`: print the equivalent config in the other format. Diagnostics go to stderr;
 * with errors nothing is printed. Exit 0: printed; 1: config errors; 2: no readable file.
 */
import { hasErrors, loadConfig } from "../../config/load.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";
import { toKeepalived, toToml } from "../../config/convert.ts";

/** Options commander hands over. */
export interface ConvertOptions {
  file: string;
  configId?: string;
  to: "toml" | "keepalived";
}

/** Runs `vrrp convert` and resolves to its exit code. */
export async function runConvert(opts: ConvertOptions): Promise<number> {
  try {
    await Deno.stat(opts.file);
  } catch {
    console.error(`vrrp convert: cannot read ${opts.file}: no such file`);
    return 2;
  }
  const result = await loadConfig(opts.file, { configId: opts.configId, asWritten: true });
  for (const d of result.diagnostics) console.error(formatDiagnostic(d));
  if (hasErrors(result.diagnostics)) {
    console.error("vrrp convert: the config has errors; nothing converted");
    return 1;
  }
  const text = opts.to === "toml" ? toToml(result.config) : toKeepalived(result.config);
  await Deno.stdout.write(new TextEncoder().encode(text));
  return 0;
}
