/**
 * Defaults, as keepalived has them wherever the wire or behaviour depends on them
 * (keepalived.conf(5)); vrrp's own settings are marked.
 */
import type {
  Config,
  GlobalConfig,
  InstanceConfig,
  TrackFileConfig,
  VrrpScriptConfig,
} from "./model.ts";

/** Where `vrrp` looks for its config when none is given, in order. */
export const DEFAULT_CONFIG_PATHS = ["/etc/vrrp/vrrp.toml", "/etc/keepalived/keepalived.conf"];

/** keepalived: garp_master_delay 5 s, repeat 5, refresh off, refresh_repeat 1. */
export const DEFAULT_GARP = {
  masterDelaySec: 5,
  masterRepeat: 5,
  masterRefreshSec: 0,
  masterRefreshRepeat: 1,
} as const;

/** The global section before anything is configured. */
export function defaultGlobal(): GlobalConfig {
  return {
    vrrpVersion: 2,
    garpMasterDelaySec: DEFAULT_GARP.masterDelaySec,
    garpMasterRepeat: DEFAULT_GARP.masterRepeat,
    garpMasterRefreshSec: DEFAULT_GARP.masterRefreshSec,
    garpMasterRefreshRepeat: DEFAULT_GARP.masterRefreshRepeat,
    // vrrp's default differs from keepalived's (false): stepping down with one last advert
    // makes the new master's takeover immediate on every peer.
    higherPrioSendAdvert: true,
    enableScriptSecurity: false,
    mcastGroup4: "224.0.0.18",
    mcastGroup6: "ff02::12",
    checkUnicastSrc: false,
    controlSocket: "/run/vrrp/vrrp.sock",
    stateDir: "/var/lib/vrrp",
    // vrrp's own: a notify script still running after this long is killed
    scriptTimeoutSec: 10,
  };
}

/**
 * An instance before its keywords are applied. `interface: ""` and `vrid: 0` mean
 * "not configured" (validate() reports both). The garp and higher-prio values are
 * replaced by the global ones unless the instance sets its own.
 */
export function defaultInstance(name: string): InstanceConfig {
  return {
    name,
    initialState: "BACKUP",
    interface: "",
    vrid: 0,
    priority: 100,
    advertIntervalSec: 1,
    version: 2,
    nativeIpv6: false,
    auth: { type: "none" },
    vips: [],
    excludedVips: [],
    preempt: true,
    preemptDelaySec: 0,
    garpMasterDelaySec: DEFAULT_GARP.masterDelaySec,
    garpMasterRepeat: DEFAULT_GARP.masterRepeat,
    garpMasterRefreshSec: DEFAULT_GARP.masterRefreshSec,
    garpMasterRefreshRepeat: DEFAULT_GARP.masterRefreshRepeat,
    higherPrioSendAdvert: true,
    unicastPeers: [],
    checkUnicastSrc: false,
    unicastFaultNoPeer: false,
    trackInterfaces: [],
    trackScripts: [],
    trackFiles: [],
    notify: {},
    smtpAlert: false,
    dontTrackPrimary: false,
    accept: false,
  };
}

/** keepalived: interval 1 s, timeout = interval unless set, rise 1, fall 1, weight 0. */
export function defaultScript(name: string): VrrpScriptConfig {
  return {
    name,
    script: "",
    intervalSec: 1,
    timeoutSec: 1,
    rise: 1,
    fall: 1,
    weight: 0,
    weightReverse: false,
    initFail: false,
  };
}

/** keepalived: weight 1 is not a default there; a track_file without weight multiplies by 1. */
export function defaultTrackFile(name: string): TrackFileConfig {
  return { name, file: "", weight: 1, weightReverse: false };
}

/** An empty config: defaults and no instances. */
export function emptyConfig(): Config {
  return { global: defaultGlobal(), instances: [], scripts: [], trackFiles: [], syncGroups: [] };
}

/** Instance fields that inherit from global_defs when the instance does not set them. */
export const INHERITED = [
  "garpMasterDelaySec",
  "garpMasterRepeat",
  "garpMasterRefreshSec",
  "garpMasterRefreshRepeat",
  "higherPrioSendAdvert",
  "checkUnicastSrc",
] as const satisfies readonly (keyof InstanceConfig & keyof GlobalConfig)[];
