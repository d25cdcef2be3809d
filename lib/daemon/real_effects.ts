/** The real ports: ffi sockets for the wire, `ip addr` (through VipManager) for addresses. */
import { OsError } from "../../ffi/errors.ts";
import { LinkMonitor } from "../../ffi/netlink_link.ts";
import { AddressMonitor, dumpIpv4Addresses, type NetlinkAddress } from "../../ffi/netlink_addr.ts";
import { interfaceInfo } from "../../ffi/netif.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { sleepMicros } from "../../ffi/sleep.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { hostAddresses, VipBatcher } from "../vip/batcher.ts";
import { denoCommandRunner } from "../vip/command.ts";
import { VipManager, type VipResult } from "../vip/manager.ts";
import { netlinkHostAddresses } from "../vip/netlink_read.ts";
import {
  type Effects,
  type HostAddress,
  InterfaceError,
  type InterfacePort,
  type VipOutcome,
} from "./effects.ts";
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

/**
 * The device an IPv4 address is on, from its label: the kernel labels an address with its
 * device's name, or with a label `ip` insists starts with it (`eth0:vip`).
 */
function hostAddress(a: NetlinkAddress): HostAddress | null {
  const dev = a.label?.split(":")[0] ?? "";
  return dev === "" ? null : { dev, address: a.local, prefixLen: a.prefixlen };
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
      let raw: RawIpSocket;
      let arp: PacketSocket;
      let info;
      try {
        info = interfaceInfo(name);
        raw = RawIpSocket.open(name);
      } catch (err) {
        return Promise.reject(describe(name, err));
      }
      try {
        arp = PacketSocket.open(name);
      } catch (err) {
        void raw.close();
        return Promise.reject(describe(name, err));
      }
      if (!info.up) log.warn(`interface ${name} is down`);
      const loop = raw.receiveLoop((p) => onPacket(p.bytes)).catch((err) => {
        log.error(`receive loop on ${name} failed: ${String(err)}`);
      });
      let closed: Promise<void> | null = null;
      return Promise.resolve({
        name,
        mac: info.mac,
        primaryIp: info.primaryIp,
        sendAdvert: (packet) => raw.send(packet),
        drainReceived: () => void raw.drainNow(),
        sendFrames: (frames) => {
          for (const f of frames) arp.send(f);
        },
        close: () =>
          closed ??= (async () => {
            await raw.close();
            await arp.close();
            await loop;
          })(),
      });
    },
    addVips: async (list, dev) => outcome(await batcher.add(list, dev)),
    removeVips: async (list, dev) => outcome(await batcher.remove(list, dev)),
    presentVips: (list, dev) => vips.present(list, dev),
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
    watchAddresses: (onChange, onFailed) => {
      let monitor: AddressMonitor;
      try {
        monitor = AddressMonitor.open();
      } catch (err) {
        log.warn(`cannot watch address changes (rtnetlink): ${String(err)}`);
        return null;
      }
      const loop = monitor.run((events) => {
        onChange(
          events === null ? null : events.flatMap((e) => {
            const a = hostAddress(e);
            return a === null ? [] : [{ ...a, deleted: e.deleted }];
          }),
        );
      }).catch((err) => {
        log.error(`address watch failed: ${String(err)}`);
        onFailed();
      });
      return async () => {
        await monitor.close();
        await loop;
      };
    },
    listAddresses: () => dumpIpv4Addresses().flatMap((a) => hostAddress(a) ?? []),
  };
}
