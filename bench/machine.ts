/** The machine a bench ran on, recorded next to its figures. */

/** Host and tool versions. */
export interface MachineInfo {
  date: string;
  uname: string;
  kernel: string;
  cpuModel: string;
  nproc: number;
  deno: string;
  keepalived: string;
  /** /proc/loadavg when the bench started and ended: other work on the host skews the figures */
  loadAvgStart: string;
  loadAvgEnd?: string;
}

/** The first three fields of /proc/loadavg. */
export function loadAvg(): string {
  try {
    return Deno.readTextFileSync("/proc/loadavg").split(" ").slice(0, 3).join(" ");
  } catch {
    return "unknown";
  }
}

async function output(cmd: string, args: string[]): Promise<string> {
  try {
    const o = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
    const d = new TextDecoder();
    return (d.decode(o.stdout) + d.decode(o.stderr)).trim();
  } catch {
    return "unknown";
  }
}

/** Reads uname, /proc/cpuinfo and the tool versions. */
export async function machineInfo(): Promise<MachineInfo> {
  const cpuinfo = await Deno.readTextFile("/proc/cpuinfo").catch(() => "");
  return {
    date: new Date().toISOString(),
    uname: await output("uname", ["-a"]),
    kernel: await output("uname", ["-sr"]),
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? "unknown",
    nproc: navigator.hardwareConcurrency,
    deno: Deno.version.deno,
    keepalived: (await output("keepalived", ["--version"])).split("\n")[0],
    loadAvgStart: loadAvg(),
  };
}
