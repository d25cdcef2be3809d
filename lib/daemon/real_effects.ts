/** The real ports: ffi sockets for the wire, `ip addr` (through VipManager) for addresses. */
import { OsError } from "../../ffi/errors.ts";
import { LinkMonitor } from "../../ffi/netlink_link.ts";
import {
  AddressMonitor,
  dumpIpv4Addresses,
  type NetlinkAddress,
  type NetlinkAddress6,
} from "../../ffi/netlink_addr.ts";
import { interfaceInfo, interfaceName } from "../../ffi/netif.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { sleepMicros } from "../../ffi/sleep.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { RawIp6Socket } from "../../ffi/raw_socket6.ts";
import { dumpIpv6Addresses, IFA_F_DADFAILED, IFA_F_TENTATIVE } from "../../ffi/netlink_addr.ts";
import type { ReceivedIp6 } from "../../ffi/poller.ts";
import { parseIpv4Packet } from "../../ffi/ip_header.ts";
import { Family, familyOf, parseAddress, readAddress } from "../vrrp/address.ts";
import { IPPROTO_VRRP } from "../vrrp/constants.ts";
import { hostAddresses, VipBatcher } from "../vip/batcher.ts";
import { denoCommandRunner } from "../vip/command.ts";
import { VipManager, type VipResult } from "../vip/manager.ts";
import { netlinkHostAddresses } from "../vip/netlink_read.ts";
import {
  type AddressChange,
  type Effects,
  type HostAddress,
  InterfaceError,
  type InterfacePort,
  type Received,
  type SendTo,
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

/** The 4 bytes of an IPv4 address we send from or to (our own config: a bad one is a bug). */
function v4Bytes(text: string): Uint8Array {
  const a = parseAddress(text);
  if (a === null || a.family !== Family.ipv4) throw new TypeError(`not an IPv4 address: ${text}`);
  return a.bytes;
}

/** The 16 bytes of an IPv6 address we send from or to. */
function v6Bytes(text: string): Uint8Array {
  const a = parseAddress(text);
  if (a === null || a.family !== Family.ipv6) throw new TypeError(`not an IPv6 address: ${text}`);
  return a.bytes;
}

/**
 * The interface's IPv6 link-local address (RFC 5798 §5.1.2.1: the adverts' source), preferring
 * one that passed duplicate address detection; null when it has none.
 */
export function linkLocalOf(ifindex: number, log: Logger): string | null {
  const all = dumpIpv6Addresses().filter((a) =>
    a.ifindex === ifindex && a.address[0] === 0xfe && (a.address[1] & 0xc0) === 0x80 &&
    (a.flags & IFA_F_DADFAILED) === 0
  );
  const ready = all.find((a) => (a.flags & IFA_F_TENTATIVE) === 0) ?? all[0];
  if (ready === undefined) return null;
  const text = readAddress(ready.address, 0, Family.ipv6);
  if ((ready.flags & IFA_F_TENTATIVE) !== 0) {
    log.warn(`link-local address ${text} is still tentative (duplicate address detection)`);
  }
  return text;
}

/** A message read from a raw IPv6 socket (the kernel kept the header; recvmsg told its fields). */
export function receivedIpv6(message: Uint8Array, ip6: ReceivedIp6, atMs: number): Received {
  return {
    ok: true,
    message,
    family: Family.ipv6,
    src: readAddress(ip6.src, 0, Family.ipv6),
    dst: readAddress(ip6.dst, 0, Family.ipv6),
    hopLimit: ip6.hopLimit,
    ifindex: ip6.ifindex,
    atMs,
  };
}

/** A packet read from a raw IPv4 socket, as the port hands it on: message + addresses. */
export function receivedIpv4(bytes: Uint8Array, ifindex: number, atMs: number): Received {
  const p = parseIpv4Packet(bytes, IPPROTO_VRRP);
  if (!p.ok) {
    const h = p.header;
    const vrid = h && bytes.length >= h.headerBytes + 2 && h.protocol === IPPROTO_VRRP
      ? bytes[h.headerBytes + 1]
      : null;
    return { ok: false, family: Family.ipv4, reason: p.reason, detail: p.detail, vrid, atMs };
  }
  return {
    ok: true,
    message: p.payload,
    family: Family.ipv4,
    src: readAddress(p.header.src, 0, Family.ipv4),
    dst: readAddress(p.header.dst, 0, Family.ipv4),
    hopLimit: p.header.hopLimit,
    ifindex,
    atMs,
  };
}

/**
 * The device an IPv4 address is on, from its label: the kernel labels an address with its
 * device's name, or with a label `ip` insists starts with it (`eth0:vip`).
 */
function hostAddress(a: NetlinkAddress): HostAddress | null {
  const dev = a.label?.split(":")[0] ?? "";
  return dev === "" ? null : { dev, address: a.local, prefixLen: a.prefixlen };
}

/**
 * IPv6 addresses carry no label: their device is named from the index. Names are kept, so the
 * removals announced while a device is being deleted still find it; a re-read starts afresh
 * (a renamed device keeps its index).
 */
class DeviceNames {
  #byIndex = new Map<number, string | null>();

  /** Forgets every name (before a full re-read). */
  clear(): void {
    this.#byIndex.clear();
  }

  /** The address as the view holds it, or null when its device has no name (gone). */
  host6(a: NetlinkAddress6): HostAddress | null {
    let dev = this.#byIndex.get(a.ifindex);
    if (dev === undefined) this.#byIndex.set(a.ifindex, dev = interfaceName(a.ifindex));
    if (dev === null) return null;
    return { dev, address: readAddress(a.address, 0, Family.ipv6), prefixLen: a.prefixlen };
  }
}

/** Effects backed by the host: performance.now(), precise timers, raw sockets, `ip addr`. */
export function realEffects(log: Logger): Effects {
  // one try per call: the instance runtime retries, and knows when a newer change supersedes one
  const vips = new VipManager({ retries: 1, log: (m) => log.debug(m) });
  // changes of all instances share one `ip -batch` run (100 failovers at once: a few processes)
  // and read the host in-process (rtnetlink), not by starting `ip -j addr show` on the way
  let netlinkFailed = false;
  // the address watch's names of IPv6 addresses' devices
  const deviceNames = new DeviceNames();
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
    openInterface(name, onReceive, groups): Promise<InterfacePort> {
      let raw: RawIpSocket;
      let arp: PacketSocket;
      let info;
      try {
        info = interfaceInfo(name);
        raw = RawIpSocket.open(name, groups && { group: v4Bytes(groups.ipv4) });
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
      const loops: Promise<void>[] = [];
      const watch = (loop: Promise<void>) =>
        loops.push(loop.catch((err) => log.error(`receive loop on ${name} failed: ${err}`)));
      watch(raw.receiveLoop((p) => onReceive(receivedIpv4(p.bytes, raw.ifindex, p.atMs))));
      let raw6: RawIp6Socket | null = null;
      let linkLocal: string | null = null;
      let closed: Promise<void> | null = null;
      return Promise.resolve({
        name,
        mac: info.mac,
        address: (family) => family === Family.ipv4 ? info.primaryIp : linkLocal,
        ensureFamily(family) {
          if (family === Family.ipv4 || raw6 !== null) return;
          try {
            linkLocal = linkLocalOf(info.index, log);
            raw6 = RawIp6Socket.open(name, groups && { group: v6Bytes(groups.ipv6) });
          } catch (err) {
            throw describe(name, err);
          }
          const s = raw6;
          watch(s.receiveLoop((p) => p.ip6 && onReceive(receivedIpv6(p.bytes, p.ip6, p.atMs))));
        },
        hasAddress: (address) => {
          if (familyOf(address) === Family.ipv6) {
            return dumpIpv6Addresses().some((a) =>
              a.ifindex === info.index && readAddress(a.address, 0, Family.ipv6) === address
            );
          }
          const found = netlinkHostAddresses([name]).get(name)?.addrs ?? [];
          return found.some((a) => a.local === address);
        },
        joinGroup: (family, group) => {
          if (family === Family.ipv4) raw.join(v4Bytes(group));
          else if (raw6 === null) throw new Error(`${name}: no IPv6 socket open`);
          else raw6.join(v6Bytes(group));
        },
        send: (message: Uint8Array, to: SendTo) => {
          if (to.family === Family.ipv6) {
            if (raw6 === null) throw new Error(`${name}: no IPv6 socket open`);
            raw6.send(message, v6Bytes(to.src), v6Bytes(to.dst), to.hopLimit);
            return;
          }
          raw.sendMessage(message, {
            src: v4Bytes(to.src),
            dst: v4Bytes(to.dst),
            ttl: to.hopLimit,
          });
        },
        drainReceived: () => {
          raw.drainNow();
          raw6?.drainNow();
        },
        sendFrames: (frames) => {
          for (const f of frames) arp.send(f);
        },
        close: () =>
          closed ??= (async () => {
            await raw.close();
            await raw6?.close();
            await arp.close();
            await Promise.all(loops);
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
        if (events === null) return onChange(null);
        const changes: AddressChange[] = [];
        for (const e of events.v4) {
          const a = hostAddress(e);
          if (a !== null) changes.push({ ...a, deleted: e.deleted });
        }
        for (const e of events.v6) {
          const a = deviceNames.host6(e);
          if (a !== null) changes.push({ ...a, deleted: e.deleted });
        }
        onChange(changes);
      }).catch((err) => {
        log.error(`address watch failed: ${String(err)}`);
        onFailed();
      });
      return async () => {
        await monitor.close();
        await loop;
      };
    },
    listAddresses: () => {
      deviceNames.clear();
      return [
        ...dumpIpv4Addresses().flatMap((a) => hostAddress(a) ?? []),
        ...dumpIpv6Addresses().flatMap((a) => deviceNames.host6(a) ?? []),
      ];
    },
  };
}
