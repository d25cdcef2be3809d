/** The real ports: ffi sockets for the wire, `ip addr` (through VipManager) for addresses. */
import { OsError } from "../../ffi/errors.ts";
import { LinkMonitor } from "../../ffi/netlink_link.ts";
import { interfaceIndex, interfaceInfo } from "../../ffi/netif.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { ipv4ProtocolFromSourceFilter } from "../../ffi/bpf.ts";
import { ETH_P_IP } from "../../ffi/libc.ts";
import { sleepMicros } from "../../ffi/sleep.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { hostAddresses, VipBatcher } from "../vip/batcher.ts";
import { denoCommandRunner } from "../vip/command.ts";
import { VipManager, type VipResult } from "../vip/manager.ts";
import { netlinkHostAddresses } from "../vip/netlink_read.ts";
import { type Effects, InterfaceError, type InterfacePort, type VipOutcome } from "./effects.ts";
import type { Logger } from "./logger.ts";
import { PreciseTimers } from "./precise_timer.ts";

/** errno values that mean "not privileged enough". */
const EPERM = 1;
const EACCES = 13;

function describe(iface: string, err: unknown): InterfaceError {
  if (err instanceof OsError) {
    if (err.code === "ENODEV" || err.errno === 19) {
      return new InterfaceError(iface, "missing", `interface ${iface} does not exist`);
    }
    if (err.errno === EPERM || err.errno === EACCES) {
      return new InterfaceError(
        iface,
        "permission",
        `cannot open a raw socket on ${iface}: operation not permitted ` +
          `(vrrp run needs root or CAP_NET_RAW and CAP_NET_ADMIN)`,
      );
    }
  }
  const msg = err instanceof Error ? err.message : String(err);
  return new InterfaceError(iface, "other", `cannot open interface ${iface}: ${msg}`);
}

/** The sockets of one interface, and its receive loop. */
interface Sockets {
  info: ReturnType<typeof interfaceInfo>;
  raw: RawIpSocket;
  arp: PacketSocket;
  /** sees adverts claiming our own address (see ownSourceWatch) */
  own: PacketSocket | null;
  loop: Promise<void>;
}

/**
 * A packet socket that receives only VRRP packets claiming `primaryIp` as their source. The
 * kernel drops such packets as martians before the raw socket sees them, so without this an
 * advert spoofing our address (or a second host with our address) would leave no trace; with
 * it, the instance counts and logs it (`ownAdvert`). Null when it cannot be opened.
 */
function ownSourceWatch(
  name: string,
  primaryIp: string | null,
  onPacket: (p: Uint8Array) => void,
  log: Logger,
): { socket: PacketSocket; loop: Promise<void> } | null {
  if (primaryIp === null) return null;
  let socket: PacketSocket;
  try {
    socket = PacketSocket.open(name, {
      protocol: ETH_P_IP,
      receive: true,
      filter: ipv4ProtocolFromSourceFilter(IPPROTO_VRRP, primaryIp),
    });
  } catch (err) {
    log.warn(`cannot watch for adverts claiming our address on ${name}: ${String(err)}`);
    return null;
  }
  const loop = socket.receiveLoop((p) => {
    if (p.bytes.length > ETHERNET_HEADER_BYTES) onPacket(p.bytes.subarray(ETHERNET_HEADER_BYTES));
  }).catch((err) => log.error(`own-address watch on ${name} failed: ${String(err)}`));
  return { socket, loop };
}

const ETHERNET_HEADER_BYTES = 14;
/** IP protocol number of VRRP */
const IPPROTO_VRRP = 112;

/** Opens the raw and packet sockets on `name` now (throws OsError); receiving starts at once. */
function openSockets(name: string, onPacket: (p: Uint8Array) => void, log: Logger): Sockets {
  const info = interfaceInfo(name);
  const raw = RawIpSocket.open(name);
  let arp: PacketSocket;
  try {
    arp = PacketSocket.open(name);
  } catch (err) {
    void raw.close();
    throw err;
  }
  const rawLoop = raw.receiveLoop((p) => onPacket(p.bytes)).catch((err) => {
    log.error(`receive loop on ${name} failed: ${String(err)}`);
  });
  const own = ownSourceWatch(name, info.primaryIp, onPacket, log);
  const loop = Promise.all([rawLoop, own?.loop]).then(() => {});
  return { info, raw, arp, own: own?.socket ?? null, loop };
}

async function closeSockets(s: Sockets): Promise<void> {
  await s.raw.close();
  await s.arp.close();
  await s.own?.close();
  await s.loop;
}

/** Effects backed by the host: performance.now(), precise timers, raw sockets, `ip addr`. */
export function realEffects(log: Logger): Effects {
  // one try per call: the instance runtime retries, and knows when a newer change supersedes one
  const vips = new VipManager({ retries: 1, log: (m) => log.debug(m) });
  // changes of all instances share one `ip -batch` run (100 failovers at once: a few processes)
  // and read the host in-process (rtnetlink), not by starting `ip -j addr show` on the way
  let netlinkFailed = false;
  const batcher = new VipBatcher({
    log: (m) => log.debug(m),
    read: (devs) => {
      if (!netlinkFailed) {
        try {
          return Promise.resolve(netlinkHostAddresses(devs));
        } catch (err) {
          netlinkFailed = true;
          log.warn(`reading addresses through rtnetlink failed, using ip instead: ${String(err)}`);
        }
      }
      return hostAddresses(denoCommandRunner, devs);
    },
  });
  // adverts go out on time: setTimeout alone wakes up to ~2 ms late (whole-ms ticks)
  const timers = new PreciseTimers({
    now: () => performance.now(),
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as number),
    sleepMicros,
  });
  const outcome = (r: VipResult): VipOutcome =>
    r.ok ? { ok: true } : { ok: false, stderr: r.stderr.trim() || r.error };
  return {
    now: () => performance.now(),
    // never early: a deadline timer that fired early (Deno truncates fractional delays) found
    // nothing due and had to be re-armed, a second wake-up and ~1 ms more lateness
    setTimer: (delayMs, fn) => timers.setTimer(delayMs, fn),
    clearTimer: (id) => timers.clearTimer(id),
    openInterface(name, onPacket): Promise<InterfacePort> {
      let sockets: Sockets;
      try {
        sockets = openSockets(name, onPacket, log);
      } catch (err) {
        return Promise.reject(describe(name, err));
      }
      if (!sockets.info.up) log.warn(`interface ${name} is down`);
      let closed: Promise<void> | null = null;
      const port: InterfacePort = {
        name,
        get mac() {
          return sockets.info.mac;
        },
        get primaryIp() {
          return sockets.info.primaryIp;
        },
        sendAdvert: (packet) => sockets.raw.send(packet),
        drainReceived: () => void sockets.raw.drainNow(),
        sendFrames: (frames) => {
          for (const f of frames) sockets.arp.send(f);
        },
        rebindIfMoved: () => {
          if (closed) return "same";
          let index: number;
          try {
            index = interfaceIndex(name);
          } catch {
            return "missing";
          }
          if (index === sockets.raw.ifindex) return "same";
          // the interface was deleted and re-created: the sockets still name the old index
          const old = sockets;
          sockets = openSockets(name, onPacket, log);
          void closeSockets(old);
          return "rebound";
        },
        close: () => closed ??= closeSockets(sockets),
      };
      return Promise.resolve(port);
    },
    addVips: async (list, dev) => outcome(await batcher.add(list, dev)),
    removeVips: async (list, dev) => outcome(await batcher.remove(list, dev)),
    presentVips: (list, dev) => vips.present(list, dev),
    probeVipTool: async () => {
      const r = await denoCommandRunner(["ip", "-batch", "-", "-force"], "");
      return r.code === 0 ? { ok: true } : { ok: false, stderr: r.stderr || `exit ${r.code}` };
    },
    linkRunning: (name) => {
      try {
        return interfaceInfo(name).running;
      } catch {
        return false; // gone counts as down
      }
    },
    watchLinks: (onChange, onFailed) => {
      let monitor: LinkMonitor;
      try {
        monitor = LinkMonitor.open();
      } catch (err) {
        log.warn(`cannot watch link changes (rtnetlink), polling instead: ${String(err)}`);
        return null;
      }
      const loop = monitor.run((events) => {
        onChange(events === null ? null : events.flatMap((e) => e.name === null ? [] : [e.name]));
      }).catch((err) => {
        log.error(`link watch failed, polling instead: ${String(err)}`);
        onFailed();
      });
      return async () => {
        await monitor.close();
        await loop;
      };
    },
  };
}
