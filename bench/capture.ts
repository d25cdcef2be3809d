/**
 * Packet captures for the bench: tcpdump writes a classic pcap inside a lab node, and the
 * project's own reader and decoders turn it into the few events the figures are made of
 * (VRRP adverts and ARP packets, each with the kernel's capture timestamp).
 */
import type { Lab, LabProcess } from "../tests/netns/lab.ts";
import { networkPayload, readPcap } from "../lib/pcap/mod.ts";
import { decodeArp, ETHERTYPE_ARP, ETHERTYPE_IPV4 } from "../lib/vrrp/arp.ts";
import { decodeIpPacket } from "../lib/sniff/ip_packet.ts";
import { decodeNeighborAdvert, ETHERTYPE_IPV6 } from "../lib/vrrp/ndisc.ts";
import { formatMac } from "../lib/vrrp/arp.ts";

/** A VRRP advertisement seen on the wire. */
export interface AdvertSeen {
  tMs: number;
  source: string;
  vrid: number;
  priority: number;
}

/** An ARP packet seen on the wire (gratuitous request, request or reply). */
export interface ArpSeen {
  tMs: number;
  op: string;
  senderMac: string;
  senderIp: string;
  targetIp: string;
  /** sender IP == target IP: an unsolicited announcement, not an answer to the client */
  gratuitous: boolean;
}

/** An unsolicited neighbour advertisement seen on the wire (IPv6's gratuitous ARP). */
export interface NaSeen {
  tMs: number;
  /** the Ethernet source */
  senderMac: string;
  target: string;
}

/** An IGMP membership report seen on the wire: a host joined `group`. */
export interface JoinSeen {
  tMs: number;
  source: string;
  group: string;
}

/** What one capture holds, in capture order. */
export interface CaptureResult {
  /** both families (an IPv6 advert's source is its link-local address) */
  adverts: AdvertSeen[];
  arps: ArpSeen[];
  nas: NaSeen[];
  /** IGMP membership reports (v2, or the first record of a v3 report) */
  joins: JoinSeen[];
  /** set when the file was cut short or unreadable */
  error: string | null;
}

/** A running tcpdump. */
export class Capture {
  readonly path: string;
  readonly #proc: LabProcess;

  private constructor(path: string, proc: LabProcess) {
    this.path = path;
    this.#proc = proc;
  }

  /**
   * Starts capturing ARP and VRRP (with `ipv6`, also IPv6 VRRP and ICMPv6) on `node`'s eth0
   * into `path`; resolves once tcpdump listens.
   */
  static async start(lab: Lab, node: string, path: string, ipv6 = false): Promise<Capture> {
    const proc = lab.spawn(node, [
      "tcpdump",
      "-i",
      "eth0",
      "-n",
      "-U",
      // without it TPACKET_V3 hands frames over a block (up to 1 s) at a time, and a stop loses
      // the last, unretired block: a burst right before stop() went missing
      "--immediate-mode",
      "-Z",
      "root",
      "-s",
      "256",
      // 16 MB of kernel buffer: 2,550 adverts/s on a saturated host must not be dropped here
      "-B",
      "16384",
      "-w",
      path,
      ipv6
        ? "arp or ip proto 112 or ip6 proto 112 or icmp6 or igmp"
        : "arp or ip proto 112 or igmp",
    ]);
    await proc.waitFor(/listening on/, 10_000);
    return new Capture(path, proc);
  }

  /** Stops tcpdump (it flushes on SIGTERM) and decodes the file. */
  async stop(): Promise<CaptureResult> {
    await this.#proc.stop(3000);
    return readCapture(await Deno.readFile(this.path));
  }
}

/** Decodes a pcap held in memory into adverts and ARP packets; never throws. */
export function readCapture(bytes: Uint8Array): CaptureResult {
  const read = readPcap(bytes);
  const out: CaptureResult = {
    adverts: [],
    arps: [],
    nas: [],
    joins: [],
    error: read.error ? `${read.error.message} at byte ${read.error.offset}` : null,
  };
  const linkType = read.header?.linkType ?? 1;
  for (const rec of read.records) {
    const tMs = rec.tsSec * 1000 + rec.tsNsec / 1e6;
    const net = networkPayload(linkType, rec.data);
    if (net === null) continue;
    if (net.etherType === ETHERTYPE_ARP) {
      const arp = decodeArp(net.payload);
      if (arp === null) continue;
      out.arps.push({
        tMs,
        op: String(arp.op),
        senderMac: arp.senderMac,
        senderIp: arp.senderIp,
        targetIp: arp.targetIp,
        gratuitous: arp.gratuitous,
      });
    } else if (net.etherType === ETHERTYPE_IPV6) {
      const na = decodeNeighborAdvert(net.payload);
      if (na?.unsolicited) {
        out.nas.push({ tMs, senderMac: formatMac(rec.data, 6), target: na.target });
        continue;
      }
      const r = decodeIpPacket(net.payload);
      if (!r.ok || r.ip === undefined) continue;
      out.adverts.push({
        tMs,
        source: r.ip.source,
        vrid: r.advert.vrid,
        priority: r.advert.priority,
      });
    } else if (net.etherType === ETHERTYPE_IPV4) {
      const join = igmpJoin(net.payload);
      if (join !== null) {
        out.joins.push({ tMs, ...join });
        continue;
      }
      const r = decodeIpPacket(net.payload);
      if (!r.ok || r.ip === undefined) continue;
      out.adverts.push({
        tMs,
        source: r.ip.source,
        vrid: r.advert.vrid,
        priority: r.advert.priority,
      });
    }
  }
  return out;
}

/** IPv4 protocol number of IGMP (RFC 3376). */
const IPPROTO_IGMP = 2;

/** The source and group of an IGMPv2 (0x16) or IGMPv3 (0x22) membership report; else null. */
export function igmpJoin(ip: Uint8Array): { source: string; group: string } | null {
  if (ip.length < 20 || ip[9] !== IPPROTO_IGMP) return null;
  const ihl = (ip[0] & 0x0f) * 4;
  const igmp = ip.subarray(ihl);
  const quad = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;
  const source = quad(ip, 12);
  // v3: type, reserved, checksum, reserved(2), record count(2), then records of
  // type, aux length, source count(2), group(4)
  if (igmp[0] === 0x22 && igmp.length >= 16) return { source, group: quad(igmp, 12) };
  if (igmp[0] === 0x16 && igmp.length >= 8) return { source, group: quad(igmp, 4) };
  return null;
}

/**
 * The first ARP packet at or after `afterMs` in which `mac` claims `ip` (a gratuitous ARP or an
 * ARP reply): the moment a client learns where the VIP lives.
 */
export function firstClaim(
  cap: CaptureResult,
  ip: string,
  mac: string,
  afterMs: number,
  onlyGratuitous = false,
): ArpSeen | null {
  return cap.arps.find((a) =>
    a.tMs >= afterMs && a.senderIp === ip && a.senderMac === mac &&
    (!onlyGratuitous || a.gratuitous)
  ) ?? null;
}

/** The last advert for `vrid` from `source` before `beforeMs`. */
export function lastAdvertBefore(
  cap: CaptureResult,
  source: string,
  vrid: number,
  beforeMs: number,
): AdvertSeen | null {
  let last: AdvertSeen | null = null;
  for (const a of cap.adverts) {
    if (a.tMs >= beforeMs) break;
    if (a.source === source && a.vrid === vrid) last = a;
  }
  return last;
}

/** The first unsolicited neighbour advertisement at or after `afterMs` in which `mac` claims `ip`. */
export function firstNa(
  cap: CaptureResult,
  ip: string,
  mac: string,
  afterMs: number,
): NaSeen | null {
  return cap.nas.find((n) => n.tMs >= afterMs && n.target === ip && n.senderMac === mac) ?? null;
}
