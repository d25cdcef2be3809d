/** The real ports: ffi sockets for the wire, `ip addr` (through VipBatcher) for addresses. */
import { OsError } from "../../ffi/errors.ts";
import { LinkMonitor } from "../../ffi/netlink_link.ts";
import {
  AddressMonitor,
  dumpIpv4Addresses,
  type NetlinkAddress,
  type NetlinkAddress6,
} from "../../ffi/netlink_addr.ts";
import { interfaceIndex, interfaceInfo, interfaceName } from "../../ffi/netif.ts";
import { PacketSocket } from "../../ffi/packet_socket.ts";
import { ipv4ProtocolFromSourceFilter } from "../../ffi/bpf.ts";
import { ETH_P_IP } from "../../ffi/libc.ts";
import { armDeadline, disarmDeadline } from "../../ffi/poller.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { RawIp6Socket } from "../../ffi/raw_socket6.ts";
import { dumpIpv6Addresses, IFA_F_DADFAILED, IFA_F_TENTATIVE } from "../../ffi/netlink_addr.ts";
import type { ReceivedIp6, ReceivedPacket } from "../../ffi/poller.ts";
import { parseIpv4Packet } from "../../ffi/ip_header.ts";
import { Family, familyOf, parseAddress, readAddress } from "../vrrp/address.ts";
import { IPPROTO_VRRP } from "../vrrp/constants.ts";
import { hostAddresses, VipBatcher } from "../vip/batcher.ts";
import { denoCommandRunner } from "../vip/command.ts";
import type { VipResult } from "../vip/batcher.ts";
import { type HostAddresses, vipDev, vipMatches } from "../vip/ip_batch.ts";
import { netlinkHostAddresses } from "../vip/netlink_read.ts";
import {
  type AddressChange,
  type Effects,
  type HostAddress,
  InterfaceError,
  type InterfacePort,
  type MulticastGroups,
  type Received,
  type RoutineAdvert,
  type SendTo,
  type VipOutcome,
} from "./effects.ts";
import type { Logger } from "./logger.ts";
import { PreciseTimers } from "./precise_timer.ts";
import { drainQuietOncePerTurn, LazyReader } from "./lazy_read.ts";

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
  const cached = addressBytes.get(text);
  if (cached?.length === 4) return cached;
  const a = parseAddress(text);
  if (a === null || a.family !== Family.ipv4) throw new TypeError(`not an IPv4 address: ${text}`);
  return remember(text, a.bytes);
}

/** The 16 bytes of an IPv6 address we send from or to. */
function v6Bytes(text: string): Uint8Array {
  const cached = addressBytes.get(text);
  if (cached?.length === 16) return cached;
  const a = parseAddress(text);
  if (a === null || a.family !== Family.ipv6) throw new TypeError(`not an IPv6 address: ${text}`);
  return remember(text, a.bytes);
}

/**
 * The bytes of addresses already parsed: every advert goes from and to the same few (our own,
 * the group, unicast peers), so none is parsed again on the advert path. Bounded.
 */
const addressBytes = new Map<string, Uint8Array>();

function remember(text: string, bytes: Uint8Array): Uint8Array {
  if (addressBytes.size >= 4096) addressBytes.clear();
  addressBytes.set(text, bytes);
  return bytes;
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

/** The sockets of one interface, and their receive loops. */
interface Sockets {
  info: ReturnType<typeof interfaceInfo>;
  raw: RawIpSocket;
  arp: PacketSocket;
  /** sees adverts claiming our own address (see ownSourceWatch) */
  own: PacketSocket | null;
  /** open once an IPv6 instance asked for it (ensureFamily) */
  raw6: RawIp6Socket | null;
  linkLocal: string | null;
  /** the quiet sockets of routine adverts (see lazy_read.ts) */
  lazy: LazyReader;
  loops: Promise<void>[];
}

/**
 * A packet socket that receives only VRRP packets claiming `primaryIp` as their source. The
 * kernel drops such packets as martians before the raw socket sees them, so without this an
 * advert spoofing our address (or a second host with our address) would leave no trace; with
 * it, they arrive like any other (`receivedIpv4`) and the instance counts and logs them
 * (`ownAdvert`). IPv4 only. Null when it cannot be opened.
 */
function ownSourceWatch(
  name: string,
  primaryIp: string | null,
  onReceive: (r: Received) => void,
  log: Logger,
): { socket: PacketSocket; loop: Promise<void> } | null {
  if (primaryIp === null) return null;
  let socket: PacketSocket;
  try {
    socket = PacketSocket.open(name, {
      protocol: ETH_P_IP,
      receive: true,
      filter: ipv4ProtocolFromSourceFilter(IPPROTO_VRRP, v4Bytes(primaryIp)),
    });
  } catch (err) {
    log.warn(`cannot watch for adverts claiming our address on ${name}: ${String(err)}`);
    return null;
  }
  const ifindex = socket.ifindex;
  const loop = socket.receiveLoop((p) => {
    drainQuietOncePerTurn();
    if (p.bytes.length <= ETHERNET_HEADER_BYTES) return;
    onReceive(receivedIpv4(p.bytes.subarray(ETHERNET_HEADER_BYTES), ifindex, p.atMs));
  }).catch((err) => log.error(`own-address watch on ${name} failed: ${String(err)}`));
  return { socket, loop };
}

const ETHERNET_HEADER_BYTES = 14;

/**
 * Opens the IPv4 raw socket, the packet socket for ARP and the own-address watch on `name` now
 * (throws OsError); receiving starts at once. `ownIp`: the address to watch when the interface
 * has none right now (re-created, its address not back yet).
 */
function openSockets(
  name: string,
  onReceive: (r: Received) => void,
  groups: MulticastGroups | undefined,
  log: Logger,
  ownIp: string | null = null,
): Sockets {
  const info = interfaceInfo(name);
  const raw = RawIpSocket.open(name, groups && { group: v4Bytes(groups.ipv4) });
  let arp: PacketSocket;
  try {
    arp = PacketSocket.open(name);
  } catch (err) {
    void raw.close();
    throw err;
  }
  const lazy = new LazyReader(name, log);
  const s: Sockets = { info, raw, arp, own: null, raw6: null, linkLocal: null, lazy, loops: [] };
  const deliver = (p: ReceivedPacket) => onReceive(receivedIpv4(p.bytes, raw.ifindex, p.atMs));
  lazy.open(Family.ipv4, raw.group, raw, deliver);
  watchLoop(
    s,
    name,
    log,
    raw.receiveLoop((p) => {
      // what the quiet socket holds arrived first
      drainQuietOncePerTurn();
      deliver(p);
    }),
  );
  const own = ownSourceWatch(name, info.primaryIp ?? ownIp, onReceive, log);
  if (own) {
    s.own = own.socket;
    s.loops.push(own.loop);
  }
  return s;
}

function watchLoop(s: Sockets, name: string, log: Logger, loop: Promise<void>): void {
  s.loops.push(loop.catch((err) => log.error(`receive loop on ${name} failed: ${err}`)));
}

/** Opens the IPv6 raw socket of `s` (throws OsError) unless open. */
function openIpv6(
  s: Sockets,
  name: string,
  onReceive: (r: Received) => void,
  groups: MulticastGroups | undefined,
  log: Logger,
): void {
  if (s.raw6 !== null) return;
  s.linkLocal = linkLocalOf(s.info.index, log);
  const raw6 = RawIp6Socket.open(name, groups && { group: v6Bytes(groups.ipv6) });
  s.raw6 = raw6;
  const deliver = (p: ReceivedPacket) => p.ip6 && onReceive(receivedIpv6(p.bytes, p.ip6, p.atMs));
  s.lazy.open(Family.ipv6, raw6.group, raw6, deliver);
  watchLoop(
    s,
    name,
    log,
    raw6.receiveLoop((p) => {
      drainQuietOncePerTurn();
      deliver(p);
    }),
  );
}

/** Joins one more group on the open sockets of `s` (IPv6: the raw6 socket must be open). */
function joinOn(s: Sockets, name: string, family: Family, group: string): void {
  if (family === Family.ipv4) s.raw.join(v4Bytes(group));
  else if (s.raw6 === null) throw new Error(`${name}: no IPv6 socket open`);
  else s.raw6.join(v6Bytes(group));
  s.lazy.join(family, family === Family.ipv4 ? v4Bytes(group) : v6Bytes(group));
}

async function closeSockets(s: Sockets): Promise<void> {
  s.lazy.close();
  await s.raw.close();
  await s.raw6?.close();
  await s.arp.close();
  await s.own?.close();
  await Promise.all(s.loops);
}

/** Effects backed by the host: performance.now(), precise timers, raw sockets, `ip addr`. */
export function realEffects(log: Logger): Effects {
  // the host's addresses are read in-process (rtnetlink), not by starting `ip -j addr show`:
  // before every VIP change, and for the leftover check at start (~10 ms less to the timers)
  let netlinkFailed = false;
  const readHost = (devs: Iterable<string>): Promise<HostAddresses> => {
    if (!netlinkFailed) {
      try {
        return Promise.resolve(netlinkHostAddresses(devs));
      } catch (err) {
        netlinkFailed = true;
        log.warn(`reading addresses through rtnetlink failed, using ip instead: ${String(err)}`);
      }
    }
    return hostAddresses(denoCommandRunner, devs);
  };
  // the address watch's names of IPv6 addresses' devices
  const deviceNames = new DeviceNames();
  // changes of all instances share one `ip -batch` run (100 failovers at once: a few processes);
  // one try per call: the instance runtime retries, and knows when a newer change supersedes one
  const batcher = new VipBatcher({ log: (m) => log.debug(m), read: readHost });
  // adverts go out on time, with one wake-up each: the deadline shares the sockets' poll()
  const timers = new PreciseTimers({
    now: () => performance.now(),
    arm: armDeadline,
    disarm: disarmDeadline,
  });
  const outcome = (r: VipResult): VipOutcome =>
    r.ok ? { ok: true } : { ok: false, stderr: r.stderr.trim() || r.error };
  return {
    now: () => performance.now(),
    // never early: a deadline timer that fired early (Deno truncates fractional delays) found
    // nothing due and had to be re-armed, a second wake-up and ~1 ms more lateness
    // any wake-up also hands over the routine adverts queued meanwhile (lazy_read.ts): after
    // the timer's work, so an advert of ours is not sent later for it (a deadline that judges
    // them drains first: see the daemon's scheduler)
    setTimer: (delayMs, fn) =>
      timers.setTimer(delayMs, () => {
        try {
          fn();
        } finally {
          drainQuietOncePerTurn();
        }
      }),
    clearTimer: (id) => timers.clearTimer(id),
    openInterface(name, onReceive, groups): Promise<InterfacePort> {
      let sockets: Sockets;
      try {
        sockets = openSockets(name, onReceive, groups, log);
      } catch (err) {
        return Promise.reject(describe(name, err));
      }
      if (!sockets.info.up) log.warn(`interface ${name} is down`);
      /** groups joined beyond the defaults, joined again on re-opened sockets */
      const joined: { family: Family; group: string }[] = [];
      /** the routine adverts asked for, set again on re-opened sockets */
      const routine = new Map<Family, RoutineAdvert[]>();
      let closed: Promise<void> | null = null;
      const port: InterfacePort = {
        name,
        get mac() {
          return sockets.info.mac;
        },
        address: (family) => family === Family.ipv4 ? sockets.info.primaryIp : sockets.linkLocal,
        ensureFamily(family) {
          if (family === Family.ipv4) return;
          try {
            openIpv6(sockets, name, onReceive, groups, log);
          } catch (err) {
            throw describe(name, err);
          }
        },
        hasAddress: (address) => {
          if (familyOf(address) === Family.ipv6) {
            return dumpIpv6Addresses().some((a) =>
              a.ifindex === sockets.info.index && readAddress(a.address, 0, Family.ipv6) === address
            );
          }
          const found = netlinkHostAddresses([name]).get(name)?.addrs ?? [];
          return found.some((a) => a.local === address);
        },
        joinGroup: (family, group) => {
          joinOn(sockets, name, family, group);
          if (!joined.some((j) => j.family === family && j.group === group)) {
            joined.push({ family, group });
          }
        },
        send: (message: Uint8Array, to: SendTo) => {
          if (to.family === Family.ipv6) {
            if (sockets.raw6 === null) throw new Error(`${name}: no IPv6 socket open`);
            sockets.raw6.send(message, v6Bytes(to.src), v6Bytes(to.dst), to.hopLimit);
            return;
          }
          sockets.raw.sendMessage(message, {
            src: v4Bytes(to.src),
            dst: v4Bytes(to.dst),
            ttl: to.hopLimit,
          });
        },
        drainReceived: () => {
          sockets.raw.drainNow();
          sockets.raw6?.drainNow();
        },
        drainRoutine: () => sockets.lazy.drain(),
        setRoutine: (family, adverts) => {
          routine.set(family, adverts);
          sockets.lazy.set(family, adverts);
        },
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
          if (index === sockets.raw.ifindex) {
            // the link-local address may come late (link up, DAD) or change under one index
            if (sockets.raw6 !== null) {
              sockets.linkLocal = linkLocalOf(index, log) ?? sockets.linkLocal;
            }
            return "same";
          }
          // the interface was deleted and re-created: the sockets still name the old index.
          // Everything is re-opened as it was: IPv6 if it was open, the extra groups joined.
          const old = sockets;
          const next = openSockets(name, onReceive, groups, log, old.info.primaryIp);
          try {
            if (old.raw6 !== null) openIpv6(next, name, onReceive, groups, log);
            for (const j of joined) joinOn(next, name, j.family, j.group);
            for (const [family, adverts] of routine) next.lazy.set(family, adverts);
          } catch (err) {
            void closeSockets(next);
            throw err;
          }
          sockets = next;
          void closeSockets(old);
          return "rebound";
        },
        close: () => closed ??= closeSockets(sockets),
      };
      return Promise.resolve(port);
    },
    addVips: async (list, dev) => outcome(await batcher.add(list, dev)),
    removeVips: async (list, dev) => outcome(await batcher.remove(list, dev)),
    presentVips: async (list, dev) => {
      const byDev = await readHost(new Set(list.map((v) => vipDev(v, dev))));
      return list.map((v) => vipMatches(v, byDev.get(vipDev(v, dev))?.addrs ?? []));
    },
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
        drainQuietOncePerTurn();
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
        drainQuietOncePerTurn();
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
