/** A writer for classic libpcap files: a header, then one record per packet. */
import {
  LinkType,
  PCAP_FILE_HEADER_BYTES,
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_NANO,
  PCAP_MAX_SNAPLEN,
  PCAP_RECORD_HEADER_BYTES,
} from "./format.ts";

/** How the file is written; defaults: Ethernet, microseconds, little-endian, snaplen 262144. */
export interface PcapWriteOptions {
  linkType?: number;
  nanosecond?: boolean;
  littleEndian?: boolean;
  snaplen?: number;
}

/** A packet to write; `originalLength` defaults to the data length. */
export interface PcapWriteRecord {
  tsSec: number;
  /** fraction of the second in nanoseconds (rounded down to microseconds in a micro file) */
  tsNsec: number;
  data: Uint8Array;
  originalLength?: number;
}

/** The 24-byte global header. */
export function encodePcapHeader(opts: PcapWriteOptions = {}): Uint8Array {
  const out = new Uint8Array(PCAP_FILE_HEADER_BYTES);
  const v = new DataView(out.buffer);
  const le = opts.littleEndian ?? true;
  v.setUint32(0, opts.nanosecond ? PCAP_MAGIC_NANO : PCAP_MAGIC_MICRO, le);
  v.setUint16(4, 2, le);
  v.setUint16(6, 4, le);
  v.setUint32(16, opts.snaplen ?? PCAP_MAX_SNAPLEN, le);
  v.setUint32(20, opts.linkType ?? LinkType.ethernet, le);
  return out;
}

/** One record (16-byte header + data), in the byte order and precision of `opts`. */
export function encodePcapRecord(rec: PcapWriteRecord, opts: PcapWriteOptions = {}): Uint8Array {
  const out = new Uint8Array(PCAP_RECORD_HEADER_BYTES + rec.data.length);
  const v = new DataView(out.buffer);
  const le = opts.littleEndian ?? true;
  v.setUint32(0, rec.tsSec, le);
  v.setUint32(4, opts.nanosecond ? rec.tsNsec : Math.floor(rec.tsNsec / 1000), le);
  v.setUint32(8, rec.data.length, le);
  v.setUint32(12, rec.originalLength ?? rec.data.length, le);
  out.set(rec.data, PCAP_RECORD_HEADER_BYTES);
  return out;
}

/** A whole capture file in memory. */
export function writePcap(records: PcapWriteRecord[], opts: PcapWriteOptions = {}): Uint8Array {
  const parts = [encodePcapHeader(opts), ...records.map((r) => encodePcapRecord(r, opts))];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
