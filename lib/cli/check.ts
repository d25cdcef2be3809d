/**
 * `vrrp check`: parse and validate a config, print diagnostics and a summary of the instances.
 * Never opens sockets or touches addresses. Exit 0: no errors; 1: errors; 2: no readable file.
 */
import { configFamily } from "../../config/inherit.ts";
import { hasErrors, loadConfig } from "../../config/load.ts";
import { applyScriptChecks } from "../track/script_checks.ts";
import { formatDiagnostic } from "../../config/diagnostics.ts";
import { DEFAULT_CONFIG_PATHS } from "../../config/defaults.ts";
import type { InstanceConfig, LoadResult } from "../../config/model.ts";

/** Options commander hands over. */
export interface CheckOptions {
  file?: string;
  configId?: string;
  json?: true | boolean;
}

/** One line of the summary, as the JSON output carries it. */
export interface InstanceSummary {
  name: string;
  interface: string;
  vrid: number;
  priority: number;
  state: "MASTER" | "BACKUP";
  vips: number;
  /** VRRP version and address family, as the daemon would run it */
  version: 2 | 3;
  family: "ipv4" | "ipv6";
}

function summarize(i: InstanceConfig): InstanceSummary {
  return {
    name: i.name,
    interface: i.interface,
    vrid: i.vrid,
    priority: i.priority,
    state: i.initialState,
    vips: i.vips.length,
    version: i.version,
    family: configFamily(i),
  };
}

/** Is there a file to read? (a missing file is a usage error, not a config error) */
async function readable(path: string | undefined): Promise<string | null> {
  const candidates = path === undefined ? DEFAULT_CONFIG_PATHS : [path];
  for (const p of candidates) {
    try {
      if ((await Deno.stat(p)).isFile) return null;
      if (path !== undefined) return `vrrp check: ${p} is not a file`;
    } catch {
      // try the next one
    }
  }
  return path === undefined
    ? `vrrp check: no config file found (tried ${DEFAULT_CONFIG_PATHS.join(", ")}); use -f FILE`
    : `vrrp check: cannot read ${path}: no such file`;
}

function countOf(result: LoadResult, severity: string): number {
  return result.diagnostics.filter((d) => d.severity === severity).length;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** Runs `vrrp check` and resolves to its exit code. */
export async function runCheck(opts: CheckOptions): Promise<number> {
  const problem = await readable(opts.file);
  if (problem !== null) {
    if (opts.json) {
      console.log(JSON.stringify({ diagnostics: [], instances: [], ok: false, error: problem }));
    } else console.error(problem);
    return 2;
  }
  const result = await loadConfig(opts.file, { configId: opts.configId });
  // what keepalived decides about scripts on this host (users, files, script security)
  if (!hasErrors(result.diagnostics)) applyScriptChecks(result);
  const ok = !hasErrors(result.diagnostics);
  const instances = result.config.instances.map(summarize);
  if (opts.json) {
    console.log(JSON.stringify(
      {
        file: result.source.file,
        format: result.source.format,
        diagnostics: result.diagnostics,
        instances,
        ok,
      },
      null,
      2,
    ));
    return ok ? 0 : 1;
  }
  for (const d of result.diagnostics) console.log(formatDiagnostic(d));
  console.log(
    `${result.source.file} (${result.source.format}): ${plural(instances.length, "instance")}`,
  );
  for (const i of instances) {
    console.log(
      `  ${i.name}  ${i.interface || "(no interface)"}  vrid ${i.vrid}  priority ${i.priority}  ` +
        `state ${i.state}  ${plural(i.vips, "VIP")}` +
        (i.version === 3 ? `  VRRPv3 ${i.family === "ipv6" ? "IPv6" : "IPv4"}` : ""),
    );
  }
  const counts = [
    plural(countOf(result, "error"), "error"),
    plural(countOf(result, "warning"), "warning"),
    plural(countOf(result, "note"), "note"),
  ].join(", ");
  console.log(ok ? `ok: ${counts}` : `failed: ${counts}`);
  return ok ? 0 : 1;
}
