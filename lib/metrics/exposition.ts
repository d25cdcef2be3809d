/**
 * The `/metrics` page: one status snapshot rendered in the Prometheus text exposition format
 * (version 0.0.4). Pure: the snapshot in, the page out.
 *
 * The `keepalived_*` families carry keepalived-exporter's names (mehdy/keepalived-exporter),
 * labels and encodings, so dashboards and alerts written for keepalived keep working: counters
 * are labelled `iname`, `intf`, `vrid` and `state` (INIT, BACKUP, MASTER, FAULT);
 * `keepalived_vrrp_state` is one series per VIP (`ip_address`) whose value is the state number
 * (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT); `keepalived_script_status` is 0 BAD / 1 GOOD and
 * `keepalived_script_state` 0 idle / 1 running. vrrp's own families use the `vrrp_` prefix.
 */
import type {
  InstanceCounters,
  InstanceStatus,
  NotifyStatus,
  StatusReply,
} from "../control/types.ts";
import { DropReason } from "../vrrp/types.ts";

/** The content type of the page. */
export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** keepalived's state numbers, as the exporter encodes them. */
export const KEEPALIVED_STATE = { initialize: 0, backup: 1, master: 2, fault: 3 } as const;
/** keepalived's state names, the exporter's `state` label. */
const KEEPALIVED_STATE_NAME = {
  initialize: "INIT",
  backup: "BACKUP",
  master: "MASTER",
  fault: "FAULT",
} as const;

/** Which drop reasons each keepalived error counter adds up. */
const KEEPALIVED_DROPS: { name: string; help: string; reasons: DropReason[] }[] = [
  {
    name: "keepalived_packet_length_errors_total",
    help: "Adverts dropped for their length",
    reasons: [DropReason.truncated, DropReason.badLength],
  },
  {
    name: "keepalived_advertisements_interval_errors_total",
    help: "Adverts dropped for an advert interval other than ours",
    reasons: [DropReason.intervalMismatch],
  },
  {
    name: "keepalived_ip_ttl_errors_total",
    help: "Adverts dropped for an IP TTL other than 255",
    reasons: [DropReason.badTtl],
  },
  {
    name: "keepalived_invalid_type_received_total",
    help: "Packets dropped for a VRRP type other than advertisement",
    reasons: [DropReason.badType],
  },
  {
    name: "keepalived_address_list_errors_total",
    help: "Adverts whose address list differs from ours",
    reasons: [DropReason.addressListMismatch],
  },
  {
    name: "keepalived_authentication_invalid_total",
    help: "Adverts with an unknown or unsupported authentication type",
    reasons: [DropReason.unknownAuthType, DropReason.authTypeAh],
  },
  {
    name: "keepalived_authentication_mismatch_total",
    help: "Adverts with another authentication type than ours",
    reasons: [DropReason.authTypeMismatch],
  },
  {
    name: "keepalived_authentication_failure_total",
    help: "Adverts whose password did not match",
    reasons: [DropReason.authFailure],
  },
];

type CounterKey = keyof InstanceCounters;

/** keepalived-exporter counters read straight from the instance counters. */
const KEEPALIVED_COUNTERS: { name: string; help: string; key: CounterKey }[] = [
  {
    name: "keepalived_advertisements_received_total",
    help: "Adverts received",
    key: "advertsReceived",
  },
  { name: "keepalived_advertisements_sent_total", help: "Adverts sent", key: "advertsSent" },
  { name: "keepalived_become_master_total", help: "Times entered MASTER", key: "becameMaster" },
  { name: "keepalived_release_master_total", help: "Times left MASTER", key: "releasedMaster" },
  {
    name: "keepalived_priority_zero_received_total",
    help: "Priority-0 adverts received (the master resigned)",
    key: "priorityZeroReceived",
  },
  {
    name: "keepalived_priority_zero_sent_total",
    help: "Priority-0 adverts sent (resigned)",
    key: "priorityZeroSent",
  },
];

/** vrrp's own per-instance counters. */
const VRRP_COUNTERS: { name: string; help: string; key: CounterKey }[] = [
  {
    name: "vrrp_gratuitous_arps_sent_total",
    help: "Gratuitous ARP frames sent",
    key: "gratuitousArpsSent",
  },
  {
    name: "vrrp_neighbour_advertisements_sent_total",
    help: "Unsolicited neighbour advertisements sent (IPv6)",
    key: "neighbourAdvertsSent",
  },
  {
    name: "vrrp_vip_repairs_total",
    help: "VIPs something else removed from this master, added back",
    key: "vipRepairs",
  },
  {
    name: "vrrp_vips_found_on_backup_total",
    help: "VIPs that appeared on the host while not master (not added by vrrp)",
    key: "vipsFoundOnBackup",
  },
  {
    name: "vrrp_dual_master_episodes_total",
    help: "Times another master was heard while master (split brain)",
    key: "dualMasterEpisodes",
  },
  {
    name: "vrrp_dual_master_seconds_total",
    help: "Seconds spent as one of two masters",
    key: "dualMasterSeconds",
  },
];

/** Escapes a label value (backslash, double quote, newline). */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `{a="1",b="2"}` */
function labels(pairs: [string, string | number][]): string {
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(",")}}`;
}

/** A number as Prometheus writes it. */
function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** What a page shows besides the daemon's snapshot. */
export interface PageExtras {
  version: string;
  /** notify script runs (the notify runner lives beside the daemon) */
  notify?: NotifyStatus[];
}

/** Renders the page for one snapshot; every family has HELP and TYPE, series follow it. */
export function renderMetrics(snap: StatusReply, extras: PageExtras): string {
  const out: string[] = [];
  const family = (name: string, type: "counter" | "gauge", help: string) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  };
  const insts = snap.instances;
  const ka = (i: InstanceStatus) =>
    labels([
      ["iname", i.name],
      ["intf", i.interface],
      ["vrid", i.vrid],
      ["state", KEEPALIVED_STATE_NAME[i.state]],
    ]);
  const id = (i: InstanceStatus, more: [string, string | number][] = []) =>
    labels([["iname", i.name], ["intf", i.interface], ["vrid", i.vrid], ...more]);
  const counters = (i: InstanceStatus): InstanceCounters | undefined => i.counters;

  family("keepalived_up", "gauge", "Whether the VRRP daemon is up");
  out.push("keepalived_up 1");

  family(
    "keepalived_vrrp_state",
    "gauge",
    "State of the instance per VIP: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT",
  );
  for (const i of insts) {
    for (const v of i.vips) {
      out.push(
        `keepalived_vrrp_state${
          labels([["iname", i.name], ["intf", v.dev], ["vrid", i.vrid], ["ip_address", v.address]])
        } ${KEEPALIVED_STATE[i.state]}`,
      );
    }
  }

  for (const c of KEEPALIVED_COUNTERS) {
    family(c.name, "counter", c.help);
    for (const i of insts) out.push(`${c.name}${ka(i)} ${num(counters(i)?.[c.key] ?? 0)}`);
  }
  for (const c of KEEPALIVED_DROPS) {
    family(c.name, "counter", c.help);
    for (const i of insts) {
      const n = c.reasons.reduce((sum, r) => sum + (i.drops[r] ?? 0), 0);
      out.push(`${c.name}${ka(i)} ${n}`);
    }
  }
  family(
    "keepalived_gratuitous_arp_delay_total",
    "counter",
    "garp_master_delay: seconds between becoming master and the second gratuitous ARP burst",
  );
  for (const i of insts) {
    out.push(
      `keepalived_gratuitous_arp_delay_total${ka(i)} ${num(i.timers?.garpMasterDelaySec ?? 0)}`,
    );
  }

  const scripts = snap.scripts ?? [];
  family("keepalived_script_status", "gauge", "Track script result: 0 BAD, 1 GOOD");
  for (const s of scripts) {
    out.push(`keepalived_script_status${labels([["name", s.name]])} ${s.ok ? 1 : 0}`);
  }
  family("keepalived_script_state", "gauge", "Track script process: 0 idle, 1 running");
  for (const s of scripts) {
    out.push(`keepalived_script_state${labels([["name", s.name]])} ${s.running ? 1 : 0}`);
  }

  const gauges: { name: string; help: string; value: (i: InstanceStatus) => number }[] = [
    { name: "vrrp_base_priority", help: "Configured priority", value: (i) => i.basePriority },
    {
      name: "vrrp_effective_priority",
      help: "Priority advertised now (after tracking)",
      value: (i) => i.effectivePriority,
    },
    {
      name: "vrrp_master_down_interval_seconds",
      help: "RFC 3768 Master_Down_Interval for the effective priority",
      value: (i) => i.timers?.masterDownIntervalSec ?? NaN,
    },
    {
      name: "vrrp_skew_time_seconds",
      help: "RFC 3768 Skew_Time for the effective priority",
      value: (i) => i.timers?.skewTimeSec ?? NaN,
    },
    {
      name: "vrrp_master_advert_interval_seconds",
      help: "Advert interval of the master followed (ours when master)",
      value: (i) => i.timers?.masterAdvertIntervalSec ?? NaN,
    },
    {
      name: "vrrp_admin_down",
      help: "1 while the instance is administratively out of the election",
      value: (i) => i.adminDown ? 1 : 0,
    },
  ];
  for (const g of gauges) {
    family(g.name, "gauge", g.help);
    for (const i of insts) out.push(`${g.name}${id(i)} ${num(g.value(i))}`);
  }

  family(
    "vrrp_packets_dropped_total",
    "counter",
    "Packets for the instance dropped, by reason (RFC 3768 section 7.1 checks)",
  );
  const reasons = Object.values(DropReason);
  for (const i of insts) {
    for (const r of reasons) {
      out.push(`vrrp_packets_dropped_total${id(i, [["reason", r]])} ${i.drops[r] ?? 0}`);
    }
  }
  family(
    "vrrp_interface_packets_dropped_total",
    "counter",
    "Packets dropped on an interface that no instance could be blamed for, by reason",
  );
  for (const [intf, drops] of Object.entries(snap.interfaceDrops ?? {})) {
    for (const r of reasons) {
      out.push(
        `vrrp_interface_packets_dropped_total${labels([["intf", intf], ["reason", r]])} ${
          drops[r] ?? 0
        }`,
      );
    }
  }

  family("vrrp_send_errors_total", "counter", "Sends the kernel refused, by what was sent");
  for (const i of insts) {
    const c = counters(i);
    out.push(`vrrp_send_errors_total${id(i, [["kind", "advert"]])} ${c?.advertSendErrors ?? 0}`);
    out.push(`vrrp_send_errors_total${id(i, [["kind", "garp"]])} ${c?.garpSendErrors ?? 0}`);
  }
  family(
    "vrrp_vip_change_failures_total",
    "counter",
    "VIP changes (ip addr add/del) that failed after their attempts",
  );
  for (const i of insts) {
    const c = counters(i);
    out.push(`vrrp_vip_change_failures_total${id(i, [["op", "add"]])} ${c?.vipAddFailures ?? 0}`);
    out.push(
      `vrrp_vip_change_failures_total${id(i, [["op", "remove"]])} ${c?.vipRemoveFailures ?? 0}`,
    );
  }
  family("vrrp_vip_present", "gauge", "1 when the VIP is configured on this host now");
  for (const i of insts) {
    for (const v of i.vips) {
      out.push(
        `vrrp_vip_present${
          labels([
            ["iname", i.name],
            ["intf", i.interface],
            ["vrid", i.vrid],
            ["ip_address", v.address],
            ["dev", v.dev],
          ])
        } ${v.present ? 1 : 0}`,
      );
    }
  }
  for (const c of VRRP_COUNTERS) {
    family(c.name, "counter", c.help);
    for (const i of insts) out.push(`${c.name}${id(i)} ${num(counters(i)?.[c.key] ?? 0)}`);
  }

  const runs: { kind: string; name: string; runs: number; failures: number; timeouts: number }[] = [
    ...scripts.map((s) => ({ kind: "track", ...s })),
    ...(extras.notify ?? []).map((n) => ({ ...n, kind: "notify", name: n.kind })),
  ];
  const scriptFamilies = [
    ["vrrp_script_runs_total", "Script runs finished", "runs"],
    ["vrrp_script_failures_total", "Script runs that failed (exit, spawn, timeout)", "failures"],
    ["vrrp_script_timeouts_total", "Script runs killed for running too long", "timeouts"],
  ] as const;
  for (const [name, help, key] of scriptFamilies) {
    family(name, "counter", help);
    for (const r of runs) {
      out.push(`${name}${labels([["kind", r.kind], ["name", r.name]])} ${r[key]}`);
    }
  }

  family("vrrp_build_info", "gauge", "The running vrrp's version");
  out.push(`vrrp_build_info${labels([["version", extras.version]])} 1`);
  return out.join("\n") + "\n";
}
