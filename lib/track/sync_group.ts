/**
 * `vrrp_sync_group`: members change state together. Pure: the daemon feeds it the group's
 * members and one member's transition and applies the transitions it returns.
 *
 * - a member entering FAULT pulls every other member into FAULT;
 * - a member entering BACKUP (or MASTER) pulls the others into BACKUP (or MASTER), except that
 *   while any member's own tracking says FAULT, the whole group stays in FAULT.
 */

/** The states a member can be in. */
export type MemberState = "initialize" | "backup" | "master" | "fault";

/** One member as the daemon sees it. */
export interface SyncMember {
  name: string;
  state: MemberState;
  /** its own tracked objects (interfaces, weight-0 scripts, files) demand FAULT */
  ownFault: boolean;
}

/** A transition the daemon should make, with the reason to log. */
export interface SyncTransition {
  name: string;
  to: MemberState;
  reason: string;
}

/**
 * What the rest of `group` must do now that `changed.name` is entering `changed.to`.
 * May include `changed.name` itself (forced to FAULT while another member is faulty).
 */
export function syncGroupPlan(
  group: string,
  members: SyncMember[],
  changed: { name: string; to: MemberState },
): SyncTransition[] {
  const others = members.filter((m) => m.name !== changed.name);
  if (changed.to === "initialize") return [];
  if (changed.to === "fault") {
    return others.filter((m) => m.state !== "fault").map((m) => ({
      name: m.name,
      to: "fault",
      reason: `syncGroup ${group}: ${changed.name} entered fault`,
    }));
  }
  const faulty = others.find((m) => m.ownFault);
  if (faulty) {
    return [{
      name: changed.name,
      to: "fault",
      reason: `syncGroup ${group}: ${faulty.name} is in fault`,
    }];
  }
  return others.filter((m) => m.state !== changed.to).map((m) => ({
    name: m.name,
    to: changed.to,
    reason: `syncGroup ${group}: ${changed.name} entered ${changed.to}`,
  }));
}
