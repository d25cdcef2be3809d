/** Turns one configured instance into the state machine's parameters. */
import type { InstanceConfig } from "../../config/model.ts";
import { AuthType } from "../vrrp/constants.ts";
import type { InstanceParams } from "../vrrp/types.ts";

/** The wire form of a password: its first 8 bytes (RFC 3768 §5.3.10), kept as a string. */
export function truncatePassword(password: string): string {
  const bytes = new TextEncoder().encode(password);
  if (bytes.length <= 8) return password;
  return new TextDecoder().decode(bytes.subarray(0, 8));
}

/** The FSM parameters of `cfg` on an interface whose primary address is `primaryIp`. */
export function instanceParams(cfg: InstanceConfig, primaryIp: string): InstanceParams {
  return {
    name: cfg.name,
    vrid: cfg.vrid,
    basePriority: cfg.priority,
    advertIntervalSec: cfg.advertIntervalSec,
    primaryIp: cfg.mcastSrcIp ?? cfg.unicastSrcIp ?? primaryIp,
    vips: cfg.vips.map((v) => v.address),
    authType: cfg.auth.type === "pass" ? AuthType.simplePassword : AuthType.none,
    authPass: cfg.auth.type === "pass" ? truncatePassword(cfg.auth.password) : "",
    preempt: cfg.preempt,
    preemptDelayMs: cfg.preemptDelaySec * 1000,
    higherPrioSendAdvert: cfg.higherPrioSendAdvert,
    garpMasterDelayMs: cfg.garpMasterDelaySec * 1000,
    garpMasterRepeat: cfg.garpMasterRepeat,
    garpMasterRefreshMs: cfg.garpMasterRefreshSec * 1000,
    garpMasterRefreshRepeat: cfg.garpMasterRefreshRepeat,
  };
}

/** The device a VIP lives on: its own `dev`, else the instance's interface. */
export function vipDev(cfg: InstanceConfig, vip: { dev?: string }): string {
  return vip.dev ?? cfg.interface;
}
