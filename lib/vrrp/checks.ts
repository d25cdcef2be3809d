/**
 * Instance-level receive checks (RFC 3768 §7.1 and RFC 5798 §7.1, second half): what a decoded advert must satisfy
 * for *this* virtual router. The codec has already checked what the bytes alone can tell.
 *
 * Deviation: §7.1 has the address owner (priority 255) discard every advert. We process them, so
 * an owner can hear a resigning master and repair a split brain; the state machine never lets an
 * owner step down to anything but a misconfigured second owner with a higher IP.
 */
import { AUTH_DATA_BYTES, AuthType, PRIORITY_OWNER } from "./constants.ts";
import { compareAddresses, isMulticast } from "./address.ts";
import { VrrpVersion } from "./constants.ts";
import { authDataFromPassword } from "./packet.ts";
import type { Advertisement, InstanceParams, ReceivedAddresses } from "./types.ts";
import { DropReason } from "./types.ts";

/** The verdict on one advert: accepted (maybe with warnings to log) or dropped with a reason. */
export type CheckResult =
  | { ok: true; warnings: string[] }
  | { ok: false; reason: DropReason; detail: string };

function drop(reason: DropReason, detail: string): CheckResult {
  return { ok: false, reason, detail };
}

function sameBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  for (let i = 0; i < n; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return false;
  }
  return true;
}

/** The addresses that are in `a` but not in `b` (as strings, order ignored). */
function missing(a: readonly string[], b: readonly string[]): string[] {
  const have = new Set(b);
  return a.filter((x) => !have.has(x));
}

/**
 * Checks a decoded advert received from `source` (the IP source address) against the
 * instance's configuration, in this order: our own advert looped back (`ownAdvert`), VRID
 * (`unknownVrid`), version (`versionMismatch`); v3: a zero interval (`intervalMismatch`), then
 * the address list; v2: auth type (`authTypeMismatch`), the 8 wire bytes of the password
 * (`authFailure`, simple password only: §5.3.6 says type 0 data is ignored), advert interval
 * (`intervalMismatch`), the address list (`addressListMismatch`, order ignored; accepted with a
 * warning when the sender is the owner at priority 255, as §7.1 allows). Never throws.
 */
export function checkAdvert(
  params: InstanceParams,
  advert: Advertisement,
  source: string,
  wire?: ReceivedAddresses,
): CheckResult {
  if (compareAddresses(source, params.primaryIp) === 0) {
    return drop(DropReason.ownAdvert, `advert from our own address ${source} looped back`);
  }
  if (wire !== undefined) {
    const w = checkWire(params, source, wire);
    if (w !== null) return w;
  }
  if (advert.vrid !== params.vrid) {
    return drop(
      DropReason.unknownVrid,
      `VRID ${advert.vrid} from ${source} is not configured here (ours is ${params.vrid})`,
    );
  }
  if (advert.version !== params.version) {
    return drop(
      DropReason.versionMismatch,
      `VRRPv${advert.version} advert from ${source}, this instance speaks VRRPv${params.version}`,
    );
  }
  if (params.version === VrrpVersion.v3) {
    // RFC 5798 §7.1: no authentication and no interval check; the interval is learned (§6.4.2)
    if (advert.advertIntervalCs === 0 && advert.priority !== 0) {
      // a Master_Down_Interval of 0 would let this one advert start an election at once
      return drop(DropReason.intervalMismatch, `advert interval 0 cs from ${source}`);
    }
    return checkAddresses(params, advert, source);
  }
  if (advert.authType !== params.authType) {
    return drop(
      DropReason.authTypeMismatch,
      `auth type ${advert.authType} from ${source}, ours is ${params.authType}`,
    );
  }
  if (params.authType === AuthType.simplePassword) {
    const ours = authDataFromPassword(params.authPass);
    if (!sameBytes(advert.authData ?? new Uint8Array(0), ours, AUTH_DATA_BYTES)) {
      return drop(DropReason.authFailure, `wrong password from ${source}`);
    }
  }
  if (advert.advertIntervalCs !== params.advertIntervalCs) {
    return drop(
      DropReason.intervalMismatch,
      `advert interval ${advert.advertIntervalCs / 100} s from ${source}, ours is ${
        params.advertIntervalCs / 100
      } s`,
    );
  }
  return checkAddresses(params, advert, source);
}

/**
 * The destination, source and hop limit against the instance's mode, as keepalived 2.2.7 checks
 * them: an advert to the group reaching a unicast instance, or a unicast one reaching a multicast
 * instance, is dropped (`wrongDestination`). In unicast mode the TTL need not be 255 (the
 * codec's check is skipped); with `checkSource` the source must be a peer (`notPeer`) and the
 * TTL within that peer's `min_ttl`..`max_ttl` (`badTtl`). Null when it passes.
 */
export function checkWire(
  params: InstanceParams,
  source: string,
  wire: ReceivedAddresses,
): CheckResult | null {
  const multicast = isMulticast(wire.dst);
  const u = params.unicast;
  if (multicast === (u !== null)) {
    return drop(
      DropReason.wrongDestination,
      u !== null
        ? `multicast advert from ${source} to ${wire.dst}, this instance uses unicast peers`
        : `unicast advert from ${source} to ${wire.dst}, this instance multicasts`,
    );
  }
  if (u === null || !u.checkSource) return null;
  const peer = u.peers.find((p) => compareAddresses(p.address, source) === 0);
  if (peer === undefined) {
    return drop(DropReason.notPeer, `advert from ${source}, which is not a unicast peer`);
  }
  if (wire.hopLimit < peer.minTtl || wire.hopLimit > peer.maxTtl) {
    return drop(
      DropReason.badTtl,
      `TTL ${wire.hopLimit} from ${source} is outside its range ${peer.minTtl}..${peer.maxTtl}`,
    );
  }
  return null;
}

/** The address list against ours (§7.1; order ignored, the owner may differ). */
function checkAddresses(
  params: InstanceParams,
  advert: Advertisement,
  source: string,
): CheckResult {
  const warnings: string[] = [];
  const addresses = advert.addresses ?? [];
  const extra = missing(addresses, params.vips);
  const absent = missing(params.vips, addresses);
  if (extra.length > 0 || absent.length > 0) {
    const detail = `address list from ${source} differs from ours: ` +
      `they have [${extra.join(", ")}] we lack, we have [${absent.join(", ")}] they lack`;
    if (advert.priority !== PRIORITY_OWNER) {
      return drop(DropReason.addressListMismatch, detail);
    }
    warnings.push(`${detail} (accepted: sender is the address owner)`);
  }
  return { ok: true, warnings };
}
