/** RFC 3768 numbers, each with the section that defines it. */

/** §5.2.1: this implementation speaks VRRP version 2. */
export const VRRP_VERSION = 2;
/** §5.2.2: the only packet type, ADVERTISEMENT. */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** §5.2.4 / §5.2.5: IP protocol number assigned to VRRP. */
export const IPPROTO_VRRP = 112;
/** §5.2.2: the IPv4 multicast group adverts are sent to. */
export const VRRP_MCAST_GROUP4 = "224.0.0.18";
/** §5.2.3: the IP TTL of every advert; receivers drop anything else (§7.1). */
export const VRRP_TTL = 255;
/** §5.3.4: priority of the router that owns the virtual addresses. */
export const PRIORITY_OWNER = 255;
/** §5.3.4: priority 0 means "the current master is resigning". */
export const PRIORITY_RESIGN = 0;
/** §5.3.4: default priority for backup routers. */
export const PRIORITY_DEFAULT = 100;
/** §5.3.6: authentication types. 2 (IP-AH) is recognised and dropped. */
export const AuthType = {
  none: 0,
  simplePassword: 1,
  ipAh: 2,
} as const;
export type AuthType = typeof AuthType[keyof typeof AuthType];
/** §5.3.10: authentication data is always 8 octets in VRRPv2. */
export const AUTH_DATA_BYTES = 8;
/** §5.3: fixed header before the address list. */
export const VRRP_HEADER_BYTES = 8;
/** §5.3.7: default advertisement interval, seconds. */
export const DEFAULT_ADVERT_INTERVAL_SEC = 1;
/** keepalived's defaults for gratuitous ARP after becoming master. */
export const DEFAULT_GARP_MASTER_DELAY_SEC = 5;
export const DEFAULT_GARP_MASTER_REPEAT = 5;
