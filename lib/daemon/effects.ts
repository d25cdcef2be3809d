/**
 * The daemon's ports: everything it does to the outside world goes through `Effects`, so a unit
 * test can drive the daemon with fakes and a fake clock, and `realEffects()` uses ffi + `ip`.
 */
import type { VipConfig } from "../../config/model.ts";
import type { Family } from "../vrrp/address.ts";
import type { DropReason } from "../vrrp/types.ts";

/** What an `ip addr` run reported; a failure keeps the command's stderr for the log. */
export type VipOutcome = { ok: true } | { ok: false; stderr: string };

/** Where a VRRP message goes: the IP header the port builds (or the kernel, for IPv6). */
export interface SendTo {
  family: Family;
  src: string;
  dst: string;
  /** IPv4 TTL / IPv6 hop limit: 255 for VRRP */
  hopLimit: number;
}

/** A VRRP message as received, with the addresses and hop limit it came with. */
export interface ReceivedMessage {
  ok: true;
  /** the VRRP message alone (no IP header) */
  message: Uint8Array;
  family: Family;
  src: string;
  dst: string;
  hopLimit: number;
  ifindex: number;
  /** monotonic ms when read */
  atMs: number;
}

/** A packet the port could not hand on as a VRRP message (a bad IP header). */
export interface ReceiveDropped {
  ok: false;
  family: Family;
  reason: DropReason;
  detail: string;
  /** the VRID, when the bytes reach it (to count the drop on its instance) */
  vrid: number | null;
  atMs: number;
}

/** The multicast group adverts go to, per family (`vrrp_mcast_group4`, `vrrp_mcast_group6`). */
export interface MulticastGroups {
  ipv4: string;
  ipv6: string;
}

/**
 * An advert a backup expects, over and over, from the master it follows: the same VRID, source,
 * priority, version and interval. A port may queue these without waking the daemon and hand
 * them over (with their arrival times) when it is awake anyway; see `InterfacePort.setRoutine`.
 */
export interface RoutineAdvert {
  vrid: number;
  version: 2 | 3;
  /** the master's address (canonical text) */
  source: string;
  /** 1..255 */
  priority: number;
  /** as on the wire: whole seconds (v2) or centiseconds (v3) */
  interval: number;
}

/** What a port delivers. */
export type Received = ReceivedMessage | ReceiveDropped;

/** One interface the daemon speaks VRRP on: raw IP sockets plus a packet socket for ARP. */
export interface InterfacePort {
  readonly name: string;
  /** 6-byte hardware address, the source of gratuitous ARPs */
  readonly mac: Uint8Array;
  /**
   * our address of `family` there (the advert source and tie-breaker): the primary IPv4
   * address, or the IPv6 link-local address; null if none (or the family is not open)
   */
  address(family: Family): string | null;
  /**
   * Opens what `family` needs (IPv6: the raw socket on ff02::12 and the link-local address)
   * unless open; throws {@link InterfaceError}. IPv4 is always open.
   */
  ensureFamily(family: Family): void;
  /**
   * Whether `address` (canonical text) is configured on this interface right now (the check of
   * unicast_src_ip / mcast_src_ip). Optional: without it the source is not checked.
   */
  hasAddress?(address: string): boolean;
  /**
   * Joins the multicast `group` of `family` on this interface (beside the RFC's default group,
   * joined on open), for `vrrp_mcast_group4/6` and `mcast_dst_ip`; idempotent. Throws when
   * it cannot. Optional: without it, only the default groups are heard.
   */
  joinGroup?(family: Family, group: string): void;
  /** Sends one VRRP message; the IP header comes from `to`. Throws when it cannot be sent. */
  send(message: Uint8Array, to: SendTo): void;
  /** Sends complete Ethernet frames (gratuitous ARP). */
  sendFrames(frames: Uint8Array[]): void;
  /**
   * Hands packets the kernel has already queued to `onPacket` now, synchronously: called just
   * before deadlines fire, so an advert that arrived in time is never judged late. Optional.
   */
  drainReceived?(): void;
  /**
   * The routine adverts of `family` on this interface now (all of them, replacing the last
   * set): the port may hold these back until the daemon wakes for something else, or until
   * drainReceived(); everything else still arrives at once. Packets held are handed over first,
   * in order, with their arrival time as `atMs`. Optional: without it everything comes at once.
   */
  setRoutine?(family: Family, adverts: RoutineAdvert[]): void;
  /** Hands over the routine adverts held back (see setRoutine) now, in order. Optional. */
  drainRoutine?(): void;
  /**
   * Re-opens the sockets when the interface now has another index than the one they were
   * bound to (deleted and re-created: a driver reload, a re-made veth, a hot-plugged NIC).
   * "missing" when it does not exist now. Throws when re-opening fails. Optional.
   */
  rebindIfMoved?(): "same" | "rebound" | "missing";
  /** Stops receiving and closes the sockets; idempotent. */
  close(): Promise<void>;
}

/** One IPv4 or IPv6 address on the host (canonical text), as the rtnetlink address watch reports it. */
export interface HostAddress {
  /** the device it is on */
  dev: string;
  address: string;
  prefixLen: number;
}

/** One address change: added, or removed (`deleted`). */
export interface AddressChange extends HostAddress {
  deleted: boolean;
}

/** Why an interface could not be opened, already phrased for a one-line message. */
export class InterfaceError extends Error {
  constructor(
    readonly iface: string,
    readonly kind: "missing" | "permission" | "other",
    message: string,
  ) {
    super(message);
    this.name = "InterfaceError";
  }
}

/** Everything the daemon needs from the host. */
export interface Effects {
  /** monotonic milliseconds (performance.now() in the real daemon) */
  now(): number;
  setTimer(delayMs: number, fn: () => void): number;
  clearTimer(id: number): void;
  /**
   * Opens the interface; `onReceive` gets every packet of protocol 112 seen on it, as a VRRP
   * message with its addresses (or why it was dropped below VRRP). The sockets join `groups`
   * (default: 224.0.0.18 and ff02::12). Throws {@link InterfaceError} when the interface is
   * missing or we lack privileges.
   */
  openInterface(
    name: string,
    onReceive: (r: Received) => void,
    groups?: MulticastGroups,
  ): Promise<InterfacePort>;
  addVips(vips: VipConfig[], dev: string): Promise<VipOutcome>;
  removeVips(vips: VipConfig[], dev: string): Promise<VipOutcome>;
  /**
   * Whether the tool that changes addresses runs at all (`ip -batch -` with no commands): a
   * master that gave way because its VIPs failed rejoins only once it does. Optional.
   */
  probeVipTool?(): Promise<VipOutcome>;
  /** Which of `vips` are on `dev` right now (same order). */
  presentVips(vips: VipConfig[], dev: string): Promise<boolean[]>;
  /**
   * Whether `iface` is up with carrier (IFF_RUNNING), for `track_interface` and the instance's
   * own link; false when it does not exist. Optional: without it links are not tracked.
   */
  linkRunning?(iface: string): boolean;
  /**
   * Starts watching link changes (rtnetlink): `onChange` gets the names of changed interfaces,
   * or null when changes were lost (re-read every link); `onFailed` when the watch broke down
   * later. Returns the function that stops the watch, or null when it could not start (tracking
   * then polls often). Optional.
   */
  watchLinks?(
    onChange: (names: string[] | null) => void,
    onFailed: () => void,
  ): (() => Promise<void>) | null;
  /**
   * Starts watching IPv4 and IPv6 address changes (rtnetlink): `onChange` gets each batch of changes, or
   * null when changes were lost (call `listAddresses()` again); `onFailed` when the watch broke
   * down later. Returns the function that stops it, or null when it could not start. Optional:
   * without it (or `listAddresses`) VIP presence is asked of the host per status request and
   * removed VIPs are not repaired.
   */
  watchAddresses?(
    onChange: (changes: AddressChange[] | null) => void,
    onFailed: () => void,
  ): (() => Promise<void>) | null;
  /** Every IPv4 and IPv6 address of the host now (rtnetlink dumps); throws when it cannot be read. */
  listAddresses?(): HostAddress[];
}
