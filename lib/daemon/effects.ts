/**
 * The daemon's ports: everything it does to the outside world goes through `Effects`, so a unit
 * test can drive the daemon with fakes and a fake clock, and `realEffects()` uses ffi + `ip`.
 */
import type { VipConfig } from "../../config/model.ts";

/** What an `ip addr` run reported; a failure keeps the command's stderr for the log. */
export type VipOutcome = { ok: true } | { ok: false; stderr: string };

/** One interface the daemon speaks VRRP on: a raw IP socket plus a packet socket for ARP. */
export interface InterfacePort {
  readonly name: string;
  /** 6-byte hardware address, the source of gratuitous ARPs */
  readonly mac: Uint8Array;
  /** the interface's primary IPv4 address (advert source and tie-breaker), null if none */
  readonly primaryIp: string | null;
  /** Sends one complete IPv4 packet (VRRP advert). */
  sendAdvert(packet: Uint8Array): void;
  /** Sends complete Ethernet frames (gratuitous ARP). */
  sendFrames(frames: Uint8Array[]): void;
  /**
   * Hands packets the kernel has already queued to `onPacket` now, synchronously: called just
   * before deadlines fire, so an advert that arrived in time is never judged late. Optional.
   */
  drainReceived?(): void;
  /**
   * Re-opens the sockets when the interface now has another index than the one they were
   * bound to (deleted and re-created: a driver reload, a re-made veth, a hot-plugged NIC).
   * "missing" when it does not exist now. Throws when re-opening fails. Optional.
   */
  rebindIfMoved?(): "same" | "rebound" | "missing";
  /** Stops receiving and closes the sockets; idempotent. */
  close(): Promise<void>;
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
   * Opens the interface; `onPacket` receives every IPv4 packet of protocol 112 seen on it.
   * Throws {@link InterfaceError} when the interface is missing or we lack privileges.
   */
  openInterface(name: string, onPacket: (packet: Uint8Array) => void): Promise<InterfacePort>;
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
}
