/**
 * Classic BPF programs that split a host's VRRP traffic between two raw sockets: a "quiet" one,
 * outside the poll set, for the routine adverts of masters a backup follows (read only when the
 * daemon wakes for something else, with their kernel arrival times), and the polled one for
 * everything else. One program decides "routine or not"; the two sockets get it with the
 * verdicts swapped, so every packet goes to exactly one of them.
 *
 * What the program sees: an IPv4 raw socket sees the packet from its IP header (the VRRP header
 * at IHL*4, the source at 12); an IPv6 raw socket sees the VRRP header at 0, and the IPv6 source
 * through the kernel's network-header window (SKF_NET_OFF + 8). Pure: builds bytes only.
 */
import { encodeProgram, type Insn } from "./bpf.ts";

/** <linux/filter.h> opcodes (class | size | mode). */
const LD_W_ABS = 0x20;
const LD_H_IND = 0x48;
const LD_B_IND = 0x50;
const LD_B_ABS = 0x30;
const LD_H_ABS = 0x28;
const LD_W_LEN = 0x80;
const LDX_B_MSH = 0xb1;
const ALU_AND_K = 0x54;
const ALU_SUB_X = 0x1c;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
/** SKF_NET_OFF (-0x100000) as the u32 `k` of an absolute load: offsets into the network header. */
const SKF_NET_OFF = 0xfff00000;
/** What an accepting filter keeps: the whole packet. */
const ACCEPT = 0xffffffff;
const REJECT = 0;
/** Bytes of the VRRP header the program reads (version/type .. the interval). */
const VRRP_BYTES_READ = 8;

/** One advert counted as routine: what the backup last heard from the master it follows. */
export interface RoutineAdvert {
  vrid: number;
  /** VRRP version, 2 or 3 (the advert's first byte is version << 4 | type 1) */
  version: 2 | 3;
  /** the master's address: 4 bytes (IPv4) or 16 (IPv6), network order */
  source: Uint8Array;
  /** its priority, 1..255 */
  priority: number;
  /** its advert interval as on the wire: seconds (v2, byte 5) or centiseconds (v3, the low 12 bits of bytes 4-5) */
  interval: number;
}

function word(b: Uint8Array, at: number): number {
  return ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
}

/**
 * The instructions of one entry, ending in `ret routine`; every mismatch jumps past the end of
 * the block (to the next entry, or the final `ret other`). `ind`: loads relative to X (IPv4).
 */
function entryBlock(e: RoutineAdvert, ipv6: boolean, routine: number): Insn[] {
  const ldb = ipv6 ? LD_B_ABS : LD_B_IND;
  const ldh = ipv6 ? LD_H_ABS : LD_H_IND;
  const checks: Insn[][] = [
    [[ldb, 0, 0, 1], [JEQ_K, 0, 0, e.vrid]],
    [[ldb, 0, 0, 0], [JEQ_K, 0, 0, (e.version << 4) | 1]],
    [[ldb, 0, 0, 2], [JEQ_K, 0, 0, e.priority]],
    e.version === 3
      ? [[ldh, 0, 0, 4], [ALU_AND_K, 0, 0, 0x0fff], [JEQ_K, 0, 0, e.interval]]
      : [[ldb, 0, 0, 5], [JEQ_K, 0, 0, e.interval]],
  ];
  if (ipv6) {
    for (let i = 0; i < 16; i += 4) {
      checks.push([[LD_W_ABS, 0, 0, SKF_NET_OFF + 8 + i], [JEQ_K, 0, 0, word(e.source, i)]]);
    }
  } else {
    checks.push([[LD_W_ABS, 0, 0, 12], [JEQ_K, 0, 0, word(e.source, 0)]]);
  }
  const block = checks.flat();
  block.push([RET_K, 0, 0, routine]);
  // each JEQ's false branch: to the instruction after the block's `ret`
  block.forEach((insn, i) => {
    if (insn[0] === JEQ_K) insn[2] = block.length - 1 - i;
  });
  return block;
}

/**
 * The program deciding routine-or-not for `entries` of one family: returns `routine` for a
 * routine advert, `other` for anything else (including packets too short to judge). Empty
 * `entries`: always `other`.
 */
function routineProgram(
  family: "ipv4" | "ipv6",
  entries: RoutineAdvert[],
  routine: number,
  other: number,
): Uint8Array {
  if (entries.length === 0) return encodeProgram([[RET_K, 0, 0, other]]);
  const ipv6 = family === "ipv6";
  const head: Insn[] = ipv6
    ? [
      [LD_W_LEN, 0, 0, 0],
      [JGE_K, 1, 0, VRRP_BYTES_READ],
      [RET_K, 0, 0, other],
    ]
    : [
      // X = the IP header's length; the kernel has checked it fits the packet
      [LDX_B_MSH, 0, 0, 0],
      [LD_W_LEN, 0, 0, 0],
      [ALU_SUB_X, 0, 0, 0],
      [JGE_K, 1, 0, VRRP_BYTES_READ],
      [RET_K, 0, 0, other],
    ];
  const body = entries.flatMap((e) => entryBlock(e, ipv6, routine));
  return encodeProgram([...head, ...body, [RET_K, 0, 0, other]]);
}

/** The filters of one family's socket pair for `entries`. */
export interface SplitFilters {
  /** the quiet socket's: routine adverts only */
  quiet: Uint8Array;
  /** the polled socket's: everything but routine adverts */
  polled: Uint8Array;
}

/**
 * The pair of filters for one interface and family. With no entries the quiet socket takes
 * nothing and the polled one everything. Throws RangeError past the kernel's 4,096 instructions
 * (about 150 IPv6 or 300 IPv4 entries).
 */
export function routineFilters(family: "ipv4" | "ipv6", entries: RoutineAdvert[]): SplitFilters {
  for (const e of entries) {
    if (e.source.length !== (family === "ipv4" ? 4 : 16)) {
      throw new TypeError(`routine advert source of the wrong family (${e.source.length} bytes)`);
    }
  }
  const quiet = routineProgram(family, entries, ACCEPT, REJECT);
  if (quiet.length / 8 > 4096) throw new RangeError("routine filter over 4096 instructions");
  return { quiet, polled: routineProgram(family, entries, REJECT, ACCEPT) };
}

/** A filter that rejects every packet (a quiet socket with no routine adverts, or a fallback). */
export function rejectAllFilter(): Uint8Array {
  return encodeProgram([[RET_K, 0, 0, REJECT]]);
}
