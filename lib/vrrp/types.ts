/**
 * The contract of the pure protocol core: what goes into it and what comes out.
 * Nothing here performs I/O; addresses are canonical text (see address.ts).
 */
import type { Family } from "./address.ts";
import type { VrrpVersion } from "./constants.ts";

/**
 * A VRRP advertisement, either version: RFC 3768 §5.3 (v2, IPv4 only) or RFC 5798 §5.2 (v3).
 * The message alone: the addresses it travelled between are {@link WireAddresses}.
 */
export interface Advertisement {
  /** RFC 3768 §5.3.1 / RFC 5798 §5.2.1 */
  version: VrrpVersion;
  /** §5.3.3 Virtual Rtr ID, 1..255 on the wire (0 decodes but is dropped by instance checks). */
  vrid: number;
  /** §5.3.4 priority, 0..255. */
  priority: number;
  /**
   * The advertisement interval in centiseconds: v2's Adver Int (whole seconds, §5.3.7) × 100,
   * v3's 12-bit Max Adver Int (RFC 5798 §5.2.7) as is.
   */
  advertIntervalCs: number;
  /** v2 §5.3.6 Auth Type: 0 none, 1 simple text password, 2 IP-AH; always 0 in v3 (no field). */
  authType: number;
  /** v2 §5.3.10 the 8 octets of authentication data as on the wire; empty in v3. */
  authData: Uint8Array;
  /** §5.3.9 / RFC 5798 §5.2.9 the virtual addresses, in packet order, all of the message's family. */
  addresses: string[];
}

/** The addresses a message travels between: the v3 checksum covers them (RFC 5798 §5.2.8). */
export interface WireAddresses {
  family: Family;
  /** source address (the sender's primary IPv4 address, or its IPv6 link-local address) */
  src: string;
  /** destination: the multicast group, or a unicast peer */
  dst: string;
}

/** A message as received: its addresses and the IPv4 TTL / IPv6 hop limit it arrived with. */
export interface ReceivedAddresses extends WireAddresses {
  hopLimit: number;
}

/** What the IP header of a captured advert said (for `decode` and `sniff`). */
export interface IpInfo {
  family: Family;
  source: string;
  destination: string;
  /** IPv4 TTL or IPv6 hop limit */
  ttl: number;
  /** header length in bytes (IHL × 4; 40 for IPv6) */
  headerBytes: number;
}

/** Why a packet was dropped: a closed set, one counter each (RFC 3768 §7.1). */
export const DropReason = {
  // what the bytes alone tell (codec)
  truncated: "truncated",
  notIpv4: "notIpv4",
  notIpv6: "notIpv6",
  badIpHeader: "badIpHeader",
  notVrrp: "notVrrp",
  badTtl: "badTtl",
  badVersion: "badVersion",
  badType: "badType",
  badLength: "badLength",
  badChecksum: "badChecksum",
  unknownAuthType: "unknownAuthType",
  authTypeAh: "authTypeAh",
  // what needs the instance (beside the state machine)
  unknownVrid: "unknownVrid",
  versionMismatch: "versionMismatch",
  authTypeMismatch: "authTypeMismatch",
  authFailure: "authFailure",
  intervalMismatch: "intervalMismatch",
  addressListMismatch: "addressListMismatch",
  ownAdvert: "ownAdvert",
  adminDown: "adminDown",
  /** unicast mode: the source is not a unicast peer (check_unicast_src) */
  notPeer: "notPeer",
  /** a multicast advert to a unicast instance, or a unicast advert to a multicast one */
  wrongDestination: "wrongDestination",
} as const;
export type DropReason = typeof DropReason[keyof typeof DropReason];

/** Decoding never throws: it gives an advert or a drop reason. */
export type DecodeResult =
  | { ok: true; advert: Advertisement; ip?: IpInfo; checksum: number }
  | { ok: false; reason: DropReason; detail: string; ip?: IpInfo };

/** RFC 3768 §6.4 / RFC 5798 §6.4 states plus keepalived's Fault. */
export const Role = {
  initialize: "initialize",
  backup: "backup",
  master: "master",
  fault: "fault",
} as const;
export type Role = typeof Role[keyof typeof Role];

/** A unicast peer as the receive checks use it (keepalived's `unicast_peer` entry). */
export interface UnicastPeer {
  address: string;
  /** the TTL / hop limit range its adverts must arrive with (checked with `checkSource`) */
  minTtl: number;
  maxTtl: number;
}

/** Unicast mode: adverts go to each peer, not to the group. */
export interface UnicastParams {
  peers: readonly UnicastPeer[];
  /** keepalived's check_unicast_src: adverts from other sources are dropped (`notPeer`) */
  checkSource: boolean;
}

/**
 * Everything the state machine needs to know about one instance; never changes while it runs
 * (a reload that changes only the unicast peers swaps in new params, keeping the state).
 */
export interface InstanceParams {
  name: string;
  vrid: number;
  /** configured priority, 1..255 (255 = address owner) */
  basePriority: number;
  /** the protocol version this instance speaks (v2 only with IPv4) */
  version: VrrpVersion;
  /** the address family of its adverts and VIPs */
  family: Family;
  /** RFC 5798 §6.1 Advertisement_Interval, centiseconds (a multiple of 100 for v2) */
  advertIntervalCs: number;
  /**
   * our address on the interface: the adverts' source and the tie-breaker (§6.4.3): the primary
   * IPv4 address, or the IPv6 link-local address (RFC 5798 §5.1.2.1)
   */
  primaryIp: string;
  vips: string[];
  /** null: multicast (RFC 3768 §5.2.2); else keepalived's unicast peers */
  unicast: UnicastParams | null;
  /** 0 none, 1 simple password; the password already truncated to 8 bytes */
  authType: number;
  authPass: string;
  preempt: boolean;
  preemptDelayMs: number;
  /** keepalived's vrrp_higher_prio_send_advert: one last advert when stepping down to a higher priority */
  higherPrioSendAdvert: boolean;
  /** gratuitous ARP after becoming master: a second burst after the delay (0 = none) */
  garpMasterDelayMs: number;
  garpMasterRepeat: number;
  /** periodic re-announce while master (0 = off), with that many ARPs each time */
  garpMasterRefreshMs: number;
  garpMasterRefreshRepeat: number;
}

/** Events are past-tense facts handed to `step()`. */
export type FsmEvent =
  | { type: "startup" }
  /** `wire`: the addresses and hop limit it came with (unicast receive checks), when known */
  | { type: "advertReceived"; advert: Advertisement; source: string; wire?: ReceivedAddresses }
  | { type: "deadlineReached" }
  | { type: "shutdownRequested" }
  | { type: "adminDownRequested" }
  | { type: "adminUpRequested" }
  | { type: "faultRaised"; reason: string }
  | { type: "faultCleared"; reason: string }
  | { type: "priorityChanged"; effectivePriority: number; reason: string }
  /**
   * `vrrp_sync_group` role following: another member of our sync group changed role and the
   * group follows it. `master`: a backup takes over at once. `backup`: a master steps down
   * (VIPs removed, Master_Down_Timer armed) and, while held, does not preempt a lower-priority
   * master (the group's other member heard a higher one). Ignored unless running, up and not in
   * fault.
   */
  | { type: "syncRoleRequested"; to: "master" | "backup"; reason: string };

/** Actions are imperatives the shell executes in order. */
export type FsmAction =
  | { type: "sendAdvert"; advert: Advertisement }
  | { type: "addVips" }
  | { type: "removeVips" }
  | { type: "sendGratuitousArp"; why: "becameMaster" | "repeat" | "refresh" | "splitBrain" }
  | { type: "stateChanged"; from: Role; to: Role; reason: string }
  | { type: "packetDropped"; reason: DropReason; detail: string }
  | { type: "log"; level: "debug" | "info" | "warn"; message: string }
  | { type: "anomaly"; message: string };

export interface StepResult<S> {
  state: S;
  actions: FsmAction[];
}
