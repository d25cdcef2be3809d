/**
 * The pure model behind `vrrp sniff`: feed it decoded adverts with their arrival time, ask it
 * what each VRID looks like now. No clock and no I/O: the caller passes the time in.
 */
import { VRRP_TTL } from "../vrrp/constants.ts";
import { compareAddresses, isMulticast } from "../vrrp/address.ts";
import type { DecodeResult } from "../vrrp/types.ts";
import { describeAuth } from "./format.ts";

/** One router (advert source) speaking for a VRID. */
export interface RouterView {
  source: string;
  /** priority of its last advert */
  priority: number;
  /** centiseconds (v2: whole seconds × 100) */
  advertIntervalCs: number;
  authType: number;
  /** its last auth data as hex */
  authDataHex: string;
  /** `describeAuth()` of the last advert: "none", `pass "1-intern"`, ... */
  auth: string;
  addresses: string[];
  adverts: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** IP TTL of the last advert, when known */
  ttl?: number;
  /**
   * where its adverts went (IP destinations seen, sorted): the group, or its unicast peers
   * (keepalived's `unicast_peer`), as far as this capture point sees them
   */
  destinations: string[];
  /**
   * acting as master: heard within 3 × its interval with a priority above 0, and no other
   * router has advertised twice since (which means this one stepped down, e.g. preempted)
   */
  speaking: boolean;
}

/** Everything known about one VRID of one family (RFC 5798: a VRID exists once per family). */
export interface VridView {
  vrid: number;
  family: "ipv4" | "ipv6";
  /** ordered by source address */
  routers: RouterView[];
  /** the single speaking router, null when none or several speak */
  master: string | null;
  /** every router speaking now (more than one is a split brain) */
  speakers: string[];
  warnings: string[];
}

/** The whole picture at one instant. */
export interface SniffSnapshot {
  atMs: number;
  vrids: VridView[];
  /** packets that failed decoding, by drop reason */
  dropped: Record<string, number>;
  /** warnings not tied to one VRID (e.g. a packet with a wrong TTL that could not be decoded) */
  warnings: string[];
  adverts: number;
}

interface RouterState {
  source: string;
  priority: number;
  /** centiseconds (v2: whole seconds × 100) */
  advertIntervalCs: number;
  authType: number;
  authData: Uint8Array;
  addresses: string[];
  adverts: number;
  firstSeenMs: number;
  lastSeenMs: number;
  /** the advert before the last one, to tell a preempted master from a split brain */
  prevSeenMs: number | null;
  ttl?: number;
  /** IP destinations seen, with when last */
  destinations: Map<string, number>;
  /** the last advert's destination was a multicast group */
  lastMulticast: boolean;
}

/** Options of the view. */
export interface SniffViewOptions {
  /** routers silent for longer no longer count for mismatch warnings (default 60 s) */
  staleAfterMs?: number;
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Aggregates adverts by VRID and source. */
export class SniffView {
  /** by `family/vrid` */
  readonly #vrids = new Map<string, Map<string, RouterState>>();
  readonly #dropped = new Map<string, number>();
  readonly #badTtlSources = new Map<string, number>();
  readonly #staleAfterMs: number;
  #adverts = 0;

  constructor(opts: SniffViewOptions = {}) {
    this.#staleAfterMs = opts.staleAfterMs ?? 60_000;
  }

  /**
   * Records one decoded packet seen at `atMs`. `ttl` is the IP TTL when the packet was decoded
   * without its IP header (otherwise `packet.ip.ttl` is used).
   */
  add(packet: DecodeResult, atMs: number, ttl?: number): void {
    if (!packet.ok) {
      this.#dropped.set(packet.reason, (this.#dropped.get(packet.reason) ?? 0) + 1);
      if (packet.reason === "badTtl" && packet.ip) {
        this.#badTtlSources.set(packet.ip.source, packet.ip.ttl);
      }
      return;
    }
    this.#adverts++;
    const a = packet.advert;
    const source = packet.ip?.source ?? "?";
    const key = `${packet.ip?.family ?? "ipv4"}/${a.vrid}`;
    let routers = this.#vrids.get(key);
    if (!routers) this.#vrids.set(key, routers = new Map());
    const prev = routers.get(source);
    const state: RouterState = {
      source,
      priority: a.priority,
      advertIntervalCs: a.advertIntervalCs,
      authType: a.authType,
      authData: a.authData.slice(),
      addresses: [...a.addresses],
      adverts: (prev?.adverts ?? 0) + 1,
      firstSeenMs: prev?.firstSeenMs ?? atMs,
      lastSeenMs: atMs,
      prevSeenMs: prev?.lastSeenMs ?? null,
      destinations: new Map(prev?.destinations ?? []),
      lastMulticast: true,
    };
    const dst = packet.ip?.destination;
    if (dst !== undefined) {
      state.destinations.set(dst, atMs);
      state.lastMulticast = isMulticast(dst);
    }
    const t = ttl ?? packet.ip?.ttl;
    if (t !== undefined) state.ttl = t;
    routers.set(source, state);
  }

  /** The picture at `nowMs`. */
  snapshot(nowMs: number): SniffSnapshot {
    const vrids: VridView[] = [];
    const keys = [...this.#vrids.keys()].map((k) => k.split("/"))
      .map(([family, vrid]) => ({ family: family as "ipv4" | "ipv6", vrid: Number(vrid) }))
      .sort((a, b) => a.vrid - b.vrid || (a.family < b.family ? -1 : 1));
    for (const { family, vrid } of keys) {
      vrids.push(this.#vridView(vrid, family, this.#vrids.get(`${family}/${vrid}`)!, nowMs));
    }
    const warnings = [...this.#badTtlSources].map(([src, ttl]) =>
      `${src} sends VRRP with IP TTL ${ttl} (must be ${VRRP_TTL}, RFC 3768 §7.1): dropped`
    );
    return {
      atMs: nowMs,
      vrids,
      dropped: Object.fromEntries([...this.#dropped].sort()),
      warnings,
      adverts: this.#adverts,
    };
  }

  #vridView(
    vrid: number,
    family: "ipv4" | "ipv6",
    states: Map<string, RouterState>,
    nowMs: number,
  ): VridView {
    const all = [...states.values()].sort((a, b) => compareAddresses(a.source, b.source));
    const routers: RouterView[] = all.map((r) => {
      const view: RouterView = {
        source: r.source,
        priority: r.priority,
        advertIntervalCs: r.advertIntervalCs,
        authType: r.authType,
        authDataHex: hex(r.authData),
        auth: describeAuth(r.authType, r.authData),
        addresses: r.addresses,
        adverts: r.adverts,
        firstSeenMs: r.firstSeenMs,
        lastSeenMs: r.lastSeenMs,
        destinations: this.#destinations(r, nowMs),
        // RFC 3768 §6.4.3: only the master advertises; 3 silent intervals mean it is gone
        speaking: r.priority > 0 &&
          nowMs - r.lastSeenMs <= 3 * Math.max(r.advertIntervalCs, 1) * 10 &&
          !all.some((o) => o !== r && o.prevSeenMs !== null && o.prevSeenMs > r.lastSeenMs),
      };
      if (r.ttl !== undefined) view.ttl = r.ttl;
      return view;
    });
    const speakers = routers.filter((r) => r.speaking).map((r) => r.source);
    const warnings: string[] = [];
    if (speakers.length > 1) {
      warnings.push(`two masters: ${speakers.join(" and ")} both advertise VRID ${vrid}`);
    }
    const recent = all.filter((r) => nowMs - r.lastSeenMs <= this.#staleAfterMs);
    const differ = <T>(key: (r: RouterState) => T, show: (r: RouterState) => string) => {
      if (new Set(recent.map((r) => String(key(r)))).size > 1) {
        return recent.map((r) => `${r.source} ${show(r)}`).join(", ");
      }
      return null;
    };
    const interval = differ((r) => r.advertIntervalCs, (r) => `${r.advertIntervalCs / 100}s`);
    if (interval) warnings.push(`advert interval mismatch: ${interval}`);
    const auth = differ(
      (r) => `${r.authType}/${hex(r.authData)}`,
      (r) => describeAuth(r.authType, r.authData),
    );
    if (auth) warnings.push(`auth mismatch: ${auth}`);
    const addrs = differ((r) => r.addresses.join(","), (r) => `[${r.addresses.join(",")}]`);
    if (addrs) warnings.push(`address list mismatch: ${addrs}`);
    warnings.push(...this.#peerWarnings(recent, nowMs));
    for (const r of recent) {
      // unicast adverts may carry any TTL (unicast_ttl, routed peers); keepalived accepts them
      if (r.ttl !== undefined && r.ttl !== VRRP_TTL && r.lastMulticast) {
        warnings.push(
          `${r.source} sends IP TTL ${r.ttl} (must be ${VRRP_TTL}, RFC 3768 §7.1): ` +
            "routers drop its adverts",
        );
      }
    }
    return {
      vrid,
      family,
      routers,
      master: speakers.length === 1 ? speakers[0] : null,
      speakers,
      warnings,
    };
  }

  /** The destinations `r` sent to recently (within the stale window), sorted. */
  #destinations(r: RouterState, nowMs: number): string[] {
    return [...r.destinations].filter(([, at]) => nowMs - at <= this.#staleAfterMs)
      .map(([d]) => d).sort(compareAddresses);
  }

  /**
   * Unicast peer sets as the wire shows them: a router sending to the group beside one sending
   * to peers, or two unicast routers whose sets ({itself} ∪ where it sends) differ. Only what
   * reaches this capture point is known (a backup is silent until it becomes master).
   */
  #peerWarnings(recent: RouterState[], nowMs: number): string[] {
    const out: string[] = [];
    const uni = recent.filter((r) => !r.lastMulticast);
    const multi = recent.filter((r) => r.lastMulticast && r.destinations.size > 0);
    if (uni.length > 0 && multi.length > 0) {
      out.push(
        `multicast and unicast mixed: ${multi.map((r) => r.source).join(", ")} send to the ` +
          `group, ${uni.map((r) => r.source).join(", ")} to unicast peers: they do not hear ` +
          "each other",
      );
    }
    const sets = uni.map((r) => {
      const peers = this.#destinations(r, nowMs).filter((d) => !isMulticast(d));
      return { r, peers, set: [...new Set([r.source, ...peers])].sort(compareAddresses) };
    });
    if (new Set(sets.map((x) => x.set.join(","))).size > 1) {
      out.push(
        "unicast peer sets differ: " +
          sets.map((x) => `${x.r.source} -> [${x.peers.join(", ")}]`).join(", "),
      );
    }
    return out;
  }

  /** A text rendering of `snapshot(nowMs)`, one block per VRID. */
  render(nowMs: number): string {
    const s = this.snapshot(nowMs);
    const lines: string[] = [];
    if (s.vrids.length === 0) lines.push("no VRRP adverts seen yet");
    for (const v of s.vrids) {
      const master = v.master ?? (v.speakers.length > 1 ? "SPLIT BRAIN" : "none");
      lines.push(`VRID ${v.vrid}${v.family === "ipv6" ? " IPv6" : ""}  master ${master}`);
      for (const r of v.routers) {
        const ago = ((nowMs - r.lastSeenMs) / 1000).toFixed(1);
        lines.push(
          `  ${r.source.padEnd(15)} prio ${String(r.priority).padStart(3)}  ` +
            `int ${r.advertIntervalCs / 100}s  adverts ${r.adverts}  last ${ago}s ago  ` +
            `auth ${r.auth}  addrs ${r.addresses.join(",") || "-"}` +
            (r.destinations.some((d) => !isMulticast(d))
              ? `  unicast to ${r.destinations.join(",")}`
              : "") +
            (r.speaking ? "  MASTER" : ""),
        );
      }
      for (const w of v.warnings) lines.push(`  ! ${w}`);
    }
    for (const w of s.warnings) lines.push(`! ${w}`);
    const dropped = Object.entries(s.dropped).map(([k, n]) => `${k} ${n}`);
    if (dropped.length > 0) lines.push(`dropped: ${dropped.join(", ")}`);
    return lines.join("\n");
  }
}
