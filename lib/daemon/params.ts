/** Turns one configured instance into the state machine's parameters. */
import type { InstanceConfig } from "../../config/model.ts";
import { Family } from "../vrrp/address.ts";
import { configFamily } from "../../config/inherit.ts";
import { AuthType, VRRP_MCAST_GROUP4, VRRP_MCAST_GROUP6, VrrpVersion } from "../vrrp/constants.ts";
import type { InstanceParams, WireAddresses } from "../vrrp/types.ts";

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
 * The FSM parameters of `cfg` on an interface where our address of the instance's family is
 * `primaryIp` (the primary IPv4 address, or the IPv6 link-local one).
 */
export function instanceParams(cfg: InstanceConfig, primaryIp: string): InstanceParams {
  return {
    name: cfg.name,
    vrid: cfg.vrid,
    basePriority: cfg.priority,
    version: cfg.version === 3 ? VrrpVersion.v3 : VrrpVersion.v2,
    family: instanceFamily(cfg),
    advertIntervalCs: Math.round(cfg.advertIntervalSec * 100),
    primaryIp: cfg.mcastSrcIp ?? cfg.unicastSrcIp ?? primaryIp,
    vips: cfg.vips.map((v) => v.address),
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
