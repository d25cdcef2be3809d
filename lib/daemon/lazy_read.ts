/**
 * Lazy reading of routine adverts. A backup hears its master once per advert interval, and each
 * advert only pushes Master_Down further out; waking the daemon for each costs more CPU than
 * anything else it does at idle. So, per interface and family, a second "quiet" raw socket that
 * is never polled takes exactly the routine adverts (the master's VRID, source, priority,
 * version and interval as last heard; ffi/bpf_vrrp.ts) and the polled socket everything else.
 * The quiet queue is read whenever the daemon is awake anyway: any packet or timer, every
 * deadline (the Master_Down deadline itself: what it finds re-arms it from the last advert's
 * kernel arrival time), status and metrics snapshots, and before the split changes.
 */
import { type RoutineAdvert as WireRoutine, routineFilters } from "../../ffi/bpf_vrrp.ts";
import type { ReceivedPacket } from "../../ffi/poller.ts";
import { QuietSocket } from "../../ffi/quiet_socket.ts";
import { Family, parseAddress } from "../vrrp/address.ts";
import type { RoutineAdvert } from "./effects.ts";
import type { Logger } from "./logger.ts";
import { sameRoutine } from "./routine.ts";

/** The polled socket of a pair: only its filter is changed here. */
export interface PolledSocket {
  attachFilter(program: Uint8Array): void;
}

interface Pair {
  family: Family;
  quiet: QuietSocket;
  polled: PolledSocket;
  deliver: (p: ReceivedPacket) => void;
  /** the routine adverts the filters hold now */
  active: RoutineAdvert[];
}

/** Every live reader: any wake-up drains them all (one EAGAIN each when nothing is queued). */
const readers = new Set<LazyReader>();
let drainedThisTurn = false;

/** Hands every quiet queue's packets to their owners now. */
function drainAllQuiet(): void {
  for (const r of readers) r.drain();
}

/**
 * drainAllQuiet() at most once per event-loop turn: the packet callbacks of one wake-up each
 * call this before their own packet, and only the first reads.
 */
export function drainQuietOncePerTurn(): void {
  if (drainedThisTurn || readers.size === 0) return;
  drainedThisTurn = true;
  queueMicrotask(() => drainedThisTurn = false);
  drainAllQuiet();
}

/** The quiet sockets of one interface (one per family) and the split of its traffic. */
export class LazyReader {
  readonly #pairs: Pair[] = [];
  readonly #log: Logger;
  readonly #name: string;
  #draining = false;
  /** sets asked for while draining: applied once the drain is over */
  readonly #pending = new Map<Family, RoutineAdvert[]>();
  /** the sets asked for last, per family (re-applied to a pair added later) */
  readonly #wanted = new Map<Family, RoutineAdvert[]>();
  #closed = false;

  constructor(name: string, log: Logger) {
    this.#name = name;
    this.#log = log;
    readers.add(this);
  }

  /**
   * Opens the quiet socket of `family` beside `polled`, joined to `group`; its packets go to
   * `deliver`. False (logged) when it cannot be opened: that family then wakes for every advert.
   */
  open(
    family: Family,
    group: Uint8Array,
    polled: PolledSocket,
    deliver: (p: ReceivedPacket) => void,
  ): boolean {
    if (this.#closed || this.#pairs.some((p) => p.family === family)) return true;
    let quiet: QuietSocket;
    try {
      quiet = QuietSocket.open(this.#name, family, group);
    } catch (err) {
      this.#log.warn(
        `${this.#name}: no quiet socket for routine ${family} adverts (each wakes the daemon): ` +
          String(err),
      );
      return false;
    }
    this.#pairs.push({ family, quiet, polled, deliver, active: [] });
    const wanted = this.#wanted.get(family);
    if (wanted) this.set(family, wanted);
    return true;
  }

  /** Joins one more group on the quiet socket of `family` (unless it has none). */
  join(family: Family, group: Uint8Array): void {
    this.#pairs.find((p) => p.family === family)?.quiet.join(group);
  }

  /** Hands the queued routine adverts to their owners, oldest first. */
  drain(): void {
    if (this.#draining || this.#closed) return;
    this.#draining = true;
    try {
      for (const pair of this.#pairs) {
        try {
          pair.quiet.drain(pair.deliver);
        } catch (err) {
          this.#log.error(`${this.#name}: reading the quiet ${pair.family} socket: ${err}`);
        }
      }
    } finally {
      this.#draining = false;
    }
    if (this.#pending.size === 0) return;
    const pending = [...this.#pending];
    this.#pending.clear();
    for (const [family, adverts] of pending) this.set(family, adverts);
  }

  /**
   * Makes `adverts` the routine ones of `family`. What the quiet socket holds is handed over
   * first. The filters change in three steps so that, whatever a packet meets in between, some
   * socket takes it: the polled one widens to all but the adverts routine both before and
   * after, then the quiet one narrows or widens to the new set, then the polled one takes the
   * rest. (A packet may then reach both; none is lost.)
   */
  set(family: Family, adverts: RoutineAdvert[]): void {
    if (this.#closed) return;
    this.#wanted.set(family, adverts);
    const pair = this.#pairs.find((p) => p.family === family);
    if (!pair) return;
    if (
      pair.active.length === adverts.length &&
      pair.active.every((a, i) => sameRoutine(a, adverts[i]))
    ) return;
    if (this.#draining) {
      this.#pending.set(family, adverts);
      return;
    }
    this.drain();
    // a drain may have changed the set again (and applied it)
    if (this.#wanted.get(family) !== adverts) return;
    const wireFamily = family === Family.ipv4 ? "ipv4" : "ipv6";
    const both = pair.active.filter((a) => adverts.some((b) => sameRoutine(a, b)));
    try {
      const next = routineFilters(wireFamily, adverts.map(wire));
      if (both.length !== pair.active.length) {
        pair.polled.attachFilter(routineFilters(wireFamily, both.map(wire)).polled);
      }
      pair.quiet.attachFilter(next.quiet);
      pair.polled.attachFilter(next.polled);
      pair.active = adverts;
      this.#log.debug(
        `${this.#name}: routine ${family} adverts read lazily: ` +
          (adverts.map((r) => `VRID ${r.vrid} from ${r.source} at ${r.priority}`).join(", ") ||
            "none"),
      );
    } catch (err) {
      // whatever happened, fall back to waking for everything
      this.#log.warn(`${this.#name}: routine ${family} adverts not filtered: ${String(err)}`);
      const none = routineFilters(wireFamily, []);
      try {
        pair.polled.attachFilter(none.polled);
        pair.quiet.attachFilter(none.quiet);
      } catch (again) {
        this.#log.error(`${this.#name}: resetting the ${family} filters: ${String(again)}`);
      }
      pair.active = [];
      this.drain();
    }
  }

  /** The routine adverts the filters hold now, per family (for tests and status). */
  active(family: Family): readonly RoutineAdvert[] {
    return this.#pairs.find((p) => p.family === family)?.active ?? [];
  }

  /** Hands over what is queued, then closes the quiet sockets. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.drain();
    this.#closed = true;
    readers.delete(this);
    for (const p of this.#pairs) p.quiet.close();
  }
}

function wire(a: RoutineAdvert): WireRoutine {
  const parsed = parseAddress(a.source);
  if (parsed === null) throw new TypeError(`not an address: ${a.source}`);
  return {
    vrid: a.vrid,
    version: a.version,
    source: parsed.bytes,
    priority: a.priority,
    interval: a.interval,
  };
}
