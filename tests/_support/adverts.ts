import { authDataFromPassword } from "../../lib/vrrp/packet.ts";
import type { Advertisement } from "../../lib/vrrp/types.ts";

/** The tutorial's ha-internal-1 advert (VRID 1, priority 100, two VIPs), with `over` applied. */
export function tutorialAdvert(over: Partial<Advertisement> = {}): Advertisement {
  return {
    vrid: 1,
    priority: 100,
    advertIntervalSec: 1,
    authType: 1,
    authData: authDataFromPassword("1-internal-ha"),
    addresses: ["10.101.0.101", "10.101.0.102"],
    ...over,
  };
}
