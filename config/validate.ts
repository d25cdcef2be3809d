/**
 * Semantic checks on the typed config, shared by both front ends so both formats get the same
 * messages. Positions come from the front end's position map. The one change it makes to the
 * config: a fractional VRRPv2 advert_int is rounded, as it would be on the wire.
 */
import type { Config, InstanceConfig, SourcePos, VipConfig } from "./model.ts";
import { Diagnostics } from "./diagnostics.ts";
import {
  canonicalAddress,
  Family,
  familyOf,
  isMulticast,
  parseAddress,
} from "../lib/vrrp/address.ts";
import { configFamily } from "./inherit.ts";
import { parseUnicastPeer, splitPrefix } from "./entries.ts";
import { parseListenAddress } from "./listen.ts";

const AUTH_WIRE_BYTES = 8;
/** keepalived puts at most this many VIPs in one advert; more belong in the excluded list. */
const MAX_ADVERT_VIPS = 20;

/** Is `s` a dotted-quad IPv4 address (no leading zeros beyond "0")? The one parser decides. */
export function isIpv4(s: string): boolean {
  return parseAddress(s)?.family === Family.ipv4;
}

/** The first 8 bytes of the password's UTF-8 form, as they go on the wire (RFC 3768 §5.3.10). */
export function wirePassword(password: string): string {
  const bytes = new TextEncoder().encode(password).slice(0, AUTH_WIRE_BYTES);
  return new TextDecoder().decode(bytes);
}

/** Checks `config`; every diagnostic is placed through `positions` (falling back to `file`:1:1). */
export function validate(
  config: Config,
  positions: Map<string, SourcePos>,
  file: string,
): Diagnostics {
  const diags = new Diagnostics();
  const where = (...keys: string[]): SourcePos => {
    for (const k of keys) {
      const p = positions.get(k);
      if (p) return p;
    }
    return { file, line: 1, col: 1 };
  };
  const g = config.global;
  if (!isIpv4(g.mcastGroup4) || !/^2(2[4-9]|3\d)\./.test(g.mcastGroup4)) {
    diags.error(where("global:vrrp_mcast_group4"), `bad IPv4 multicast group "${g.mcastGroup4}"`);
  }
  if (familyOf(g.mcastGroup6) !== Family.ipv6 || !isMulticast(g.mcastGroup6)) {
    diags.error(where("global:vrrp_mcast_group6"), `bad IPv6 multicast group "${g.mcastGroup6}"`);
  } else g.mcastGroup6 = canonicalAddress(g.mcastGroup6)!;
  if (g.metricsListen !== undefined) {
    const listen = parseListenAddress(g.metricsListen);
    if ("error" in listen) {
      diags.error(where("global:vrrp_metrics_listen", "global:metrics_listen"), listen.error);
    }
  }

  const scripts = new Set(config.scripts.map((s) => s.name));
  const trackFiles = new Set(config.trackFiles.map((t) => t.name));
  const byVrid = new Map<string, string>();
  const names = new Set<string>();
  for (const inst of config.instances) {
    const key = `instance:${inst.name}`;
    const at = (kw: string) => where(`${key}:${kw}`, key);
    if (names.has(inst.name)) {
      diags.error(at("duplicate"), `duplicate vrrp_instance "${inst.name}"`);
    }
    names.add(inst.name);
    checkInstance(inst, at, (kw) => positions.has(`${key}:${kw}`), diags);
    if (inst.interface !== "" && inst.vrid >= 1 && inst.vrid <= 255) {
      // RFC 5798 §5.2.3: the same VRID may run once per family on an interface
      const k = `${inst.interface}/${configFamily(inst)}/${inst.vrid}`;
      const other = byVrid.get(k);
      if (other !== undefined) {
        diags.error(
          at("virtual_router_id"),
          `instances "${other}" and "${inst.name}" both use virtual_router_id ${inst.vrid} on ${inst.interface}`,
        );
      } else byVrid.set(k, inst.name);
    }
    for (const t of inst.trackScripts) {
      if (!scripts.has(t.name)) {
        diags.error(at(`track_script:${t.name}`), `track_script "${t.name}" is not a vrrp_script`);
      }
    }
    for (const t of inst.trackFiles) {
      if (!trackFiles.has(t.name)) {
        diags.error(at(`track_file:${t.name}`), `track_file "${t.name}" is not a track_file`);
      }
    }
  }
  for (const sg of config.syncGroups) {
    const key = `syncgroup:${sg.name}`;
    for (const m of sg.members) {
      if (!names.has(m)) {
        diags.error(
          where(`${key}:member:${m}`, key),
          `sync group "${sg.name}": member "${m}" is not a vrrp_instance`,
        );
      }
    }
    if (sg.members.length === 0) {
      diags.warning(where(key), `sync group "${sg.name}" has no members`);
    }
  }
  return diags;
}

function checkInstance(
  inst: InstanceConfig,
  at: (kw: string) => SourcePos,
  has: (kw: string) => boolean,
  diags: Diagnostics,
): void {
  const n = `instance "${inst.name}"`;
  if (inst.interface === "") diags.error(at(""), `${n} has no interface`);
  if (inst.vrid === 0 && !has("virtual_router_id")) {
    diags.error(at(""), `${n} has no virtual_router_id`);
  } else if (!Number.isInteger(inst.vrid) || inst.vrid < 1 || inst.vrid > 255) {
    diags.error(
      at("virtual_router_id"),
      `${n}: virtual_router_id must be 1..255, got ${inst.vrid}`,
    );
  }
  if (!Number.isInteger(inst.priority) || inst.priority < 1 || inst.priority > 255) {
    diags.error(at("priority"), `${n}: priority must be 1..255, got ${inst.priority}`);
  } else if (inst.initialState === "MASTER" && inst.priority < 255) {
    diags.note(
      at("state"),
      `${n}: state MASTER with priority ${inst.priority} is a hint; the election decides`,
    );
  } else if (inst.initialState === "BACKUP" && inst.priority === 255) {
    diags.note(at("state"), `${n}: priority 255 owns the addresses and starts as master`);
  }
  checkFamilyAndVersion(inst, n, at, has, diags);
  checkAdvertInt(inst, n, at, diags);
  if (inst.version === 3 && inst.auth.type !== "none") {
    // keepalived 2.2.7 flags it as a config error and ignores the block: refused here, so a
    // password no peer checks is not mistaken for protection
    diags.error(
      at("authentication"),
      `${n}: VRRPv3 has no authentication (RFC 5798 §9); remove the authentication block`,
    );
  } else if (inst.auth.type === "ah") {
    diags.error(at("auth_type"), `${n}: auth_type AH is not supported; use PASS or none`);
  }
  if (inst.auth.type === "pass") {
    const bytes = new TextEncoder().encode(inst.auth.password).length;
    if (bytes === 0) diags.error(at("auth_pass"), `${n}: auth_pass is empty`);
    if (bytes > AUTH_WIRE_BYTES) {
      diags.warning(
        at("auth_pass"),
        `${n}: auth_pass "${inst.auth.password}" is longer than 8 bytes; only "${
          wirePassword(inst.auth.password)
        }" goes on the wire (as with keepalived)`,
      );
    }
  }
  if (inst.vips.length === 0) {
    diags.warning(at("virtual_ipaddress"), `${n} has no virtual_ipaddress`);
  }
  if (inst.vips.length > MAX_ADVERT_VIPS) {
    diags.warning(
      at("virtual_ipaddress"),
      `${n}: ${inst.vips.length} virtual addresses; keepalived puts at most ${MAX_ADVERT_VIPS} in an advert (use virtual_ipaddress_excluded)`,
    );
  }
  const checkVip = (v: VipConfig, kw: string) => {
    const family = familyOf(v.address);
    if (family === null) {
      diags.error(at(kw), `${n}: bad IP address "${v.address}"`);
      return;
    }
    v.address = canonicalAddress(v.address)!;
    const max = family === Family.ipv4 ? 32 : 128;
    if (!Number.isInteger(v.prefixLen) || v.prefixLen < 0 || v.prefixLen > max) {
      diags.error(at(kw), `${n}: bad prefix length for ${v.address} (must be 0..${max})`);
    }
    if (v.brd !== undefined && (family === Family.ipv6 || !isIpv4(v.brd) && v.brd !== "+")) {
      diags.error(at(kw), `${n}: bad broadcast address "${v.brd}"`);
    }
  };
  inst.vips.forEach((v, i) => checkVip(v, `vip:${i}`));
  inst.excludedVips.forEach((v, i) => checkVip(v, `excluded_vip:${i}`));
  const seen = new Set<string>();
  for (const v of [...inst.vips, ...inst.excludedVips]) {
    if (seen.has(v.address)) {
      diags.warning(at("virtual_ipaddress"), `${n}: virtual address ${v.address} listed twice`);
    }
    seen.add(v.address);
  }
  checkUnicast(inst, n, at, diags);
  for (const t of [...inst.trackInterfaces, ...inst.trackScripts, ...inst.trackFiles]) {
    if (t.weight !== undefined && (t.weight < -254 || t.weight > 254)) {
      diags.error(at(""), `${n}: weight of "${t.name}" must be -254..254, got ${t.weight}`);
    }
  }
}

/**
 * The instance's family and version as keepalived 2.2.7 settles them: addresses of the other
 * family than the first VIP (or `native_ipv6`) are ignored with a warning; an IPv6 instance
 * speaks VRRPv3 unless it says `version 2`, which keepalived then sends as a non-standard
 * VRRPv2 over IPv6 that vrrp does not speak: refused.
 */
function checkFamilyAndVersion(
  inst: InstanceConfig,
  n: string,
  at: (kw: string) => SourcePos,
  has: (kw: string) => boolean,
  diags: Diagnostics,
): void {
  const first = inst.vips.find((v) => familyOf(v.address) !== null);
  if (inst.nativeIpv6 && first && familyOf(first.address) === Family.ipv4) {
    diags.warning(
      at("native_ipv6"),
      `${n}: native_ipv6 with IPv4 addresses is ignored (as keepalived does)`,
    );
    inst.nativeIpv6 = false;
    if (!has("version")) inst.version = 2;
  }
  const family = configFamily(inst);
  const kept: VipConfig[] = [];
  inst.vips.forEach((v, i) => {
    const f = familyOf(v.address);
    if (f === null || f === family) kept.push(v);
    else {
      diags.warning(
        at(`vip:${i}`),
        `${n}: ${v.address} is ${f === Family.ipv4 ? "IPv4" : "IPv6"} but the instance is ` +
          `${family === Family.ipv4 ? "IPv4" : "IPv6"}: ignored, as keepalived does ` +
          `(one instance per family; virtual_ipaddress_excluded may mix them)`,
      );
    }
  });
  inst.vips = kept;
  if (family === Family.ipv6 && inst.version === 2) {
    diags.error(
      at("version"),
      `${n}: version 2 with IPv6 addresses: keepalived would send non-standard VRRPv2 over ` +
        `IPv6, which vrrp does not speak; use version 3 (RFC 5798)`,
    );
  }
  for (
    const [kw, ip] of [["mcast_src_ip", inst.mcastSrcIp], ["unicast_src_ip", inst.unicastSrcIp]]
  ) {
    const f = ip === undefined ? null : familyOf(ip);
    if (f !== null && f !== family) {
      diags.error(at(kw!), `${n}: ${kw} ${ip} is not of the instance's family`);
    }
  }
}

/**
 * advert_int as keepalived 2.2.7 reads it (microseconds, rounded half up): VRRPv2 in whole
 * seconds (at least 1), VRRPv3 in 10 ms steps (at least 10 ms, at most 40.95 s, the 12-bit
 * Max Adver Int of RFC 5798 §5.2.7). Outside 0.01..255 it is an error.
 */
function checkAdvertInt(
  inst: InstanceConfig,
  n: string,
  at: (kw: string) => SourcePos,
  diags: Diagnostics,
): void {
  const adv = inst.advertIntervalSec;
  if (!(adv >= 0.01 && adv <= 255)) {
    const range = inst.version === 3
      ? "0.01..40.95 seconds for VRRPv3"
      : "1..255 seconds for VRRPv2";
    diags.error(at("advert_int"), `${n}: advert_int must be ${range}, got ${adv}`);
    return;
  }
  const us = Math.round(adv * 1e6);
  const unit = inst.version === 3 ? 10_000 : 1_000_000;
  if (inst.version === 3 && us >= 4096 * 10_000) {
    inst.advertIntervalSec = 40.95;
    diags.warning(
      at("advert_int"),
      `${n}: VRRPv3 advert_int must be below 40.96 s (12 bits of centiseconds); ${adv} set to 40.95`,
    );
    return;
  }
  if (us % unit === 0) return;
  const rounded = Math.max(unit, us + unit / 2 - ((us + unit / 2) % unit));
  inst.advertIntervalSec = rounded / 1e6;
  diags.warning(
    at("advert_int"),
    inst.version === 3
      ? `${n}: VRRPv3 advert_int is in 10 ms steps; ${adv} rounded to ${inst.advertIntervalSec}`
      : `${n}: VRRPv2 advert_int is whole seconds; ${adv} rounded to ${inst.advertIntervalSec}`,
  );
}

/** Whether `inst` uses a unicast keyword (keepalived's VRRP_FLAG_UNICAST_CONFIGURED). */
export function unicastConfigured(inst: InstanceConfig): boolean {
  return inst.unicastSrcIp !== undefined || inst.unicastPeers.length > 0 ||
    inst.unicastFaultNoPeer || inst.checkUnicastSrc;
}

/**
 * unicast_src_ip, mcast_src_ip, unicast_peer, unicast_ttl, mcast_dst_ip against the instance's
 * family (that of its VIPs), with keepalived 2.2.7's verdicts: a peer of the other family or a
 * malformed address is refused; a peer listed twice, or our own source address, is accepted
 * with a warning (keepalived runs such a config silently).
 */
function checkUnicast(
  inst: InstanceConfig,
  n: string,
  at: (kw: string) => SourcePos,
  diags: Diagnostics,
): void {
  const family = configFamily(inst);
  const fam = family === Family.ipv4 ? "IPv4" : "IPv6";
  let src: string | undefined;
  for (
    const [kw, ip] of [["mcast_src_ip", inst.mcastSrcIp], ["unicast_src_ip", inst.unicastSrcIp]]
  ) {
    if (ip === undefined) continue;
    const { address, prefix } = splitPrefix(ip);
    const max = family === Family.ipv4 ? 32 : 128;
    const f = familyOf(address);
    if (f === null) diags.error(at(kw!), `${n}: bad IP address "${ip}" in ${kw}`);
    else if (f !== family) {
      // without a prefix length checkFamilyAndVersion() has said so
      if (prefix !== undefined) {
        diags.error(at(kw!), `${n}: ${kw} ${ip} is not of the instance's family`);
      }
    } else if (prefix !== undefined && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max)) {
      diags.error(at(kw!), `${n}: bad prefix length in ${kw} "${ip}" (must be 0..${max})`);
    } else src = address;
  }
  const seen = new Set<string>();
  inst.unicastPeers.forEach((spec, i) => {
    const where = at(`unicast_peer:${i}`);
    const p = parseUnicastPeer(spec);
    for (const w of p.warnings) diags.warning(where, `${n}: ${w}`);
    const peer = p.value!;
    if (familyOf(peer.address) !== family) {
      diags.error(
        where,
        `${n}: unicast_peer "${peer.address}" is not an ${fam} address (the instance's family)`,
      );
      return;
    }
    const key = parseAddress(peer.address)!.bytes.join(".");
    if (seen.has(key)) {
      diags.warning(
        where,
        `${n}: unicast_peer ${peer.address} is listed twice; one advert is sent to it ` +
          `(keepalived accepts it silently and sends two)`,
      );
    }
    seen.add(key);
    if (src !== undefined && parseAddress(src)!.bytes.join(".") === key) {
      diags.warning(
        where,
        `${n}: unicast_peer ${peer.address} is this instance's own source address; no advert ` +
          `is sent to it (keepalived accepts it silently)`,
      );
    }
  });
  if (inst.unicastPeers.length === 0) {
    if (inst.unicastTtl !== undefined) {
      diags.warning(at("unicast_ttl"), `${n}: unicast_ttl without unicast_peer is ignored`);
    }
    if (unicastConfigured(inst) && !inst.unicastFaultNoPeer) {
      diags.warning(
        at("unicast_src_ip"),
        `${n}: a unicast keyword without any unicast_peer: adverts are MULTICAST to the group ` +
          `(keepalived 2.2.7 does the same, deprecated); add unicast_peer, or ` +
          `unicast_fault_no_peer to go to FAULT instead`,
      );
    }
  }
  if (inst.mcastDstIp !== undefined) {
    const ok = familyOf(inst.mcastDstIp) === family && isMulticast(inst.mcastDstIp) &&
      (family === Family.ipv4 || /^ff02:/i.test(inst.mcastDstIp));
    if (!ok) {
      diags.warning(
        at("mcast_dst_ip"),
        `${n}: mcast_dst_ip "${inst.mcastDstIp}" is not an ${fam} ${
          family === Family.ipv6 ? "link-local " : ""
        }multicast address; ignored, as keepalived does: adverts go to the global group`,
      );
    } else if (inst.unicastPeers.length > 0) {
      diags.warning(
        at("mcast_dst_ip"),
        `${n}: mcast_dst_ip is not used: adverts go to the unicast peers`,
      );
    }
  }
}
