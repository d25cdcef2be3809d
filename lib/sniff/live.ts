/**
 * The socket side of `vrrp sniff`: every VRRP packet on one interface, as it is on the wire.
 *
 * Why an AF_PACKET socket (ETH_P_ALL) rather than a raw IP socket: it sees the frames this host
 * sends itself, and it hands over the IP header untouched, so the TTL shown is the real one and
 * adverts the kernel's raw-socket path would still deliver but routers drop (TTL ≠ 255) are shown
 * with a warning. ETH_P_IP would miss outgoing frames (the kernel copies those only to ETH_P_ALL
 * taps), so everything is read and filtered here to IPv4 protocol 112. A raw IP socket joined to
 * 224.0.0.18 is held open beside it, unread, only so the NIC's multicast filter lets the group in
 * on hosts that run no VRRP themselves (and one joined to ff02::12 for IPv6).
 */
import { PacketSocket, type ReceivedPacket } from "../../ffi/packet_socket.ts";
import { RawIpSocket } from "../../ffi/raw_socket.ts";
import { RawIp6Socket } from "../../ffi/raw_socket6.ts";
import { ETH_P_ALL } from "../../ffi/libc.ts";
import { networkPayload } from "../pcap/link.ts";
import { LinkType } from "../pcap/format.ts";
import { decodeIgnoringHopLimit } from "./ip_packet.ts";
import type { DecodeResult } from "../vrrp/types.ts";
import { type ClassifiedPacket, classifyNetwork } from "./classify.ts";

/** A VRRP packet found in a frame. */
export interface FrameVrrp {
  /** the verdict of the codec and the loose fields, for the per-packet line or JSON */
  packet: Extract<ClassifiedPacket, { kind: "vrrp" }>;
  /**
   * what `SniffView.add()` should record: the codec's result, except that an advert dropped
   * only for its TTL is decoded anyway (with its IP header), so the view lists the router under
   * its VRID and warns about the TTL there
   */
  forView: DecodeResult;
}

/** Finds the VRRP packet in an Ethernet frame; null for anything else. Pure, never throws. */
export function vrrpFromFrame(frame: Uint8Array): FrameVrrp | null {
  const np = networkPayload(LinkType.ethernet, frame);
  const packet = classifyNetwork(np);
  if (packet.kind !== "vrrp" || np === null) return null;
  return { packet, forView: viewResult(packet.result, np.payload) };
}

/**
 * The result to record in the view for the IP packet `ip` the codec judged `r` (see
 * {@link FrameVrrp}). Pure, never throws.
 */
export function viewResult(r: DecodeResult, ip: Uint8Array): DecodeResult {
  if (r.ok || r.reason !== "badTtl" || !r.ip) return r;
  // the codec stops at the TTL; the message behind the header may still be a sound advert
  const bare = decodeIgnoringHopLimit(ip, r.ip);
  return bare.ok ? bare : r;
}

/** A VRRP packet received live. */
export interface SniffedVrrp extends FrameVrrp {
  /** `performance.now()` when read */
  atMs: number;
  /** wall-clock time when read (ms since the epoch), for display */
  wallMs: number;
  /** sent by this host */
  outgoing: boolean;
}

/** Anything that delivers VRRP packets until closed (the live socket, or a test's fake). */
export interface VrrpSource {
  /** Calls `onPacket` for every VRRP packet; resolves once close() was called. */
  run(onPacket: (p: SniffedVrrp) => void): Promise<void>;
  /** Stops run() and releases the source. Idempotent. */
  close(): Promise<void>;
}

/** VRRP packets on one interface, from an ETH_P_ALL packet socket. */
export class LiveSniffer implements VrrpSource {
  private constructor(
    readonly ifname: string,
    readonly packets: PacketSocket,
    readonly membership: RawIpSocket | null,
    readonly membership6: RawIp6Socket | null = null,
  ) {}

  /**
   * Opens the sockets on `ifname`. Throws OsError from the packet socket: ENODEV when there is
   * no such interface, EPERM without CAP_NET_RAW. Joining the group is best effort.
   */
  static open(ifname: string): LiveSniffer {
    const packets = PacketSocket.open(ifname, { protocol: ETH_P_ALL, receive: true });
    let membership: RawIpSocket | null = null;
    try {
      membership = RawIpSocket.open(ifname);
    } catch {
      // e.g. no IPv4 on the interface: the packet socket still sees what reaches it
    }
    let membership6: RawIp6Socket | null = null;
    try {
      membership6 = RawIp6Socket.open(ifname);
    } catch {
      // IPv6 disabled on the interface
    }
    return new LiveSniffer(ifname, packets, membership, membership6);
  }

  run(onPacket: (p: SniffedVrrp) => void): Promise<void> {
    return this.packets.receiveLoop((f: ReceivedPacket) => {
      const found = vrrpFromFrame(f.bytes);
      if (!found) return;
      onPacket({ ...found, atMs: f.atMs, wallMs: Date.now(), outgoing: f.outgoing === true });
    });
  }

  async close(): Promise<void> {
    await this.packets.close();
    await this.membership?.close();
    await this.membership6?.close();
  }
}
