/**
 * VRRPv3 hard failover, dual stack: A (priority 100) and B (priority 99) each run one IPv4 and
 * one IPv6 instance at 100 ms or 20 ms adverts; A's cable is pulled on the switch side and the
 * time is taken from the carrier loss to B's first gratuitous ARP (IPv4 VIP) and first
 * unsolicited neighbour advertisement (IPv6 VIP) on the wire, as client C captures them.
 */
import { Capture, firstClaim, firstNa, lastAdvertBefore } from "../capture.ts";
import { V3_VIP4, V3_VIP6, V3_VRID4, v3Config } from "../configs.ts";
import {
  type BenchContext,
  pollUntil,
  resetRouters,
  sleep,
  start,
  stopAll,
  tail,
} from "../context.ts";
import type { ImplName, RunningDaemon } from "../daemons.ts";
import { linkLost, NetMonitor } from "../monitor.ts";

/** The figures of one cycle; null when the event was not seen. */
export interface V3FailoverSample {
  intervalCs: number;
  /** A's carrier lost -> B's first gratuitous ARP for the IPv4 VIP */
  hardArpMs: number | null;
  /** A's carrier lost -> B's first unsolicited NA for the IPv6 VIP */
  hardNaMs: number | null;
  /** A's last IPv4 advert before the cut -> B's first gratuitous ARP (no cut phase) */
  hardFromAdvertMs: number | null;
  notes: string[];
}

/** Both VIPs on `node`? */
async function holdsBoth(ctx: BenchContext, node: string): Promise<boolean> {
  const [four, six] = await Promise.all([
    ctx.lab.addresses(node),
    ctx.lab.addresses6(node),
  ]);
  return four.includes(V3_VIP4) && six.includes(V3_VIP6);
}

/** One hard-failover cycle of `impl` at `intervalCs` centisecond adverts. */
export async function v3FailoverCycle(
  ctx: BenchContext,
  impl: ImplName,
  intervalCs: number,
): Promise<V3FailoverSample> {
  const { lab, macs } = ctx;
  const s: V3FailoverSample = {
    intervalCs,
    hardArpMs: null,
    hardNaMs: null,
    hardFromAdvertMs: null,
    notes: [],
  };
  await resetRouters(ctx);
  const confA = `${ctx.work}/v3-a-${intervalCs}.conf`;
  const confB = `${ctx.work}/v3-b-${intervalCs}.conf`;
  await Deno.writeTextFile(confA, v3Config(100, intervalCs));
  await Deno.writeTextFile(confB, v3Config(99, intervalCs));
  const monA = await NetMonitor.start(lab, "a");
  const cap = await Capture.start(lab, "c", `${ctx.work}/v3-${impl}-${Date.now()}.pcap`, true);
  let a: RunningDaemon | null = null;
  let b: RunningDaemon | null = null;
  let down: number | null = null;
  try {
    a = start(ctx, impl, "a", confA, `v3-${intervalCs}`);
    b = start(ctx, impl, "b", confB, `v3-${intervalCs}`);
    const stable = async () => await holdsBoth(ctx, "a") && !(await holdsBoth(ctx, "b"));
    if (!(await pollUntil(stable, 20_000, 100) && (await sleep(1500), await stable()))) {
      throw new Error(`${impl}: v3 pair never became stable\n${tail(a)}\n${tail(b)}`);
    }
    const downReq = Date.now();
    await lab.linkDown("a");
    const lost = await monA.waitFor(linkLost, downReq - 5, 2000);
    down = lost?.tMs ?? downReq;
    if (!lost) s.notes.push("no link event on A; used the request time");
    if (!await pollUntil(() => holdsBoth(ctx, "b"), 5000, 20)) {
      s.notes.push(`v3 hard: B never held both VIPs\n${tail(b)}`);
    }
    await sleep(300);
  } finally {
    await stopAll([a, b]);
    await monA.stop();
    await lab.linkUp("a");
  }
  const capture = await cap.stop();
  if (capture.error) s.notes.push(`capture: ${capture.error}`);
  if (down === null) return s;
  const arp = firstClaim(capture, V3_VIP4, macs.b, down, true);
  const na = firstNa(capture, V3_VIP6, macs.b, down);
  s.hardArpMs = arp ? arp.tMs - down : null;
  s.hardNaMs = na ? na.tMs - down : null;
  const last = lastAdvertBefore(capture, lab.ip("a"), V3_VRID4, down);
  if (arp && last) s.hardFromAdvertMs = arp.tMs - last.tMs;
  if (!last) s.notes.push("no IPv4 advert from A before the cut in the capture");
  return s;
}
