/** fast-check generators for typed configs that both formats can express. */
import fc from "fast-check";
import type {
  Config,
  InstanceConfig,
  NotifyConfig,
  NotifyScript,
  SyncGroupConfig,
  TrackFileConfig,
  TrackRef,
  VipConfig,
  VrrpScriptConfig,
} from "../../config/model.ts";

/** Drops keys whose value is undefined, as the parsers never set them. */
function clean<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet.split("")), { minLength: min, maxLength: max })
    .map((a) => a.join(""));

const lower = "abcdefghijklmnopqrstuvwxyz";
export const name = fc.tuple(chars(lower, 1, 1), chars(lower + "0123456789_-", 0, 10))
  .map(([a, b]) => a + b);
const word = chars(lower + "0123456789_.:-", 1, 12);
const path = chars(lower + "0123456789_.-", 1, 10).map((s) => `/${s}`);
/** a command line: may hold blanks, never quotes, braces, $ or comment starters */
const command = fc.tuple(path, chars(lower + "0123456789 -./", 0, 16)).map(([p, a]) => p + a);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((p) => p.join("."));
const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });

const vip: fc.Arbitrary<VipConfig> = fc.record({
  address: ipv4,
  prefixLen: fc.integer({ min: 0, max: 32 }),
  brd: opt(ipv4),
  dev: opt(word),
  scope: opt(fc.constantFrom("global", "link", "host")),
  label: opt(word),
}).map(clean);

const track: fc.Arbitrary<TrackRef> = fc.record({
  name,
  weight: opt(fc.integer({ min: -254, max: 254 })),
  reverse: fc.boolean(),
}).map((t) =>
  clean({
    name: t.name,
    weight: t.weight,
    reverse: t.weight !== undefined && t.reverse ? true : undefined,
  })
);

/** a notify script, with the user and group keepalived reads after it */
const notifyScript: fc.Arbitrary<NotifyScript> = fc.record({
  command,
  user: opt(name),
  group: opt(name),
}).map((n) => clean({ ...n, group: n.user === undefined ? undefined : n.group }));

const notify: fc.Arbitrary<NotifyConfig> = fc.record({
  notify: opt(notifyScript),
  master: opt(notifyScript),
  backup: opt(notifyScript),
  fault: opt(notifyScript),
  stop: opt(notifyScript),
}).map(clean);

const instance = (n: string): fc.Arbitrary<InstanceConfig> =>
  fc.record({
    name: fc.constant(n),
    initialState: fc.constantFrom("MASTER" as const, "BACKUP" as const),
    interface: word,
    vrid: fc.integer({ min: 1, max: 255 }),
    priority: fc.integer({ min: 1, max: 255 }),
    advertIntervalSec: fc.integer({ min: 1, max: 255 }),
    version: fc.constantFrom(2 as const, 3 as const),
    // native_ipv6 needs IPv6 addresses (or none) and version 3: covered by its own tests
    nativeIpv6: fc.constant(false),
    auth: fc.oneof(
      fc.constant({ type: "none" as const }),
      fc.record({ type: fc.constantFrom("pass" as const, "ah" as const), password: word }),
    ),
    vips: fc.array(vip, { maxLength: 3 }),
    excludedVips: fc.array(vip, { maxLength: 2 }),
    preempt: fc.boolean(),
    preemptDelaySec: fc.integer({ min: 0, max: 1000 }),
    garpMasterDelaySec: fc.integer({ min: 0, max: 255 }),
    garpMasterRepeat: fc.integer({ min: 1, max: 255 }),
    garpMasterRefreshSec: fc.integer({ min: 0, max: 86400 }),
    garpMasterRefreshRepeat: fc.integer({ min: 1, max: 255 }),
    higherPrioSendAdvert: fc.boolean(),
    mcastSrcIp: opt(ipv4),
    unicastSrcIp: opt(ipv4),
    unicastPeers: fc.array(
      fc.tuple(ipv4, opt(fc.integer({ min: 0, max: 255 }))).map(([a, t]) =>
        t === undefined ? a : `${a} min_ttl ${t}`
      ),
      { maxLength: 3 },
    ),
    unicastTtl: opt(fc.integer({ min: 0, max: 255 })),
    checkUnicastSrc: fc.boolean(),
    unicastFaultNoPeer: fc.boolean(),
    mcastDstIp: opt(ipv4),
    trackInterfaces: fc.array(track, { maxLength: 2 }),
    trackScripts: fc.array(track, { maxLength: 2 }),
    trackFiles: fc.array(track, { maxLength: 2 }),
    notify,
    smtpAlert: fc.boolean(),
    dontTrackPrimary: fc.boolean(),
    accept: fc.boolean(),
    // VRRPv3: intervals up to 40.95 s, no authentication (keepalived's rules)
  }).map((i) =>
    clean(
      i.version === 3
        ? { ...i, advertIntervalSec: Math.min(i.advertIntervalSec, 40), auth: { type: "none" } }
        : i,
    )
  );

const script = (n: string): fc.Arbitrary<VrrpScriptConfig> =>
  fc.record({
    name: fc.constant(n),
    script: command,
    intervalSec: fc.integer({ min: 1, max: 86400 }),
    timeoutSec: fc.integer({ min: 1, max: 86400 }),
    rise: fc.integer({ min: 1, max: 1000 }),
    fall: fc.integer({ min: 1, max: 1000 }),
    weight: fc.integer({ min: -254, max: 254 }),
    weightReverse: fc.boolean(),
    initFail: fc.boolean(),
    user: opt(name),
    group: opt(name),
  }).map((s) => clean({ ...s, group: s.user === undefined ? undefined : s.group }));

const trackFile = (n: string): fc.Arbitrary<TrackFileConfig> =>
  fc.record({
    name: fc.constant(n),
    file: path,
    weight: fc.integer({ min: -1000, max: 1000 }),
    weightReverse: fc.boolean(),
    initValue: opt(fc.integer({ min: -1000, max: 1000 })),
  }).map(clean);

const syncGroup = (n: string): fc.Arbitrary<SyncGroupConfig> =>
  fc.record({ name: fc.constant(n), members: fc.array(name, { maxLength: 3 }), notify });

const names = (max: number) => fc.uniqueArray(name, { maxLength: max });
const each = <T>(ns: string[], f: (n: string) => fc.Arbitrary<T>) => fc.tuple(...ns.map(f));

/** Any config both printers and both parsers can carry (not necessarily a valid one). */
export const arbConfig: fc.Arbitrary<Config> = fc.record({
  global: fc.record({
    routerId: opt(word),
    vrrpVersion: fc.constantFrom(2 as const, 3 as const),
    garpMasterDelaySec: fc.integer({ min: 0, max: 255 }),
    garpMasterRepeat: fc.integer({ min: 1, max: 255 }),
    garpMasterRefreshSec: fc.integer({ min: 0, max: 86400 }),
    garpMasterRefreshRepeat: fc.integer({ min: 1, max: 255 }),
    higherPrioSendAdvert: fc.boolean(),
    scriptUser: opt(name),
    scriptGroup: opt(name),
    enableScriptSecurity: fc.boolean(),
    mcastGroup4: ipv4,
    mcastGroup6: fc.constantFrom("ff02::12", "ff02::13", "ff05::12"),
    checkUnicastSrc: fc.boolean(),
    controlSocket: path,
    stateDir: path,
    scriptTimeoutSec: fc.integer({ min: 1, max: 3600 }),
  }).map((g) =>
    clean({ ...g, scriptGroup: g.scriptUser === undefined ? undefined : g.scriptGroup })
  ),
  instances: names(3).chain((ns) => each(ns, instance)),
  scripts: names(2).chain((ns) => each(ns, script)),
  trackFiles: names(2).chain((ns) => each(ns, trackFile)),
  syncGroups: names(2).chain((ns) => each(ns, syncGroup)),
}).map((c) => {
  // keepalived cannot switch check_unicast_src off in an instance once the global is on
  if (c.global.checkUnicastSrc) { for (const i of c.instances) i.checkUnicastSrc = true; }
  return c;
});
