/**
 * The corrections keepalived 2.2.7 makes to a config when it loads it (vrrp.c,
 * vrrp_complete_instance), made here the same way and with a warning each, so a keepalived.conf
 * means the same under vrrp. Runs after validate() on the typed config, for both formats;
 * `vrrp convert` skips it (it prints what was written).
 */
import type { Config, InstanceConfig, SourcePos } from "./model.ts";
import { Diagnostics } from "./diagnostics.ts";

/** keepalived's address-owner priority. */
const OWNER = 255;

/** Applies keepalived's load-time corrections to `config` in place; returns what it said. */
export function applyKeepalivedRules(
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
  const inGroup = new Set(config.syncGroups.flatMap((g) => g.members));
  for (const inst of config.instances) {
    const key = `instance:${inst.name}`;
    const at = (...kws: string[]) => where(...kws.map((k) => `${key}:${k}`), key);
    preemptRules(inst, at, diags);
    ownInterfaceRule(inst, at, diags);
    if (inGroup.has(inst.name) || inst.priority === OWNER) {
      weightRules(config, inst, inGroup.has(inst.name) ? "sync group" : "address owner", at, diags);
    }
  }
  return diags;
}

type At = (...keywords: string[]) => SourcePos;

/** nopreempt and preempt_delay with priority 255 or state MASTER. */
function preemptRules(inst: InstanceConfig, at: At, diags: Diagnostics): void {
  const n = `instance "${inst.name}"`;
  if (inst.priority === OWNER && !inst.preempt) {
    diags.warning(
      at("nopreempt", "preempt"),
      `${n}: nopreempt does not apply to the address owner (priority 255): cleared, as keepalived does`,
    );
    inst.preempt = true;
  }
  if (inst.initialState === "MASTER") {
    if (!inst.preempt) {
      diags.warning(
        at("nopreempt", "preempt"),
        `${n}: nopreempt does not work with state MASTER: cleared, as keepalived does; this instance will preempt`,
      );
      inst.preempt = true;
    }
    if (inst.preemptDelaySec > 0) {
      diags.warning(
        at("preempt_delay"),
        `${n}: preempt_delay does not work with state MASTER: cleared, as keepalived does; this instance preempts at once`,
      );
      inst.preemptDelaySec = 0;
    }
  }
  if (inst.preemptDelaySec > 0 && !inst.preempt) {
    diags.warning(
      at("preempt_delay"),
      `${n}: preempt_delay has no meaning with nopreempt: cleared, as keepalived does`,
    );
    inst.preemptDelaySec = 0;
  }
}

/** The instance's own interface in track_interface: keepalived drops the entry. */
function ownInterfaceRule(inst: InstanceConfig, at: At, diags: Diagnostics): void {
  const own = inst.trackInterfaces.filter((r) => r.name === inst.interface);
  if (own.length === 0) return;
  inst.trackInterfaces = inst.trackInterfaces.filter((r) => r.name !== inst.interface);
  const follows = inst.dontTrackPrimary
    ? "with dont_track_primary its link state is not followed at all"
    : "its link going down still means FAULT";
  diags.warning(
    at(`track_interface:${inst.interface}`, "track_interface"),
    `instance "${inst.name}": track_interface ${inst.interface} is the instance's own interface: ignored, as keepalived does (${follows}${
      own.some((r) => r.weight !== undefined) ? "; its weight has no effect" : ""
    })`,
  );
}

/**
 * Sync-group members (keepalived without sync_group_tracking_weight, which vrrp does not offer)
 * and address owners do not run floating priorities: weighted tracking is dropped.
 */
function weightRules(
  config: Config,
  inst: InstanceConfig,
  why: "sync group" | "address owner",
  at: At,
  diags: Diagnostics,
): void {
  const n = `instance "${inst.name}"`;
  const owner = why === "address owner";
  inst.trackInterfaces = inst.trackInterfaces.filter((r) => {
    if (r.weight === undefined || r.weight === 0) return true;
    diags.warning(
      at(`track_interface:${r.name}`, "track_interface"),
      owner
        ? `${n}: tracked interface ${r.name} with a weight ignored for the address owner, as keepalived does: its link state has no effect`
        : `${n}: weight of tracked interface ${r.name} ignored in a sync group, as keepalived does: its link going down means FAULT`,
    );
    if (owner) return false;
    delete r.weight;
    delete r.reverse;
    return true;
  });
  inst.trackScripts = inst.trackScripts.filter((r) => {
    const script = config.scripts.find((s) => s.name === r.name);
    const weight = r.weight ?? script?.weight ?? 0;
    if (weight === 0) return true;
    diags.warning(
      at(`track_script:${r.name}`, "track_script"),
      `${n}: tracked script ${r.name} has a weight (${weight}) and is ignored in a ${why}, as keepalived does: its result has no effect (use weight 0 to make a failure mean FAULT)`,
    );
    return false;
  });
  inst.trackFiles = inst.trackFiles.filter((r) => {
    const tf = config.trackFiles.find((f) => f.name === r.name);
    const weight = r.weight ?? tf?.weight ?? 1;
    if (weight === 0) return true;
    if (weight === 1) {
      diags.warning(
        at(`track_file:${r.name}`, "track_file"),
        `${n}: weight of tracked file ${r.name} ignored in a ${why}, as keepalived does: a non-zero value means FAULT (write weight 0 to say so)`,
      );
      r.weight = 0;
      delete r.reverse;
      return true;
    }
    diags.warning(
      at(`track_file:${r.name}`, "track_file"),
      `${n}: tracked file ${r.name} with weight ${weight} ignored in a ${why}, as keepalived does: its value has no effect`,
    );
    return false;
  });
}
