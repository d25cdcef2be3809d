/**
 * `vrrp_sync_group` role following (keepalived semantics): when a member becomes MASTER by its
 * own election, the group's BACKUP members take over too; when a member steps down from MASTER
 * to BACKUP (it heard a higher priority), the group's MASTER members step down too. FAULT is
 * shared by tracking (tracking.ts). Pure: the daemon applies the returned requests as
 * `syncRoleRequested` events, and does not plan again for the transitions they cause (so a
 * forced change never feeds back into the same group).
 */
import type { SyncGroupConfig } from "../../config/model.ts";
import type { Role } from "../vrrp/types.ts";

/** One member to move, with the reason its state machine logs. */
export interface SyncRoleRequest {
  name: string;
  to: "master" | "backup";
  reason: string;
}

/**
 * What the other members of `groups` must do now that `changed` went from `from` to `to`;
 * `roleOf` gives each member's current role (undefined when it does not run).
 */
export function syncRolePlan(
  groups: readonly SyncGroupConfig[],
  changed: { name: string; from: Role; to: Role },
  roleOf: (name: string) => Role | undefined,
): SyncRoleRequest[] {
  let follow: { from: Role; to: "master" | "backup" } | null = null;
  if (changed.to === "master" && changed.from === "backup") {
    follow = { from: "backup", to: "master" };
  } else if (changed.from === "master" && changed.to === "backup") {
    follow = { from: "master", to: "backup" };
  }
  if (follow === null) return [];
  const out: SyncRoleRequest[] = [];
  for (const g of groups) {
    if (!g.members.includes(changed.name)) continue;
    for (const m of g.members) {
      if (m === changed.name || out.some((r) => r.name === m)) continue;
      if (roleOf(m) !== follow.from) continue;
      out.push({
        name: m,
        to: follow.to,
        reason: `syncGroup ${g.name}: ${changed.name} entered ${follow.to}`,
      });
    }
  }
  return out;
}
