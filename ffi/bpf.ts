/**
 * Classic BPF socket filters (SO_ATTACH_FILTER), so the kernel hands a packet socket only the
 * few frames it is for. One program here: IPv4 frames of one protocol whose source address is
 * one given address — adverts claiming our own address, which the kernel's IP layer drops as
 * martians before any raw socket sees them.
 */

/** <linux/filter.h> opcodes (BPF class | size | mode). */
const LD_H_ABS = 0x28;
const LD_B_ABS = 0x30;
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const RET_K = 0x06;

/** One classic BPF instruction: opcode, jump-if-true, jump-if-false, constant. */
export type Insn = [code: number, jt: number, jf: number, k: number];

/** One `struct sock_filter { __u16 code; __u8 jt; __u8 jf; __u32 k; }` per instruction. */
export function encodeProgram(insns: Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  const v = new DataView(out.buffer);
  insns.forEach(([code, jt, jf, k], i) => {
    v.setUint16(i * 8, code, true);
    v.setUint8(i * 8 + 2, jt);
    v.setUint8(i * 8 + 3, jf);
    v.setUint32(i * 8 + 4, k >>> 0, true);
  });
  return out;
}

/**
 * Accepts Ethernet frames carrying IPv4 (no VLAN tag) of `protocol` from `source` (4 bytes,
 * network order); drops the rest. Offsets: ethertype at 12, IP protocol at 14 + 9, IP source
 * at 14 + 12.
 */
export function ipv4ProtocolFromSourceFilter(protocol: number, source: Uint8Array): Uint8Array {
  const b = source;
  const src = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  return encodeProgram([
    [LD_H_ABS, 0, 0, 12],
    [JEQ_K, 0, 5, 0x0800], // not IPv4: drop
    [LD_B_ABS, 0, 0, 23],
    [JEQ_K, 0, 3, protocol], // another protocol: drop
    [LD_W_ABS, 0, 0, 26],
    [JEQ_K, 0, 1, src], // another source: drop
    [RET_K, 0, 0, 0xffff], // the whole frame
    [RET_K, 0, 0, 0], // drop
  ]);
}
