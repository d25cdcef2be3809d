/** RFC 3768 (VRRPv2) and RFC 5798 (VRRPv3) numbers, each with the section that defines it. */

/** RFC 3768 §5.3.1 / RFC 5798 §5.2.1: the versions spoken. */
export const VrrpVersion = { v2: 2, v3: 3 } as const;
export type VrrpVersion = typeof VrrpVersion[keyof typeof VrrpVersion];
/** RFC 3768 §5.3.1: the default version (keepalived's too). */
export const VRRP_VERSION = VrrpVersion.v2;
/** §5.2.2: the only packet type, ADVERTISEMENT. */
export const VRRP_TYPE_ADVERTISEMENT = 1;
/** §5.2.4 / §5.2.5: IP protocol number assigned to VRRP. */
export const IPPROTO_VRRP = 112;
/** §5.2.2: the IPv4 multicast group adverts are sent to. */
export const VRRP_MCAST_GROUP4 = "224.0.0.18";
/** RFC 5798 §5.1.2.2: the IPv6 multicast group adverts are sent to. */
export const VRRP_MCAST_GROUP6 = "ff02::12";
/** §5.2.3 / RFC 5798 §5.1.1.3, §5.1.2.3: the IP TTL / hop limit of every advert; receivers drop anything else (§7.1). */
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
/** §5.3 / RFC 5798 §5.2: fixed header before the address list. */
export const VRRP_HEADER_BYTES = 8;
/** §5.3.7: default advertisement interval, 1 s (RFC 5798 §5.2.7: 100 centiseconds). */
export const DEFAULT_ADVERT_INTERVAL_CS = 100;
/** RFC 5798 §5.2.7: Max Adver Int is a 12-bit field of centiseconds. */
export const MAX_ADVERT_INTERVAL_CS_V3 = 0xfff;
/** RFC 3768 §5.3.7: Adver Int is one octet of whole seconds. */
export const MAX_ADVERT_INTERVAL_SEC_V2 = 255;
/** keepalived's defaults for gratuitous ARP after becoming master. */
export const DEFAULT_GARP_MASTER_DELAY_SEC = 5;
export const DEFAULT_GARP_MASTER_REPEAT = 5;
