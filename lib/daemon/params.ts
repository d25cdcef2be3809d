/** Turns one configured instance into the state machine's parameters. */
import type { GlobalConfig, InstanceConfig } from "../../config/model.ts";
import { parseUnicastPeer, splitPrefix } from "../../config/entries.ts";
import { configFamily } from "../../config/inherit.ts";
import { canonicalAddress, Family, familyOf, isMulticast } from "../vrrp/address.ts";
import { AuthType, VRRP_MCAST_GROUP4, VRRP_MCAST_GROUP6, VrrpVersion } from "../vrrp/constants.ts";
import type { InstanceParams, UnicastParams, UnicastPeer, WireAddresses } from "../vrrp/types.ts";

/** The wire form of a password: its first 8 bytes (RFC 3768 §5.3.10), kept as a string. */
export function truncatePassword(password: string): string {
  const bytes = new TextEncoder().encode(password);
  if (bytes.length <= 8) return password;
  return new TextDecoder().decode(bytes.subarray(0, 8));
}

/** The address family of an instance (native_ipv6, else its first VIP's, else IPv4). */
export const instanceFamily: (cfg: InstanceConfig) => Family = configFamily;

/** The multicast group an instance of `family` sends to (RFC 3768 §5.2.2, RFC 5798 §5.1.2.2). */
export function defaultGroup(family: Family): string {
  return family === Family.ipv4 ? VRRP_MCAST_GROUP4 : VRRP_MCAST_GROUP6;
}

/**
 * The multicast group `cfg`'s adverts go to: its own `mcast_dst_ip` when that is a multicast
 * address of its family (validate() warned otherwise, and keepalived ignores it too), else the
 * global group of its family.
 */
export function instanceGroup(
  cfg: InstanceConfig,
  global?: Pick<GlobalConfig, "mcastGroup4" | "mcastGroup6">,
): string {
  const family = instanceFamily(cfg);
  const own = cfg.mcastDstIp;
  if (own !== undefined && familyOf(own) === family && isMulticast(own)) return own;
  const g = family === Family.ipv4 ? global?.mcastGroup4 : global?.mcastGroup6;
  return g !== undefined && familyOf(g) === family && isMulticast(g) ? g : defaultGroup(family);
}

/** The configured source address (unicast_src_ip / mcast_src_ip) without a prefix length. */
export function configuredSource(cfg: InstanceConfig): string | undefined {
  const s = cfg.mcastSrcIp ?? cfg.unicastSrcIp;
  return s === undefined ? undefined : splitPrefix(s).address;
}

/**
 * The unicast peers of `cfg`, as the adverts go to them: parsed, each address once (a second
 * listing of it is dropped, validate() warned), our own source address left out.
 */
export function unicastPeers(cfg: InstanceConfig, ownIp: string): UnicastPeer[] {
  const out: UnicastPeer[] = [];
  for (const spec of cfg.unicastPeers) {
    const p = parseUnicastPeer(spec).value;
    if (p === undefined || familyOf(p.address) === null) continue;
    const address = canonicalAddress(p.address)!;
    if (address === canonicalAddress(ownIp) || out.some((o) => o.address === address)) continue;
    out.push({ address, minTtl: p.minTtl, maxTtl: p.maxTtl });
  }
  return out;
}

/**
 * Unicast mode of `cfg` (null: multicast): peers configured, or unicast_fault_no_peer (then no
 * peer means Fault, never the group). keepalived: a min_ttl/max_ttl on any peer switches the
 * source check on.
 */
export function unicastParams(cfg: InstanceConfig, ownIp: string): UnicastParams | null {
  if (cfg.unicastPeers.length === 0 && !cfg.unicastFaultNoPeer) return null;
  const ttlGiven = cfg.unicastPeers.some((s) => parseUnicastPeer(s).value?.ttlGiven === true);
  return { peers: unicastPeers(cfg, ownIp), checkSource: cfg.checkUnicastSrc || ttlGiven };
}

/**
 * The FSM parameters of `cfg` on an interface where our address of the instance's family is
 * `primaryIp` (the primary IPv4 address, or the IPv6 link-local one).
 */
export function instanceParams(cfg: InstanceConfig, primaryIp: string): InstanceParams {
  const ownIp = configuredSource(cfg) ?? primaryIp;
  return {
    name: cfg.name,
    vrid: cfg.vrid,
    basePriority: cfg.priority,
    version: cfg.version === 3 ? VrrpVersion.v3 : VrrpVersion.v2,
    family: instanceFamily(cfg),
    advertIntervalCs: Math.round(cfg.advertIntervalSec * 100),
    primaryIp: ownIp,
    vips: cfg.vips.map((v) => v.address),
    unicast: unicastParams(cfg, ownIp),
    authType: cfg.auth.type === "pass" ? AuthType.simplePassword : AuthType.none,
    authPass: cfg.auth.type === "pass" ? truncatePassword(cfg.auth.password) : "",
    preempt: cfg.preempt,
    preemptDelayMs: cfg.preemptDelaySec * 1000,
    higherPrioSendAdvert: cfg.higherPrioSendAdvert,
    garpMasterDelayMs: cfg.garpMasterDelaySec * 1000,
    garpMasterRepeat: cfg.garpMasterRepeat,
    garpMasterRefreshMs: cfg.garpMasterRefreshSec * 1000,
    garpMasterRefreshRepeat: cfg.garpMasterRefreshRepeat,
  };
}

/** The addresses the adverts of `params` travel between; `group` is the destination. */
export function wireAddresses(params: InstanceParams, group = defaultGroup(params.family)) {
  const wire: WireAddresses = { family: params.family, src: params.primaryIp, dst: group };
  return wire;
}

/** The device a VIP lives on: its own `dev`, else the instance's interface. */
export function vipDev(cfg: InstanceConfig, vip: { dev?: string }): string {
  return vip.dev ?? cfg.interface;
}
