/**
 * `vrrp decode`: print every VRRP advert and ARP packet in a classic pcap capture (or one
 * packet given as hex), one line or one JSON object each. Other packets are counted and
 * skipped; the summary goes to stderr so stdout stays one record per line.
 */
import { networkPayload } from "../pcap/link.ts";
import { type PcapReadError, readPcap } from "../pcap/reader.ts";
import { parseHex } from "../pcap/hex.ts";
import { readRegularFileSync } from "../../config/read_file.ts";
import { classifyHex, classifyNetwork } from "../sniff/classify.ts";
import { formatPacketLine, type PacketEvent, packetJson } from "../sniff/format.ts";

/** The largest capture file read (the whole file is held in memory). */
const MAX_CAPTURE_BYTES = 1024 * 1024 * 1024;

/** Exit codes, as in main.ts. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** What a capture held. */
export interface DecodedCapture {
  events: PacketEvent[];
  /** frames that were neither VRRP nor ARP */
  skipped: number;
  /** set when the capture was cut short or corrupt; `events` holds what came before */
  error: PcapReadError | null;
}

/** Decodes a whole classic pcap file held in memory. Never throws. */
export function decodeCapture(bytes: Uint8Array): DecodedCapture {
  const read = readPcap(bytes);
  const events: PacketEvent[] = [];
  let skipped = 0;
  const nanosecond = read.header?.nanosecond ?? false;
  for (const rec of read.records) {
    const packet = classifyNetwork(networkPayload(read.header!.linkType, rec.data));
    if (packet.kind === "other") {
      skipped++;
      continue;
    }
    events.push({
      frame: rec.index,
      time: { sec: rec.tsSec, nsec: rec.tsNsec, nanosecond },
      packet,
    });
  }
  return { events, skipped, error: read.error };
}

/** "12 frames: 5 VRRP (1 invalid), 6 ARP (6 gratuitous), 5 NA (5 unsolicited), 1 other skipped" */
export function summaryLine(c: DecodedCapture): string {
  const vrrp = c.events.filter((e) => e.packet.kind === "vrrp");
  const invalid = vrrp.filter((e) => e.packet.kind === "vrrp" && !e.packet.result.ok).length;
  const arp = c.events.filter((e) => e.packet.kind === "arp");
  const garp = arp.filter((e) => e.packet.kind === "arp" && e.packet.arp.gratuitous).length;
  const na = c.events.flatMap((e) => e.packet.kind === "na" ? [e.packet.na] : []);
  const frames = c.events.length + c.skipped;
  const nas = na.length > 0
    ? `${na.length} NA (${na.filter((n) => n.unsolicited).length} unsolicited), `
    : "";
  return `${frames} frames: ${vrrp.length} VRRP (${invalid} invalid), ` +
    `${arp.length} ARP (${garp} gratuitous), ${nas}${c.skipped} other skipped`;
}

function emit(ev: PacketEvent, json: boolean): void {
  console.log(json ? JSON.stringify(packetJson(ev)) : formatPacketLine(ev));
}

async function readAllStdin(): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of Deno.stdin.readable) chunks.push(chunk);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs `vrrp decode [FILE] [--hex HEX] [--json]`: 0 on success, 1 when the capture cannot be
 * read or is corrupt (after printing what decoded before the damage), 2 on usage errors.
 */
export async function runDecode(
  file: string | undefined,
  opts: { hex?: string; json?: true | boolean },
): Promise<number> {
  const json = opts.json === true;
  if (opts.hex !== undefined) {
    if (file !== undefined) {
      console.error("vrrp decode: give either FILE or --hex, not both");
      return EXIT_USAGE;
    }
    const bytes = parseHex(opts.hex);
    if (bytes === null || bytes.length === 0) {
      console.error(
        `vrrp decode: --hex ${JSON.stringify(opts.hex)} is not hex (pairs of 0-9a-f digits)`,
      );
      return EXIT_USAGE;
    }
    const packet = classifyHex(bytes);
    if (packet.kind === "other") {
      console.error(`vrrp decode: not a VRRP packet (${packet.what})`);
      return EXIT_OK;
    }
    emit({ packet }, json);
    return EXIT_OK;
  }
  if (file === undefined) {
    console.error("vrrp decode: give a capture FILE (- for stdin) or --hex HEX");
    return EXIT_USAGE;
  }
  let bytes: Uint8Array;
  if (file === "-") {
    try {
      bytes = await readAllStdin();
    } catch (err) {
      console.error(`vrrp decode: cannot read ${file}: ${errorText(err)}`);
      return EXIT_FAILURE;
    }
  } else {
    // as `check` does: a FIFO would block and /dev/zero never ends (pipe a FIFO through "-")
    const r = readRegularFileSync(file, MAX_CAPTURE_BYTES);
    if (!r.ok) {
      console.error(`vrrp decode: cannot read ${file}: ${r.error}`);
      return EXIT_FAILURE;
    }
    bytes = r.bytes;
  }
  const capture = decodeCapture(bytes);
  for (const ev of capture.events) emit(ev, json);
  console.error(`vrrp decode: ${file === "-" ? "stdin" : file}: ${summaryLine(capture)}`);
  if (capture.error) {
    console.error(
      `vrrp decode: ${file === "-" ? "stdin" : file}: corrupt capture at byte offset ` +
        `${capture.error.offset}: ${capture.error.message}`,
    );
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}
