/**
 * `deno task demo` (root): the tutorial's two-router setup on a throwaway lab of network
 * namespaces. Two `vrrp run` daemons with the bundled example configs share four VIPs; router A
 * fails (link down, daemon killed -9), B takes everything over and the client still reaches the
 * VIPs; A comes back and takes its VIPs back. Everything is cleaned up, always. Exit code 0 only
 * if every step behaved.
 */
import { Lab, type LabProcess } from "../tests/netns/lab.ts";
import {
  ALL_VIPS,
  exampleConfig,
  placement,
  sameSet,
  startVrrp,
  VIPS,
  waitUntil,
} from "../tests/netns/peers.ts";
import { masterDownIntervalMs } from "../lib/vrrp/timers.ts";
import { DEMO_TOOLS, ensureTools } from "./prereqs.ts";

const bold = (s: string) => Deno.stdout.isTerminal() ? `\x1b[1m${s}\x1b[0m` : s;
const say = (s = "") => console.log(s);

let failures = 0;
function check(ok: boolean, what: string): void {
  say(`  ${ok ? "✓" : "✗"} ${what}`);
  if (!ok) failures++;
}

/** Where each VIP is; `aDown` marks A's addresses as unreachable (its link is down). */
async function table(lab: Lab, aDown = false): Promise<void> {
  const p = await placement(lab, ["a", "b"]);
  say(`    ${"VIP".padEnd(15)}${"A 10.101.1.185".padEnd(22)}B 10.101.1.186`);
  for (const vip of ALL_VIPS) {
    const on = (r: string) =>
      !p[r].includes(vip) ? "·" : r === "a" && aDown ? "○ stale (cable out)" : "● master";
    say(`    ${vip.padEnd(15)}${on("a").padEnd(22)}${on("b")}`);
  }
}

async function main(): Promise<number> {
  if (Deno.uid() !== 0) {
    console.error("demo: needs root (it builds network namespaces); try: sudo deno task demo");
    return 1;
  }
  const problem = await ensureTools(DEMO_TOOLS, say);
  if (problem !== null) {
    console.error(`demo: ${problem}`);
    return 1;
  }
  const started = performance.now();
  say(bold("vrrp demo: two routers keep four virtual IPs alive (the keepalived tutorial setup)"));
  say("Building a lab: routers A (10.101.1.185) and B (10.101.1.186), a client (10.101.1.200),");
  say("one bridge, all in private network namespaces.");
  const lab = await Lab.create({ routers: ["a", "b"], client: true });
  const tmp = await Deno.makeTempDir({ prefix: "vrrp-demo-" });
  const procs: LabProcess[] = [];
  const steady = async () => {
    const p = await placement(lab, ["a", "b"]);
    return sameSet(p.a, VIPS["ha-internal-1"]) && sameSet(p.b, VIPS["ha-internal-2"]);
  };
  try {
    say();
    say(bold("1. Start `vrrp run` on both routers with examples/seed-10.101.1.18{5,6}.conf"));
    let a = await startVrrp(lab, "a", exampleConfig("a"), tmp);
    procs.push(a);
    const b = await startVrrp(lab, "b", exampleConfig("b"), tmp);
    procs.push(b);
    say("  waiting for the election (Master_Down_Interval ≈ 3.6 s)…");
    const ok1 = await waitUntil("placement", steady, 12_000).then(() => true, () => false);
    await table(lab);
    check(ok1, "ha-internal-1 (.101/.102) is on A, ha-internal-2 (.107/.108) on B");

    say();
    say(bold("2. Router A fails: its link goes down and its daemon is killed -9"));
    await lab.linkDown("a");
    const t0 = performance.now();
    a.kill("SIGKILL");
    await a.status;
    const limit = masterDownIntervalMs(2, 100, 99) + 500;
    const took = await waitUntil(
      "B to hold all four",
      async () => sameSet((await placement(lab, ["b"])).b, ALL_VIPS),
      limit + 2000,
      { since: t0 },
    ).catch(() => null);
    await table(lab, true);
    check(
      took !== null && took <= limit,
      took === null
        ? "B did not take over"
        : `B took over in ${took.toFixed(0)} ms after the kill (limit ${limit.toFixed(0)})`,
    );
    for (const vip of ALL_VIPS) check(await lab.ping("c", vip), `client pings ${vip}`);
    const bMac = await lab.mac("b");
    check(
      (await lab.arpProbe("c", "10.101.0.101")) === bMac,
      `10.101.0.101 answers ARP with B's MAC ${bMac}`,
    );

    say();
    say(bold("3. Router A comes back (link up, daemon restarted): it preempts ha-internal-1"));
    say("  (at start it removes the VIPs its killed predecessor left behind)");
    await lab.linkUp("a");
    a = await startVrrp(lab, "a", exampleConfig("a"), tmp);
    procs.push(a);
    const ok3 = await waitUntil("preemption", steady, 8000).then(() => true, () => false);
    await table(lab);
    check(ok3, "A holds .101/.102 again, B keeps .107/.108");
    check(await lab.ping("c", "10.101.0.101"), "client pings 10.101.0.101");

    say();
    say(bold("4. Stop both daemons (SIGTERM): they hand over and remove their VIPs"));
    const [sa, sb] = await Promise.all([a.stop(2000), b.stop(2000)]);
    check(sa.code === 0 && sb.code === 0, `both exited 0 (A ${sa.code}, B ${sb.code})`);
    const left = await placement(lab, ["a", "b"]);
    check(left.a.length === 0 && left.b.length === 0, "no VIP left on either router");
  } catch (err) {
    failures++;
    console.error(`demo: ${err instanceof Error ? err.message : String(err)}`);
    for (const p of procs) {
      if (p.stderr()) console.error(`--- daemon ${p.pid} log ---\n${p.stderr()}`);
    }
  } finally {
    for (const p of procs) p.kill("SIGKILL");
    await lab.destroy();
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    say();
    say(`Lab removed. ${((performance.now() - started) / 1000).toFixed(1)} s.`);
  }
  say(failures === 0 ? bold("Every step behaved.") : bold(`${failures} step(s) misbehaved.`));
  return failures === 0 ? 0 : 1;
}

Deno.exit(await main());
