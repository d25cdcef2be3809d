/**
 * Semantic checks on the typed config, shared by both front ends so both formats get the same
 * messages. Positions come from the front end's position map. The one change it makes to the
 * config: a fractional VRRPv2 advert_int is rounded, as it would be on the wire.
 */
import type { Config, InstanceConfig, SourcePos, VipConfig } from "./model.ts";
import { Diagnostics } from "./diagnostics.ts";
import { VRRP_MCAST_GROUP4 } from "../lib/vrrp/constants.ts";
import { parseListenAddress } from "./listen.ts";

const AUTH_WIRE_BYTES = 8;
/** keepalived puts at most this many VIPs in one advert; more belong in the excluded list. */
const MAX_ADVERT_VIPS = 20;

/** Is `s` a dotted-quad IPv4 address (no leading zeros beyond "0")? */
export function isIpv4(s: string): boolean {
  const parts = s.split(".");
  return parts.length === 4 &&
    parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255);
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
  if (g.vrrpVersion === 3) {
    diags.error(where("global:vrrp_version"), "vrrp_version 3: only VRRPv2 (RFC 3768) is spoken");
  }
  if (!isIpv4(g.mcastGroup4) || !/^2(2[4-9]|3\d)\./.test(g.mcastGroup4)) {
    diags.error(where("global:vrrp_mcast_group4"), `bad IPv4 multicast group "${g.mcastGroup4}"`);
  } else if (g.mcastGroup4 !== VRRP_MCAST_GROUP4) {
    diags.warning(
      where("global:vrrp_mcast_group4"),
      `vrrp_mcast_group4 ${g.mcastGroup4} is not honoured yet: adverts are still sent to and ` +
        `received on ${VRRP_MCAST_GROUP4}, so peers using ${g.mcastGroup4} do not hear this ` +
        "host, nor it them",
    );
  }
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
      const k = `${inst.interface}/${inst.vrid}`;
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
  if (inst.version === 3) {
    diags.error(at("version"), `${n}: version 3: only VRRPv2 (RFC 3768) is spoken`);
  }
  const adv = inst.advertIntervalSec;
  if (!(adv > 0) || Math.round(adv) < 1 || Math.round(adv) > 255) {
    diags.error(at("advert_int"), `${n}: advert_int must be 1..255 seconds for VRRPv2, got ${adv}`);
  } else if (!Number.isInteger(adv)) {
    inst.advertIntervalSec = Math.round(adv);
    diags.warning(
      at("advert_int"),
      `${n}: VRRPv2 advert_int is whole seconds; ${adv} rounded to ${inst.advertIntervalSec}`,
    );
  }
  if (inst.auth.type === "ah") {
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
    if (!isIpv4(v.address)) diags.error(at(kw), `${n}: bad IPv4 address "${v.address}"`);
    if (!Number.isInteger(v.prefixLen) || v.prefixLen < 0 || v.prefixLen > 32) {
      diags.error(at(kw), `${n}: bad prefix length for ${v.address} (must be 0..32)`);
    }
    if (v.brd !== undefined && !isIpv4(v.brd)) {
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
  for (
    const [kw, ip] of [["mcast_src_ip", inst.mcastSrcIp], ["unicast_src_ip", inst.unicastSrcIp]]
  ) {
    if (ip !== undefined && !isIpv4(ip)) {
      diags.error(
        at(kw!),
        `${n}: bad IPv4 address "${ip}" in ${kw}`,
      );
    }
  }
  inst.unicastPeers.forEach((p, i) => {
    if (!isIpv4(p)) {
      diags.error(at(`unicast_peer:${i}`), `${n}: bad IPv4 address "${p}" in unicast_peer`);
    }
  });
  for (const t of [...inst.trackInterfaces, ...inst.trackScripts, ...inst.trackFiles]) {
    if (t.weight !== undefined && (t.weight < -254 || t.weight > 254)) {
      diags.error(at(""), `${n}: weight of "${t.name}" must be -254..254, got ${t.weight}`);
    }
  }
}
