/** global_defs values that become each instance's default (as keepalived applies them). */
import type { Config, InstanceConfig } from "./model.ts";
import { INHERITED } from "./defaults.ts";

/** Per instance, the fields its own keywords set. */
export type Explicit = Map<InstanceConfig, Set<string>>;

/** Fills every instance field the instance did not set from the global section. */
export function inheritGlobals(config: Config, explicit: Explicit): void {
  for (const inst of config.instances) {
    const set = explicit.get(inst) ?? new Set();
    for (const f of INHERITED) {
      if (!set.has(f)) (inst as unknown as Record<string, unknown>)[f] = config.global[f];
    }
    if (!set.has("version")) inst.version = config.global.vrrpVersion;
  }
}
