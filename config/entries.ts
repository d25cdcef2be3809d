/** Entry syntaxes both front ends share: virtual addresses and track references. */
import type { TrackRef, VipConfig } from "./model.ts";

/** A parsed entry plus what was wrong with it (warnings do not stop it). */
export interface Parsed<T> {
  value?: T;
  error?: string;
  warnings: string[];
}

const VIP_OPTIONS = ["brd", "dev", "scope", "label"] as const;
/** `ip addr` options keepalived accepts on a VIP line that vrrp does not act on. */
const VIP_IGNORED_WITH_ARG = ["preferred_lft", "metric", "track_group"];
const VIP_IGNORED_FLAGS = ["no_track", "home", "nodad", "noprefixroute", "autojoin", "broadcast"];

/**
 * `ADDR[/PREFIX] [brd X] [dev IF] [scope S] [label L]`. The address itself is checked by
 * validate(); a prefix that is not a number becomes NaN so validate() reports it too.
 */
export function parseVipWords(words: string[]): Parsed<VipConfig> {
  const warnings: string[] = [];
  if (words.length === 0) return { error: "empty virtual address", warnings };
  const [addr, prefix] = words[0].split("/", 2);
  const vip: VipConfig = {
    address: addr,
    // a bare address is a host route of its family, as in keepalived
    prefixLen: prefix === undefined
      ? (addr.includes(":") ? 128 : 32)
      : /^\d{1,3}$/.test(prefix)
      ? Number(prefix)
      : NaN,
  };
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    if ((VIP_OPTIONS as readonly string[]).includes(w)) {
      const v = words[i + 1];
      if (v === undefined) return { error: `"${w}" needs a value`, warnings };
      vip[w as typeof VIP_OPTIONS[number]] = v;
      i++;
    } else if (VIP_IGNORED_WITH_ARG.includes(w)) {
      warnings.push(`virtual address option "${w}" is not supported; ignored`);
      i++;
    } else if (VIP_IGNORED_FLAGS.includes(w)) {
      warnings.push(`virtual address option "${w}" is not supported; ignored`);
    } else {
      return { error: `unknown virtual address option "${w}"`, warnings };
    }
  }
  return { value: vip, warnings };
}

/** The keepalived text of a VIP; the prefix is always written. */
export function formatVip(v: VipConfig): string {
  let s = `${v.address}/${v.prefixLen}`;
  for (const k of VIP_OPTIONS) if (v[k] !== undefined) s += ` ${k} ${v[k]}`;
  return s;
}

/** `NAME [weight N [reverse]]` as in track_script, track_interface and track_file blocks. */
export function parseTrackWords(words: string[]): Parsed<TrackRef> {
  const warnings: string[] = [];
  const ref: TrackRef = { name: words[0] };
  let i = 1;
  if (words[i] === "weight") {
    const n = words[i + 1];
    if (n === undefined || !/^-?\d+$/.test(n)) {
      return { error: `weight needs a whole number, got "${n ?? ""}"`, warnings };
    }
    ref.weight = Number(n);
    i += 2;
    if (words[i] === "reverse") {
      ref.reverse = true;
      i++;
    }
  }
  if (i < words.length) warnings.push(`unexpected "${words[i]}" after "${words[0]}"; ignored`);
  return { value: ref, warnings };
}

/** The keepalived text of a track reference. */
export function formatTrack(r: TrackRef): string {
  let s = r.name;
  if (r.weight !== undefined) s += ` weight ${r.weight}`;
  if (r.reverse) s += " reverse";
  return s;
}

/** A unicast peer: its address and the TTL (hop limit) range its adverts must arrive with. */
export interface UnicastPeer {
  address: string;
  /** keepalived's defaults: 0 and 255 */
  minTtl: number;
  maxTtl: number;
  /** a `min_ttl`/`max_ttl` was read: keepalived then checks the source of every advert */
  ttlGiven: boolean;
}

/**
 * `ADDR [min_ttl N] [max_ttl N]`, read as keepalived 2.2.7 reads it: a bad value or an unknown
 * option is reported and skipped (keepalived runs with the rest), never an error. The address is
 * checked by validate().
 */
export function parseUnicastPeer(spec: string): Parsed<UnicastPeer> {
  const warnings: string[] = [];
  const words = spec.trim().split(/\s+/);
  const peer: UnicastPeer = { address: words[0] ?? "", minTtl: 0, maxTtl: 255, ttlGiven: false };
  for (let i = 1; i < words.length; i += 2) {
    const opt = words[i];
    const v = words[i + 1];
    if (v === undefined) {
      warnings.push(`unicast_peer ${peer.address}: "${opt}" is missing a value; ignored`);
      break;
    }
    if (!/^\d+$/.test(v) || Number(v) > 255) {
      warnings.push(`unicast_peer ${peer.address}: ${opt} "${v}" is not 0..255; ignored`);
      continue;
    }
    if (opt === "min_ttl") peer.minTtl = Number(v);
    else if (opt === "max_ttl") peer.maxTtl = Number(v);
    else {
      warnings.push(`unicast_peer ${peer.address}: unknown option "${opt}"; ignored with the rest`);
      break;
    }
    peer.ttlGiven = true;
  }
  if (peer.minTtl > peer.maxTtl) {
    warnings.push(
      `unicast_peer ${peer.address}: min_ttl ${peer.minTtl} > max_ttl ${peer.maxTtl}: ` +
        `every advert from it will be dropped (as keepalived does)`,
    );
  }
  return { value: peer, warnings };
}

/** `ADDR[/PREFIX]` split: keepalived accepts a prefix length on unicast_src_ip and ignores it. */
export function splitPrefix(s: string): { address: string; prefix?: string } {
  const i = s.indexOf("/");
  return i < 0 ? { address: s } : { address: s.slice(0, i), prefix: s.slice(i + 1) };
}
