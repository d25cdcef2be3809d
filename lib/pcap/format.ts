/** The classic libpcap file format: magic numbers, sizes and link types. */

/** Magic of a file with microsecond timestamps (read in the file's byte order). */
export const PCAP_MAGIC_MICRO = 0xa1b2c3d4;
/** Magic of a file with nanosecond timestamps. */
export const PCAP_MAGIC_NANO = 0xa1b23c4d;
/** Section header block type of pcapng, which this reader does not read. */
export const PCAPNG_MAGIC = 0x0a0d0d0a;
/** Global header: magic, version 2.4, thiszone, sigfigs, snaplen, network. */
export const PCAP_FILE_HEADER_BYTES = 24;
/** Record header: ts_sec, ts_usec/ts_nsec, incl_len, orig_len. */
export const PCAP_RECORD_HEADER_BYTES = 16;
/** tcpdump's default snap length; larger records than this and the file's snaplen are corrupt. */
export const PCAP_MAX_SNAPLEN = 262144;

/** LINKTYPE_* values this reader understands (tcpdump.org/linktypes.html). */
export const LinkType = {
  ethernet: 1,
  raw: 101,
  linuxSll: 113,
  ipv4: 228,
  linuxSll2: 276,
} as const;
export type LinkType = typeof LinkType[keyof typeof LinkType];

/** What the global header says. */
export interface PcapHeader {
  littleEndian: boolean;
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  snaplen: number;
  linkType: number;
}

/** One captured packet. */
export interface PcapRecord {
  /** 1-based position in the file, like tshark's frame number */
  index: number;
  /** byte offset of the record header in the file */
  offset: number;
  tsSec: number;
  /** fraction of the second in nanoseconds (microsecond files are scaled up) */
  tsNsec: number;
  capturedLength: number;
  originalLength: number;
  /** the captured link-layer frame */
  data: Uint8Array;
}
