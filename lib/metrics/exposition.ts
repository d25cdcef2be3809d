/**
 * The `/metrics` page: one status snapshot rendered in the Prometheus text exposition format
 * (version 0.0.4). Pure: the snapshot in, the page out.
 *
 * The `keepalived_*` families carry keepalived-exporter's names (mehdy/keepalived-exporter),
 * labels and encodings, so dashboards and alerts written for keepalived keep working: counters
 * are labelled `iname`, `intf`, `vrid` and `state` (INIT, BACKUP, MASTER, FAULT);
 * `keepalived_vrrp_state` is one series per VIP (`ip_address`) whose value is the state number
 * (0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT), `keepalived_vrrp_excluded_state` the same for excluded
 * VIPs; `keepalived_script_status` is 0 BAD / 1 GOOD and
 * `keepalived_script_state` 0 idle / 1 running. vrrp's own families use the `vrrp_` prefix.
 */
import type {
  InstanceCounters,
  InstanceStatus,
  NotifyStatus,
  StatusReply,
} from "../control/types.ts";
import { DropReason } from "../vrrp/types.ts";
import { PageWriter, piece } from "./page_writer.ts";

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
    name: "vrrp_vip_give_ways_total",
    help:
      "Times the instance, as master, gave way (FAULT) because its VIPs were not configured in time",
    key: "vipGiveWays",
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

const NEEDS_ESCAPE = /[\\"\n]/;

/** Escapes a label value (backslash, double quote, newline). */
export function escapeLabel(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return value;
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/** `{a="1",b="2"}` */
function labels(pairs: [string, string | number][]): string {
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabel(String(v))}"`).join(",")}}`;
}

/** What a page shows besides the daemon's snapshot. */
export interface PageExtras {
  version: string;
  /** notify script runs (the notify runner lives beside the daemon) */
  notify?: NotifyStatus[];
}

/** Renders the page for one snapshot, as text (see {@link renderMetricsBytes}). */
export function renderMetrics(snap: StatusReply, extras: PageExtras): string {
  return new TextDecoder().decode(renderMetricsBytes(snap, extras));
}

/** Size of the last page, so the next one's buffer is allocated at once. */
let lastPageBytes = 64 * 1024;

/** Renders the page for one snapshot, UTF-8; every family has HELP and TYPE, series follow. */
export function renderMetricsBytes(
  snap: StatusReply,
  extras: PageExtras,
): Uint8Array<ArrayBuffer> {
  const w = new PageWriter(lastPageBytes + 4096);
  const CLOSE = piece("}");
  const family = (name: string, type: "counter" | "gauge", help: string) => {
    w.bytes(piece(`# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`));
    return piece(name);
  };
  const insts = snap.instances;
  // each instance's labels are encoded once per page: 255 instances are ~13,000 lines
  const base = insts.map((i) =>
    piece(`{iname="${escapeLabel(i.name)}",intf="${escapeLabel(i.interface)}",vrid="${i.vrid}"`)
  );
  const kaSuffix = insts.map((i) => piece(`,state="${KEEPALIVED_STATE_NAME[i.state]}"}`));
  const zero = (n: number | undefined) => n ?? 0;
  const seconds = (ms: number | undefined) => ms === undefined ? NaN : ms / 1000;

  w.text("# HELP keepalived_up Whether the VRRP daemon is up\n# TYPE keepalived_up gauge\n");
  w.text("keepalived_up 1\n");

  let name = family(
    "keepalived_vrrp_state",
    "gauge",
    "State of the instance per VIP: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT",
  );
  const stateSeries = (excluded: boolean) =>
    insts.forEach((i) => {
      for (const v of i.vips) {
        if ((v.excluded ?? false) !== excluded) continue;
        w.sample(
          name,
          piece(`{iname="${escapeLabel(i.name)}",intf="${escapeLabel(v.dev)}",vrid="${i.vrid}"`),
          piece(`,ip_address="${v.address}"}`),
          KEEPALIVED_STATE[i.state],
        );
      }
    });
  stateSeries(false);
  name = family(
    "keepalived_vrrp_excluded_state",
    "gauge",
    "State of the instance per excluded VIP (virtual_ipaddress_excluded), encoded as above",
  );
  stateSeries(true);

  for (const c of KEEPALIVED_COUNTERS) {
    name = family(c.name, "counter", c.help);
    insts.forEach((i, k) => w.sample(name, base[k], kaSuffix[k], zero(i.counters?.[c.key])));
  }
  for (const c of KEEPALIVED_DROPS) {
    name = family(c.name, "counter", c.help);
    insts.forEach((i, k) => {
      let n = 0;
      for (const r of c.reasons) n += zero(i.drops[r]);
      w.sample(name, base[k], kaSuffix[k], n);
    });
  }
  name = family(
    "keepalived_gratuitous_arp_delay_total",
    "counter",
    "garp_master_delay: seconds between becoming master and the second gratuitous ARP burst",
  );
  insts.forEach((i, k) => w.sample(name, base[k], kaSuffix[k], zero(i.garpMasterDelayMs) / 1000));

  const scripts = snap.scripts ?? [];
  family("keepalived_script_status", "gauge", "Track script result: 0 BAD, 1 GOOD");
  for (const s of scripts) {
    w.text(`keepalived_script_status${labels([["name", s.name]])} ${s.ok ? 1 : 0}\n`);
  }
  family("keepalived_script_state", "gauge", "Track script process: 0 idle, 1 running");
  for (const s of scripts) {
    w.text(`keepalived_script_state${labels([["name", s.name]])} ${s.running ? 1 : 0}\n`);
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
      help: "Master_Down_Interval (RFC 3768 / 5798) for the effective priority",
      value: (i) => seconds(i.masterDownIntervalMs),
    },
    {
      name: "vrrp_skew_time_seconds",
      help: "Skew_Time (RFC 3768 / 5798) for the effective priority",
      value: (i) => seconds(i.skewTimeMs),
    },
    {
      name: "vrrp_master_advert_interval_seconds",
      help: "RFC 5798 Master_Adver_Interval: learned from the master's adverts (VRRPv2: ours)",
      value: (i) => seconds(i.masterAdvertIntervalMs),
    },
    {
      name: "vrrp_admin_down",
      help: "1 while the instance is administratively out of the election",
      value: (i) => i.adminDown ? 1 : 0,
    },
  ];
  for (const g of gauges) {
    name = family(g.name, "gauge", g.help);
    insts.forEach((i, k) => w.sample(name, base[k], CLOSE, g.value(i)));
  }

  name = family(
    "vrrp_packets_dropped_total",
    "counter",
    "Packets for the instance dropped, by reason (RFC 3768 section 7.1 checks)",
  );
  const reasons = Object.values(DropReason);
  const reasonSuffix = reasons.map((r) => piece(`,reason="${r}"}`));
  insts.forEach((i, k) => {
    reasons.forEach((r, n) => w.sample(name, base[k], reasonSuffix[n], zero(i.drops[r])));
  });
  family(
    "vrrp_interface_packets_dropped_total",
    "counter",
    "Packets dropped on an interface that no instance could be blamed for, by reason",
  );
  for (const [intf, drops] of Object.entries(snap.interfaceDrops ?? {})) {
    for (const r of reasons) {
      w.text(
        `vrrp_interface_packets_dropped_total${labels([["intf", intf], ["reason", r]])} ${
          zero(drops[r])
        }\n`,
      );
    }
  }

  const pairs: [string, string, [string, CounterKey][]][] = [
    [
      "vrrp_send_errors_total",
      "Sends the kernel refused: advert destinations, announcement bursts",
      [
        [',kind="advert"}', "advertSendErrors"],
        [',kind="garp"}', "garpSendErrors"],
      ],
    ],
    [
      "vrrp_vip_change_failures_total",
      "VIP changes (ip addr add/del) that failed after their attempts",
      [
        [',op="add"}', "vipAddFailures"],
        [',op="remove"}', "vipRemoveFailures"],
      ],
    ],
  ];
  for (const [fam, help, kinds] of pairs) {
    name = family(fam, "counter", help);
    insts.forEach((i, k) => {
      for (const [suffix, key] of kinds) {
        w.sample(name, base[k], piece(suffix), zero(i.counters?.[key]));
      }
    });
  }
  const peerFamilies = [
    ["vrrp_unicast_peer_adverts_sent_total", "Unicast adverts sent to the peer", "advertsSent"],
    [
      "vrrp_unicast_peer_adverts_received_total",
      "Adverts heard from the unicast peer",
      "advertsReceived",
    ],
  ] as const;
  for (const [fam, help, key] of peerFamilies) {
    name = family(fam, "counter", help);
    insts.forEach((i, k) => {
      if (i.adverts?.mode !== "unicast") return;
      for (const p of i.adverts.peers) {
        w.sample(name, base[k], piece(`,peer="${p.address}"}`), p[key]);
      }
    });
  }
  name = family("vrrp_vip_present", "gauge", "1 when the VIP is configured on this host now");
  insts.forEach((i, k) => {
    for (const v of i.vips) {
      const suffix = piece(`,ip_address="${v.address}",dev="${escapeLabel(v.dev)}"}`);
      w.sample(name, base[k], suffix, v.present ? 1 : 0);
    }
  });
  for (const c of VRRP_COUNTERS) {
    name = family(c.name, "counter", c.help);
    insts.forEach((i, k) => w.sample(name, base[k], CLOSE, zero(i.counters?.[c.key])));
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
  for (const [fam, help, key] of scriptFamilies) {
    family(fam, "counter", help);
    for (const r of runs) {
      w.text(`${fam}${labels([["kind", r.kind], ["name", r.name]])} ${r[key]}\n`);
    }
  }

  family("vrrp_build_info", "gauge", "The running vrrp's version");
  w.text(`vrrp_build_info${labels([["version", extras.version]])} 1\n`);
  const page = w.finish();
  lastPageBytes = page.length;
  return page;
}
