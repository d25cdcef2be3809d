/**
 * The keepalived 2.2.7 keywords vrrp reads but does not honour, each with what `vrrp check` and
 * `vrrp run` say about it: a note where nothing VRRP does changes, a warning naming the
 * consequence where vrrp behaves differently from keepalived. Part of the keyword table
 * (grammar.ts); tests/config/keywords_test.ts checks that every keyword keepalived 2.2.7
 * installs is either here or honoured there.
 */

/** What vrrp does with a keepalived keyword it accepts but does not honour. */
export interface Unhonoured {
  kw: string;
  /** note: harmless; warning: behaviour differs from keepalived's; error: refused */
  severity: "note" | "warning" | "error";
  /** the diagnostic, after the quoted keyword */
  message: string;
}

function group(severity: Unhonoured["severity"], message: string, kws: string[]): Unhonoured[] {
  return kws.map((kw) => ({ kw, severity, message }));
}

/** vrrp installs no firewall rules: what keepalived's no_accept does that vrrp does not. */
export const NO_ACCEPT = "no_accept: vrrp installs no firewall rules, so while this host is " +
  "master (and not the address owner) packets to the VIPs are accepted; keepalived drops them " +
  "with nftables/iptables rules";

const STRICT = "is not supported; ignored: vrrp installs no firewall rules dropping packets to " +
  "the VIPs of a non-owner master (keepalived's no_accept in strict mode), and does not apply " +
  "strict mode's checks (no authentication, no unicast peers, at least one VIP, state MASTER " +
  "only at priority 255, no preempt_delay)";

const MAIL = "ignored: vrrp sends no mail, SNMP or D-Bus";
const OTHER_DAEMONS = "ignored: it configures keepalived's checker (LVS) or BFD process, which " +
  "vrrp does not have";
const TUNING = "accepted; it tunes keepalived's own process and has no effect in vrrp";

/** `global_defs` keywords. */
export const GLOBAL_UNHONOURED: Unhonoured[] = [
  ...group("note", MAIL, [
    "notification_email",
    "notification_email_from",
    "smtp_server",
    "smtp_helo_name",
    "smtp_connect_timeout",
    "smtp_alert",
    "smtp_alert_vrrp",
    "smtp_alert_checker",
    "no_email_faults",
    "email_faults",
    "no_checker_emails",
    "enable_snmp_vrrp",
    "enable_snmp_keepalived",
    "enable_snmp_checker",
    "enable_snmp_rfc",
    "enable_snmp_rfcv2",
    "enable_snmp_rfcv3",
    "enable_traps",
    "snmp_socket",
    "enable_dbus",
    "dbus_service_name",
  ]),
  ...group("note", OTHER_DAEMONS, [
    "checker_process_name",
    "lvs_process_name",
    "bfd_process_name",
    "checker_log_all_failures",
    "lvs_timeouts",
    "lvs_flush",
    "lvs_flush_on_stop",
    "lvs_flush_onstop",
    "lvs_sync_daemon",
    "lvs_notify_fifo",
    "lvs_notify_fifo_script",
    "lvs_id",
    "checker_priority",
    "checker_no_swap",
    "checker_rt_priority",
    "checker_cpu_affinity",
    "checker_rlimit_rttime",
    "checker_rlimit_rtime",
    "bfd_priority",
    "bfd_no_swap",
    "bfd_rt_priority",
    "bfd_cpu_affinity",
    "bfd_rlimit_rttime",
    "bfd_rlimit_rtime",
    "lvs_netlink_cmd_rcv_bufs",
    "lvs_netlink_cmd_rcv_bufs_force",
    "lvs_netlink_monitor_rcv_bufs",
    "lvs_netlink_monitor_rcv_bufs_force",
    "nftables_ipvs",
    "nftables_ipvs_priority",
    "nftables_ipvs_start_fwmark",
    "rs_init_notifies",
  ]),
  ...group("note", TUNING, [
    "process_names",
    "process_name",
    "vrrp_process_name",
    "max_auto_priority",
    "min_auto_priority_delay",
    "vrrp_no_swap",
    "vrrp_cpu_affinity",
    "vrrp_rlimit_rttime",
    "vrrp_rlimit_rtime",
    "vrrp_netlink_cmd_rcv_bufs",
    "vrrp_netlink_cmd_rcv_bufs_force",
    "vrrp_netlink_monitor_rcv_bufs",
    "vrrp_netlink_monitor_rcv_bufs_force",
    "process_monitor_rcv_bufs",
    "process_monitor_rcv_bufs_force",
    "vrrp_rx_bufs_policy",
    "vrrp_rx_bufs_multiplier",
    "disable_local_igmp",
    "umask",
    "config_save_dir",
    "tmp_config_directory",
    "data_use_instance",
    "reload_check_config",
    "reload_time_file",
    "reload_repeat",
    "reload_file",
  ]),
  {
    kw: "log_unknown_vrids",
    severity: "note",
    message: "accepted; vrrp always counts adverts for unknown VRIDs (`vrrp status` drops)",
  },
  ...group("note", "ignored: vrrp does not create VMAC interfaces", [
    "vmac_prefix",
    "vmac_addr_prefix",
  ]),
  ...group(
    "warning",
    "is not honoured: gratuitous ARPs of a burst are sent back to back, not spaced",
    ["vrrp_garp_interval", "vrrp_gna_interval"],
  ),
  ...group(
    "warning",
    "is not honoured: no gratuitous ARPs are sent when a lower-priority advert is heard",
    ["vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat"],
  ),
  {
    kw: "vrrp_min_garp",
    severity: "warning",
    message: "is not honoured: gratuitous ARPs follow the vrrp_garp_master_* settings " +
      "(keepalived: one ARP, no second burst, no refresh)",
  },
  {
    kw: "vrrp_lower_prio_no_advert",
    severity: "warning",
    message: "is not honoured: a master hearing a lower-priority advert answers with its own",
  },
  {
    kw: "vrrp_down_timer_adverts",
    severity: "warning",
    message: "is not honoured: a backup takes over after 3 missed adverts (RFC 3768)",
  },
  ...group("warning", "is not honoured: vrrp does not use VMAC interfaces", [
    "vrrp_garp_extra_if",
    "vrrp_vmac_garp_intvl",
  ]),
  {
    kw: "vrrp_skip_check_adv_addr",
    severity: "warning",
    message: "is not honoured: the address list of every advert is checked",
  },
  ...group("warning", "is not honoured: vrrp installs no firewall rules (see no_accept)", [
    "vrrp_iptables",
    "vrrp_ipsets",
    "nftables",
    "nftables_priority",
    "nftables_ifindex",
    "nftables_counters",
  ]),
  { kw: "vrrp_strict", severity: "warning", message: STRICT },
  {
    kw: "default_interface",
    severity: "warning",
    message: "is not honoured: every vrrp_instance must name its interface",
  },
  {
    kw: "dynamic_interfaces",
    severity: "warning",
    message: "is not honoured: an instance whose interface is missing is in FAULT until it appears",
  },
  ...group(
    "warning",
    "is not honoured: no notify FIFO is written (use notify scripts or `vrrp status --json`)",
    [
      "notify_fifo",
      "notify_fifo_script",
      "vrrp_notify_fifo",
      "vrrp_notify_fifo_script",
      "vrrp_notify_priority_changes",
      "fifo_write_vrrp_states_on_reload",
    ],
  ),
  ...group("warning", "is not honoured: the script is not run", [
    "startup_script",
    "startup_script_timeout",
    "shutdown_script",
    "shutdown_script_timeout",
  ]),
  {
    kw: "vrrp_startup_delay",
    severity: "warning",
    message: "is not honoured: instances start at once",
  },
  {
    kw: "random_seed",
    severity: "warning",
    message: "is not honoured: ${_RANDOM} values differ from keepalived's",
  },
  {
    kw: "include_check",
    severity: "warning",
    message: "is not honoured: plain include problems stay warnings (use includer, includem, " +
      "includew, includeb or includea)",
  },
];

/** `vrrp_instance` keywords. */
export const INSTANCE_UNHONOURED: Unhonoured[] = [
  ...group("warning", "is not supported; ignored: the VIPs are added to the interface itself", [
    "use_vmac",
    "use_vmac_addr",
    "vmac_xmit_base",
    "use_ipvlan",
    "garp_extra_if",
    "vmac_garp_intvl",
  ]),
  {
    kw: "vrf",
    severity: "warning",
    message: "is not supported; ignored: the interface is used outside any VRF",
  },
  ...group("warning", "is not supported; ignored: its tracked objects have no effect", [
    "track_process",
    "track_bfd",
    "track_src_ip",
  ]),
  {
    kw: "old_unicast_checksum",
    severity: "warning",
    message: "is not honoured: VRRPv3 unicast checksums always cover the real destination " +
      "address; adverts from a peer computing them the old way are dropped (badChecksum)",
  },
  {
    kw: "promote_secondaries",
    severity: "warning",
    message: "is not honoured: the kernel's promote_secondaries setting is left as it is",
  },
  {
    kw: "linkbeat_use_polling",
    severity: "note",
    message: "accepted; vrrp follows links through rtnetlink (polling as a fallback)",
  },
  ...group("warning", "is not supported; ignored: no routes or rules are added", [
    "virtual_routes",
    "virtual_rules",
  ]),
  {
    kw: "skip_check_adv_addr",
    severity: "warning",
    message: "is not honoured: the address list of every advert is checked",
  },
  { kw: "strict_mode", severity: "warning", message: STRICT },
  { kw: "debug", severity: "note", message: "ignored: use --log-level debug" },
  ...group("warning", "is not honoured: the script is not run", [
    "notify_deleted",
    "notify_master_rx_lower_pri",
  ]),
  {
    kw: "notify_priority_changes",
    severity: "warning",
    message: "is not honoured: notify scripts run on state changes only",
  },
  {
    kw: "lvs_sync_daemon_interface",
    severity: "note",
    message: "ignored: vrrp has no LVS sync daemon",
  },
  ...group(
    "warning",
    "is not honoured: no gratuitous ARPs are sent when a lower-priority advert is heard",
    ["garp_lower_prio_delay", "garp_lower_prio_repeat"],
  ),
  {
    kw: "lower_prio_no_advert",
    severity: "warning",
    message: "is not honoured: a master hearing a lower-priority advert answers with its own",
  },
  {
    kw: "down_timer_adverts",
    severity: "warning",
    message: "is not honoured: a backup takes over after 3 missed adverts (RFC 3768)",
  },
  {
    kw: "kernel_rx_buf_size",
    severity: "note",
    message: TUNING,
  },
];

/** `vrrp_sync_group` keywords. */
export const SYNC_GROUP_UNHONOURED: Unhonoured[] = [
  { kw: "smtp_alert", severity: "note", message: MAIL },
  ...group(
    "warning",
    "is not supported in a sync group; ignored: track objects in each vrrp_instance instead",
    ["track_interface", "track_script", "track_file", "track_process", "track_bfd"],
  ),
  {
    kw: "global_tracking",
    severity: "warning",
    message: "is not supported; ignored: the members' weighted tracking is dropped, as " +
      "keepalived does without it",
  },
  {
    kw: "sync_group_tracking_weight",
    severity: "warning",
    message: "is not supported; ignored: the members' weighted tracking is dropped, as " +
      "keepalived does without it",
  },
  {
    kw: "notify_priority_changes",
    severity: "warning",
    message: "is not honoured: notify scripts run on state changes only",
  },
];

/** Top-level blocks vrrp skips, with what it says. */
export const TOP_UNHONOURED: Unhonoured[] = [
  ...group("warning", "is not supported; the block is ignored", [
    "static_ipaddress",
    "static_routes",
    "static_rules",
    "garp_group",
    "track_group",
    "vrrp_track_process",
    "linkbeat_interfaces",
    "interface_up_down_delays",
  ]),
  {
    kw: "net_namespace",
    severity: "warning",
    message: "is not supported; ignored: vrrp runs in the namespace it is started in",
  },
  ...group("note", OTHER_DAEMONS, ["net_namespace_ipvs", "namespace_with_ipsets", "bfd_instance"]),
  ...group("note", TUNING, ["use_pid_dir", "child_wait_time", "linkbeat_use_polling"]),
  {
    kw: "instance",
    severity: "note",
    message: "ignored: the config id comes from --config-id (default: the short hostname)",
  },
];
