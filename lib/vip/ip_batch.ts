/**
 * Pure helpers for `ip -batch - -force`: the command lines for a VIP, the per-line errors in
 * ip's stderr, and the addresses in `ip -j -4 addr show` output.
 */

import type { VipConfig } from "../../config/model.ts";
import { canonicalAddress, Family, familyOf } from "../vrrp/address.ts";

/** `ADDR/PREFIX` of a VIP. */
export function vipCidr(vip: VipConfig): string {
  return `${vip.address}/${vip.prefixLen}`;
}

/** The interface a VIP goes on. */
export function vipDev(vip: VipConfig, defaultDev: string): string {
  return vip.dev ?? defaultDev;
}

/** `addr replace` (idempotent add) with dev, brd, scope and label. */
export function addLine(vip: VipConfig, defaultDev: string): string {
  const words = ["addr", "replace", vipCidr(vip), "dev", vipDev(vip, defaultDev)];
  if (vip.brd !== undefined) words.push("brd", vip.brd);
  if (vip.scope !== undefined) words.push("scope", vip.scope);
  if (vip.label !== undefined) words.push("label", vip.label);
  // IPv6: usable at once, no duplicate address detection (keepalived adds with IFA_F_NODAD)
  if (familyOf(vip.address) === Family.ipv6) words.push("nodad");
  return words.join(" ");
}

/** `addr del` of exactly this address and prefix on its interface. */
export function delLine(vip: VipConfig, defaultDev: string): string {
  return ["addr", "del", vipCidr(vip), "dev", vipDev(vip, defaultDev)].join(" ");
}

/**
 * With `-force`, ip prints each failing line's error followed by `Command failed -:N`.
 * Returns line number (1-based) → that line's error text.
 */
export function batchErrors(stderr: string): Map<number, string> {
  const errors = new Map<number, string>();
  let pending: string[] = [];
  for (const line of stderr.split("\n")) {
    const m = line.match(/^Command failed -:(\d+)\s*$/);
    if (m) {
      errors.set(Number(m[1]), pending.join("\n").trim());
      pending = [];
    } else if (line.trim() !== "") {
      pending.push(line);
    }
  }
  return errors;
}

/** True when a failed `addr del` only says the address was not there (success for us). */
export function isAlreadyAbsent(error: string): boolean {
  return /Address not found|Cannot assign requested address/i.test(error);
}

/** One IPv4 address as `ip -j -4 addr show` reports it. */
export interface HostAddress {
  local: string;
  prefixlen: number;
  label?: string;
  broadcast?: string;
  scope?: string;
}

/** The IPv4 and IPv6 addresses in `ip -j addr show dev X` output; [] for anything unparsable. */
export function parseAddrShow(json: string): HostAddress[] {
  let links: unknown;
  try {
    links = JSON.parse(json);
  } catch {
    return [];
  }
  if (!Array.isArray(links)) return [];
  const out: HostAddress[] = [];
  for (const link of links) {
    const infos = (link as { addr_info?: unknown }).addr_info;
    if (!Array.isArray(infos)) continue;
    for (const a of infos as Record<string, unknown>[]) {
      if (a.family !== undefined && a.family !== "inet" && a.family !== "inet6") continue;
      if (typeof a.local !== "string" || typeof a.prefixlen !== "number") continue;
      const h: HostAddress = { local: a.local, prefixlen: a.prefixlen };
      if (typeof a.label === "string") h.label = a.label;
      if (typeof a.broadcast === "string") h.broadcast = a.broadcast;
      if (typeof a.scope === "string") h.scope = a.scope;
      out.push(h);
    }
  }
  return out;
}

/**
 * Whether `vip` is among `addrs`: same address and prefix, and with `exact`, also the configured
 * label, broadcast and scope.
 */
export function vipMatches(vip: VipConfig, addrs: HostAddress[], exact = false): boolean {
  const address = canonicalAddress(vip.address) ?? vip.address;
  return addrs.some((a) =>
    (canonicalAddress(a.local) ?? a.local) === address && a.prefixlen === vip.prefixLen &&
    (!exact ||
      ((vip.label === undefined || a.label === vip.label) &&
        // "brd +" and numeric scopes are not comparable with what ip prints
        (vip.brd === undefined || !/^\d+\./.test(vip.brd) || a.broadcast === vip.brd) &&
        (vip.scope === undefined || /^\d+$/.test(vip.scope) || a.scope === vip.scope)))
  );
}

/** One line of an `ip -batch` run, with the VIP it is for. */
export interface BatchLine {
  text: string;
  vip: VipConfig;
  /** an `addr del` (an "already absent" error on it is success) */
  del: boolean;
}

/** Addresses read from the host per interface; a missing interface has none, and ip's stderr. */
export type HostAddresses = Map<string, { addrs: HostAddress[]; stderr?: string }>;

/**
 * The batch lines of one operation given what the host has now. `addr replace` keeps an
 * existing address's label, so a VIP present with other attributes is deleted first.
 */
export function batchLines(
  op: "add" | "remove",
  vips: VipConfig[],
  defaultDev: string,
  before: HostAddresses,
): BatchLine[] {
  const lines: BatchLine[] = [];
  for (const vip of vips) {
    const addrs = before.get(vipDev(vip, defaultDev))?.addrs ?? [];
    if (op === "remove" || (vipMatches(vip, addrs) && !vipMatches(vip, addrs, true))) {
      lines.push({ text: delLine(vip, defaultDev), vip, del: true });
    }
    if (op === "add") lines.push({ text: addLine(vip, defaultDev), vip, del: false });
  }
  return lines;
}

/** The VIPs (`ADDR/PREFIX dev DEV`) an operation would change, given what the host has now. */
export function wouldChange(
  op: "add" | "remove",
  vips: VipConfig[],
  defaultDev: string,
  before: HostAddresses,
): string[] {
  return vips
    .filter((v) => {
      const there = vipMatches(v, before.get(vipDev(v, defaultDev))?.addrs ?? [], op === "add");
      return op === "add" ? !there : there;
    })
    .map((v) => `${vipCidr(v)} dev ${vipDev(v, defaultDev)}`);
}

/** What went wrong with one operation, with ip's stderr. */
export interface VipFailure {
  error: string;
  stderr: string;
}

/**
 * The read-back check of one operation: every VIP must now be there (exactly as configured)
 * or gone. Null when it holds.
 */
export function verifyAfter(
  op: "add" | "remove",
  vips: VipConfig[],
  defaultDev: string,
  after: HostAddresses,
  batchStderr: string,
): VipFailure | null {
  for (const vip of vips) {
    const host = after.get(vipDev(vip, defaultDev));
    const what = `${vipCidr(vip)} dev ${vipDev(vip, defaultDev)}`;
    if (host?.stderr && op === "add") {
      return { error: `cannot read back ${what}`, stderr: host.stderr };
    }
    if (op === "add" && !vipMatches(vip, host?.addrs ?? [], true)) {
      return { error: `${what} missing after add`, stderr: batchStderr };
    }
    if (op === "remove" && vipMatches(vip, host?.addrs ?? [])) {
      return { error: `${what} still present after remove`, stderr: batchStderr };
    }
  }
  return null;
}
