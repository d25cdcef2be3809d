/** global_defs values that become each instance's default (as keepalived applies them). */
import type { Config, InstanceConfig } from "./model.ts";
import { INHERITED } from "./defaults.ts";
import { Family, familyOf } from "../lib/vrrp/address.ts";

/**
 * The address family of an instance as keepalived decides it: `native_ipv6`, else the family of
 * its first virtual address, else IPv4.
 */
export function configFamily(inst: InstanceConfig): Family {
  if (inst.nativeIpv6) return Family.ipv6;
  const first = inst.vips[0]?.address;
  return (first !== undefined && familyOf(first)) || Family.ipv4;
}

/** Per instance, the fields its own keywords set. */
export type Explicit = Map<InstanceConfig, Set<string>>;

/** Fills every instance field the instance did not set from the global section. */
export function inheritGlobals(config: Config, explicit: Explicit): void {
  for (const inst of config.instances) {
    const set = explicit.get(inst) ?? new Set();
    for (const f of INHERITED) {
      if (!set.has(f)) (inst as unknown as Record<string, unknown>)[f] = config.global[f];
    }
    // keepalived: an IPv6 instance without its own `version` speaks VRRPv3, whatever the global
    if (!set.has("version")) {
      inst.version = configFamily(inst) === Family.ipv6 ? 3 : config.global.vrrpVersion;
    }
  }
}
