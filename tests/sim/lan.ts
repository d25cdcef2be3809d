/**
 * A simulated Ethernet segment carrying multicast VRRP frames between routers: a discrete-event
 * queue with per-frame delay, loss, duplication, corruption and partitions, all drawn from the
 * scenario's seeded PRNG. The clock is a number owned by the caller. Like a real segment it
 * keeps each sender's frames in order (FIFO per sender and receiver): a resigning master's
 * priority-0 advert never overtakes its previous advert (a reordering that would make backups
 * wait a whole Master_Down_Interval instead of Skew_Time).
 */
import type { Rng } from "./prng.ts";

/** One frame in flight: the raw IPv4 bytes, for router `to`, arriving at `atMs`. */
export interface Frame {
  atMs: number;
  seq: number;
  from: number;
  to: number;
  bytes: Uint8Array;
  /** a bit was flipped on the way: the receiver must drop it (unless no field covers that bit) */
  corrupted: boolean;
  /** the frame as sent, when corrupted */
  original?: Uint8Array;
}

export interface LanOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** chance that a frame is delivered twice */
  dupRate: number;
  /** chance that the sender hears its own frame (IP_MULTICAST_LOOP) */
  loopbackRate: number;
}

function before(a: Frame, b: Frame): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
}

/** The segment: who can hear whom, how badly, and the frames in flight. */
export class Lan {
  lossRate = 0;
  corruptRate = 0;
  /** partition group per router; routers hear each other only within a group */
  groups: number[];
  readonly #heap: Frame[] = [];
  /** last arrival time per sender → receiver: one segment keeps each sender's frames in order */
  readonly #lastArrival = new Map<number, number>();
  #seq = 0;
  framesSent = 0;
  framesLost = 0;

  constructor(readonly rng: Rng, routers: number, readonly opts: LanOptions) {
    this.groups = new Array(routers).fill(0);
  }

  /** No loss, no corruption, no partition: the network is "stable". */
  get clean(): boolean {
    return this.lossRate === 0 && this.corruptRate === 0 && this.groups.every((g) => g === 0);
  }

  partition(groups: number[]): void {
    this.groups = [...groups];
  }

  heal(): void {
    this.groups = this.groups.map(() => 0);
    this.lossRate = 0;
    this.corruptRate = 0;
  }

  /** Multicasts `bytes` from router `from` at `nowMs` to every router in its partition. */
  broadcast(from: number, bytes: Uint8Array, nowMs: number): void {
    this.framesSent++;
    for (let to = 0; to < this.groups.length; to++) {
      if (to === from && !this.rng.chance(this.opts.loopbackRate)) continue;
      if (this.groups[to] !== this.groups[from]) continue;
      if (this.rng.chance(this.lossRate)) {
        this.framesLost++;
        continue;
      }
      const copies = this.rng.chance(this.opts.dupRate) ? 2 : 1;
      for (let i = 0; i < copies; i++) {
        let frame = bytes;
        const corrupted = this.rng.chance(this.corruptRate);
        if (corrupted) {
          frame = bytes.slice();
          frame[this.rng.int(0, frame.length - 1)] ^= 1 << this.rng.int(0, 7);
        }
        const key = from * 256 + to;
        const atMs = Math.max(
          nowMs + this.rng.float(this.opts.minDelayMs, this.opts.maxDelayMs),
          this.#lastArrival.get(key) ?? 0,
        );
        this.#lastArrival.set(key, atMs);
        const f: Frame = { atMs, seq: this.#seq++, from, to, bytes: frame, corrupted };
        if (corrupted) f.original = bytes;
        this.#push(f);
      }
    }
  }

  /** When the next frame arrives, or null when nothing is in flight. */
  nextArrivalMs(): number | null {
    return this.#heap.length > 0 ? this.#heap[0].atMs : null;
  }

  /** Takes the earliest frame off the wire. */
  take(): Frame | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && before(h[l], h[m])) m = l;
        if (r < h.length && before(h[r], h[m])) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m], h[i]];
        i = m;
      }
    }
    return top;
  }

  #push(f: Frame): void {
    const h = this.#heap;
    h.push(f);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(h[i], h[p])) break;
      [h[i], h[p]] = [h[p], h[i]];
      i = p;
    }
  }
}
