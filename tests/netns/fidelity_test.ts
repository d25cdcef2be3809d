/**
 * One router, one config, run once under keepalived 2.2.7 and once under vrrp in a throwaway
 * namespace; what each did is written down as lines and the two lists must be equal:
 *
 * - the addresses on eth0 while master (VIPs and virtual_ipaddress_excluded);
 * - the multicast group the adverts went to (captured on the switch port);
 * - for every script and notify script that ran: user, group, script and arguments;
 * - whether the root script on a world-writable path ran (enable_script_security refuses it);
 * - the addresses left on eth0 after stop.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { Lab, type LabProcess } from "./lab.ts";
import { KEEPALIVED } from "./keepalived.ts";

/** Builds the script tree: a safe root-owned dir and a world-writable (non-sticky) one. */
async function scriptTree(): Promise<string> {
  const t = await Deno.makeTempDir({ prefix: "vrrp-fidelity-" });
  await Deno.chmod(t, 0o755);
  await Deno.writeTextFile(`${t}/log`, "");
  await Deno.chmod(`${t}/log`, 0o666);
  const rec = `#!/bin/sh\necho "$(id -un):$(id -gn) $0 $*" >> ${t}/log\nexit 0\n`;
  await Deno.mkdir(`${t}/open`);
  await Deno.chmod(`${t}/open`, 0o777);
  for (const p of [`${t}/rec.sh`, `${t}/open/rec.sh`]) {
    await Deno.writeTextFile(p, rec);
    await Deno.chmod(p, 0o755);
  }
  return t;
}

function config(t: string): string {
  return `global_defs {
    router_id fidelity
    enable_script_security
    script_user nobody
}

vrrp_script chk_default {
    script "${t}/rec.sh chk_default a1"
    interval 1
}

vrrp_script chk_user {
    script "${t}/rec.sh chk_user"
    interval 1
    user daemon
}

vrrp_script chk_root {
    script "${t}/rec.sh chk_root"
    interval 1
    user root root
}

vrrp_script chk_unsafe {
    script "${t}/open/rec.sh chk_unsafe"
    interval 1
    user root
}

vrrp_instance VI_1 {
    state MASTER
    interface eth0
    virtual_router_id 42
    priority 255
    advert_int 1
    virtual_ipaddress {
        10.101.9.1/22
        10.101.9.2/24
    }
    virtual_ipaddress_excluded {
        10.101.9.3/22
    }
    track_script {
        chk_default
        chk_user
        chk_root
        chk_unsafe
    }
    notify_master "${t}/rec.sh notify_master x" daemon
    notify ${t}/rec.sh root root
    notify_backup ${t}/open/rec.sh root
    notify_stop ${t}/rec.sh
}
`;
}

/** The addresses on a's eth0 other than the lab's own, sorted. */
async function vips(lab: Lab): Promise<string[]> {
  const out = await lab.must("a", ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
  return out.split("\n").map((l) => /inet (\S+)/.exec(l)?.[1]).filter((a): a is string =>
    a !== undefined && !a.startsWith(`${lab.ip("a")}/`)
  ).sort();
}

async function until(what: string, f: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await f()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Runs one daemon with the config and writes down what it did. */
async function observe(
  lab: Lab,
  t: string,
  start: () => LabProcess,
): Promise<{ lines: string[]; log: () => string }> {
  await Deno.writeTextFile(`${t}/log`, "");
  const proc = start();
  try {
    await until("the VIPs", async () => (await vips(lab)).length === 3);
    // adverts for 3 s, seen on the switch port; meanwhile the scripts run a few times
    const cap = await lab.exec("sw", [
      "tshark",
      "-i",
      lab.port("a"),
      "-a",
      "duration:3",
      "-f",
      "ip proto 112",
      "-T",
      "fields",
      "-e",
      "ip.dst",
    ], { timeoutMs: 20_000 });
    const groups = [...new Set(cap.stdout.split("\n").filter((l) => l.trim() !== ""))].sort();
    const held = await vips(lab);
    await proc.stop(5000);
    await new Promise((r) => setTimeout(r, 500)); // notify_stop may finish after the exit
    const left = await vips(lab);
    const ran = [...new Set((await Deno.readTextFile(`${t}/log`)).split("\n"))]
      .filter((l) => l !== "").map((l) => l.replaceAll(t, "T")).sort();
    return {
      lines: [
        ...held.map((a) => `held ${a}`),
        ...groups.map((g) => `adverts to ${g}`),
        ...ran.map((r) => `ran ${r}`),
        `unsafe root script ran: ${ran.some((r) => r.includes("T/open/"))}`,
        ...(left.length > 0 ? left.map((a) => `left ${a}`) : ["left nothing"]),
      ],
      log: () => proc.stdout() + proc.stderr(),
    };
  } finally {
    proc.kill("SIGKILL");
    await proc.status;
  }
}

testWith("keepalived and vrrp do the same with the same config, line for line", {
  root: true,
  commands: ["ip", "tshark", "setpriv"],
}, async () => {
  const t = await scriptTree();
  try {
    const conf = `${t}/keepalived.conf`;
    await Deno.writeTextFile(conf, config(t));
    await using lab = await Lab.create({ routers: ["a"], client: false });
    const ka = await observe(lab, t, () =>
      lab.spawn("a", [
        KEEPALIVED,
        "--dont-fork",
        "--log-console",
        "--no-syslog",
        "--vrrp",
        "--dont-respawn",
        "--use-file",
        conf,
        "--pid",
        `${t}/k.pid`,
        "--vrrp_pid",
        `${t}/k-vrrp.pid`,
      ]));
    const vr = await observe(lab, t, () =>
      lab.spawn("a", [
        ...lab.denoCmd(),
        "run",
        "-f",
        conf,
        "--socket",
        `${t}/vrrp.sock`,
        "--state-dir",
        `${t}/state`,
      ]));
    console.log(`keepalived:\n  ${ka.lines.join("\n  ")}`);
    assert.deepEqual(
      vr.lines,
      ka.lines,
      `vrrp differs from keepalived\n--- keepalived log\n${ka.log()}\n--- vrrp log\n${vr.log()}`,
    );
    // the lines are not empty by accident
    assert.ok(ka.lines.includes("held 10.101.9.3/22"), "the excluded VIP was held");
    assert.ok(ka.lines.includes("adverts to 224.0.0.18"));
    assert.ok(ka.lines.includes("unsafe root script ran: false"));
  } finally {
    await Deno.remove(t, { recursive: true });
  }
});
