/**
 * The state of each `vrrp_sync_group` as a whole, for its notify scripts (`GROUP NAME STATE
 * PRIORITY`): FAULT while any member is in fault, MASTER once every member is master, BACKUP
 * while members are backup (or split between backup and master), STOP once every member stopped
 * at shutdown. Pure: the daemon feeds member roles and acts on the group changes returned.
 */
import type { SyncGroupConfig } from "../../config/model.ts";
import type { Role } from "../vrrp/types.ts";

/** A group state that runs notify scripts. */
export type GroupState = "master" | "backup" | "fault" | "stop";

/** One group entering a state. */
export interface GroupChange {
  group: SyncGroupConfig;
  to: GroupState;
}

/** What the group as a whole is, from its members' roles (undefined: not running). */
export function groupStateOf(
  roles: (Role | undefined)[],
  shuttingDown: boolean,
): GroupState | null {
  const live = roles.filter((r) => r !== undefined);
  if (live.length === 0) return null;
  // at shutdown members stop one by one: only "all stopped" is a group change
  if (shuttingDown) return live.every((r) => r === "initialize") ? "stop" : null;
  if (live.some((r) => r === "fault")) return "fault";
  if (live.every((r) => r === "master")) return "master";
  if (live.some((r) => r === "backup" || r === "master")) return "backup";
  return null;
}

/** Remembers each group's last state and reports changes. */
export class GroupStates {
  readonly #last = new Map<string, GroupState>();
  #groups: SyncGroupConfig[] = [];

  /** Adopts the groups of a (re)loaded config; forgets groups that are gone. */
  configure(groups: SyncGroupConfig[]): void {
    this.#groups = groups;
    for (const name of [...this.#last.keys()]) {
      if (!groups.some((g) => g.name === name)) this.#last.delete(name);
    }
  }

  /**
   * The group changes after `instance` changed role; `roleOf` gives each member's role now
   * (undefined when it does not run).
   */
  update(
    instance: string,
    roleOf: (name: string) => Role | undefined,
    shuttingDown: boolean,
  ): GroupChange[] {
    const out: GroupChange[] = [];
    for (const g of this.#groups) {
      if (!g.members.includes(instance)) continue;
      const next = groupStateOf(g.members.map(roleOf), shuttingDown);
      if (next === null || this.#last.get(g.name) === next) continue;
      if (next === "stop" && !this.#last.has(g.name)) continue;
      this.#last.set(g.name, next);
      out.push({ group: g, to: next });
    }
    return out;
  }
}
