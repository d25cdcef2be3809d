/**
 * The batcher's read of the host through rtnetlink (ffi/netlink_addr.ts) instead of one
 * `ip -j addr show` process per device: the same answer, without ~3 ms of process start-up
 * before every VIP change.
 */
import { dumpIpv4Addresses, dumpIpv6Addresses } from "../../ffi/netlink_addr.ts";
import { Family, readAddress } from "../vrrp/address.ts";
import { interfaceIndex } from "../../ffi/netif.ts";
import type { HostAddresses } from "./ip_batch.ts";

/**
 * The IPv4 and IPv6 addresses of each of `devs`, like `hostAddresses()`; throws OsError if
 * rtnetlink fails.
 */
export function netlinkHostAddresses(devs: Iterable<string>): HostAddresses {
  const all = [
    ...dumpIpv4Addresses(),
    ...dumpIpv6Addresses().map((a) => ({
      ifindex: a.ifindex,
      local: readAddress(a.address, 0, Family.ipv6),
      prefixlen: a.prefixlen,
      scope: a.scope,
    })),
  ];
  const result: HostAddresses = new Map();
  for (const dev of devs) {
    let index: number;
    try {
      index = interfaceIndex(dev);
    } catch {
      result.set(dev, { addrs: [], stderr: `Device "${dev}" does not exist.` });
      continue;
    }
    result.set(dev, {
      addrs: all.filter((a) => a.ifindex === index).map(({ ifindex: _, ...addr }) => addr),
    });
  }
  return result;
}
