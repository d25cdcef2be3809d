/**
 * Link-state changes as the kernel announces them: an rtnetlink socket (AF_NETLINK,
 * NETLINK_ROUTE) bound to the RTMGRP_LINK group. The kernel sends RTM_NEWLINK / RTM_DELLINK
 * when an interface changes (carrier, up/down, rename, removal), so a link change is seen at
 * once and an idle daemon does no polling. Received through the poll + eventfd loop of
 * `ReceivePump`; the parser is pure and never throws.
 */

import { IFF_RUNNING, IFF_UP } from "./libc.ts";
import type { ReceivePump } from "./poller.ts";
import { attrString, netlinkAttributes, netlinkMessages, subscribeRtnetlink } from "./netlink.ts";

/** <linux/rtnetlink.h>: multicast group of link messages (a bit mask in nl_groups) */
const RTMGRP_LINK = 0x1;
/** <linux/rtnetlink.h> message types */
export const RTM_NEWLINK = 16;
export const RTM_DELLINK = 17;
/** <linux/if_link.h>: the interface name attribute (NUL-terminated string) */
const IFLA_IFNAME = 3;
/** sizeof(struct ifinfomsg) */
const IFINFOMSG_BYTES = 16;

/** One link announcement. */
export interface LinkEvent {
  /** RTM_DELLINK: the interface is gone */
  deleted: boolean;
  ifindex: number;
  /** IFLA_IFNAME, or null when the message had none */
  name: string | null;
  /** IFF_UP */
  up: boolean;
  /** IFF_RUNNING: up with carrier */
  running: boolean;
}

/**
 * The RTM_NEWLINK / RTM_DELLINK messages in one netlink datagram (other types are skipped).
 * Truncated or malformed input ends the parse with what was read so far; never throws.
 */
export function parseLinkMessages(buf: Uint8Array): LinkEvent[] {
  const out: LinkEvent[] = [];
  for (const m of netlinkMessages(buf)) {
    if (m.type !== RTM_NEWLINK && m.type !== RTM_DELLINK) continue;
    if (m.body.length < IFINFOMSG_BYTES) continue;
    const flags = m.view.getUint32(8, true);
    let name: string | null = null;
    for (const a of netlinkAttributes(m.body, IFINFOMSG_BYTES)) {
      if (a.type === IFLA_IFNAME) name = attrString(a.data);
    }
    out.push({
      deleted: m.type === RTM_DELLINK,
      ifindex: m.view.getInt32(4, true),
      name,
      up: (flags & IFF_UP) !== 0,
      running: (flags & IFF_RUNNING) !== 0,
    });
  }
  return out;
}

/**
 * A netlink socket subscribed to link changes. `run()` delivers each datagram's events, or
 * null when the kernel dropped messages (ENOBUFS): then the caller must re-read every link.
 */
export class LinkMonitor {
  readonly #pump: ReceivePump;

  private constructor(pump: ReceivePump) {
    this.#pump = pump;
  }

  /** Opens and binds the socket (throws OsError, e.g. EPROTONOSUPPORT without rtnetlink). */
  static open(): LinkMonitor {
    return new LinkMonitor(subscribeRtnetlink(RTMGRP_LINK));
  }

  /**
   * Calls `onEvents` with the link events of every datagram (null: messages were lost) until
   * close(). Rejects with an OsError from recvfrom or the callback's error.
   */
  run(onEvents: (events: LinkEvent[] | null) => void): Promise<void> {
    return this.#pump.run((p) => {
      if (p.bytes.length === 0) onEvents(null);
      else {
        const events = parseLinkMessages(p.bytes);
        if (events.length > 0) onEvents(events);
      }
    });
  }

  /** Stops the loop, then closes the socket. Idempotent. */
  close(): Promise<void> {
    return this.#pump.close();
  }
}
