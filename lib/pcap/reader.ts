/**
 * A reader for classic libpcap files (both byte orders, micro- and nanosecond timestamps).
 * It never throws: a truncated or corrupt file gives the records read so far and an error that
 * names the byte offset where reading stopped.
 */
import {
  PCAP_FILE_HEADER_BYTES,
  PCAP_MAGIC_MICRO,
  PCAP_MAGIC_NANO,
  PCAP_MAX_SNAPLEN,
  PCAP_RECORD_HEADER_BYTES,
  type PcapHeader,
  PCAPNG_MAGIC,
  type PcapRecord,
} from "./format.ts";
import { isSupportedLinkType } from "./link.ts";

/** Where and why reading a capture stopped. */
export interface PcapReadError {
  /** byte offset in the file of the structure that is wrong or cut short */
  offset: number;
  message: string;
}

/** Everything read from a capture; `error` is set when it was cut short or corrupt. */
export interface PcapReadResult {
  header: PcapHeader | null;
  records: PcapRecord[];
  error: PcapReadError | null;
}

/** Reads a whole capture held in memory. */
export function readPcap(bytes: Uint8Array): PcapReadResult {
  const records: PcapRecord[] = [];
  const fail = (offset: number, message: string, header: PcapHeader | null = null) => ({
    header,
    records,
    error: { offset, message },
  });
  if (bytes.length < PCAP_FILE_HEADER_BYTES) {
    return fail(
      0,
      `file of ${bytes.length} bytes is shorter than the ${PCAP_FILE_HEADER_BYTES}-byte pcap header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magicBe = view.getUint32(0, false);
  const magicLe = view.getUint32(0, true);
  let littleEndian: boolean;
  let nanosecond: boolean;
  if (magicLe === PCAP_MAGIC_MICRO || magicLe === PCAP_MAGIC_NANO) {
    littleEndian = true;
    nanosecond = magicLe === PCAP_MAGIC_NANO;
  } else if (magicBe === PCAP_MAGIC_MICRO || magicBe === PCAP_MAGIC_NANO) {
    littleEndian = false;
    nanosecond = magicBe === PCAP_MAGIC_NANO;
  } else if (magicBe === PCAPNG_MAGIC) {
    return fail(0, "this is a pcapng file; convert it with: editcap -F pcap IN OUT");
  } else {
    return fail(0, `not a pcap file (magic 0x${magicBe.toString(16).padStart(8, "0")})`);
  }
  const header: PcapHeader = {
    littleEndian,
    nanosecond,
    versionMajor: view.getUint16(4, littleEndian),
    versionMinor: view.getUint16(6, littleEndian),
    snaplen: view.getUint32(16, littleEndian),
    // the upper bits may carry FCS information
    linkType: view.getUint32(20, littleEndian) & 0xffff,
  };
  if (header.versionMajor !== 2) {
    return fail(4, `unsupported pcap version ${header.versionMajor}.${header.versionMinor}`);
  }
  if (!isSupportedLinkType(header.linkType)) {
    return fail(
      20,
      `link type ${header.linkType} is not supported ` +
        "(1 Ethernet, 101 raw IP, 113 Linux SLL, 228 IPv4, 276 Linux SLL2)",
      header,
    );
  }
  const maxRecord = Math.max(header.snaplen, PCAP_MAX_SNAPLEN);
  let off = PCAP_FILE_HEADER_BYTES;
  while (off < bytes.length) {
    const index = records.length + 1;
    if (bytes.length - off < PCAP_RECORD_HEADER_BYTES) {
      return fail(
        off,
        `record ${index}: header cut short (${
          bytes.length - off
        } of ${PCAP_RECORD_HEADER_BYTES} bytes)`,
        header,
      );
    }
    const tsSec = view.getUint32(off, littleEndian);
    const frac = view.getUint32(off + 4, littleEndian);
    const capturedLength = view.getUint32(off + 8, littleEndian);
    const originalLength = view.getUint32(off + 12, littleEndian);
    if (capturedLength > maxRecord) {
      return fail(
        off,
        `record ${index}: captured length ${capturedLength} exceeds the snap length ${maxRecord}`,
        header,
      );
    }
    if (frac >= (nanosecond ? 1e9 : 1e6)) {
      return fail(
        off + 4,
        `record ${index}: sub-second timestamp ${frac} is out of range`,
        header,
      );
    }
    const dataOff = off + PCAP_RECORD_HEADER_BYTES;
    if (bytes.length - dataOff < capturedLength) {
      return fail(
        dataOff,
        `record ${index}: data cut short (${bytes.length - dataOff} of ${capturedLength} bytes)`,
        header,
      );
    }
    records.push({
      index,
      offset: off,
      tsSec,
      tsNsec: nanosecond ? frac : frac * 1000,
      capturedLength,
      originalLength,
      data: bytes.subarray(dataOff, dataOff + capturedLength),
    });
    off = dataOff + capturedLength;
  }
  return { header, records, error: null };
}
