/** Interface facts looked up through ioctl on a throwaway socket (correct inside a netns). */

import {
  AF_INET,
  IFF_RUNNING,
  IFF_UP,
  libc,
  SIOCGIFADDR,
  SIOCGIFFLAGS,
  SIOCGIFHWADDR,
  SOCK_CLOEXEC,
  SOCK_DGRAM,
} from "./libc.ts";
import { check, lastErrno, OsError, osErrorNow, strerror } from "./errors.ts";
import { cString, IFNAMSIZ, ifreq, ifreqAddr, ifreqFlags, ifreqHwaddr } from "./structs.ts";

/** What the daemon needs to know about an interface at start. */
export interface InterfaceInfo {
  name: string;
  index: number;
  /** 6 bytes */
  mac: Uint8Array;
  /** the primary IPv4 address, or null when the interface has none */
  primaryIp: string | null;
  /** IFF_UP: administratively up */
  up: boolean;
  /** IFF_RUNNING: up and with carrier */
  running: boolean;
}

/** errno when an interface has no IPv4 address. */
const EADDRNOTAVAIL = 99;

/** The kernel's index for `name`; throws OsError (ENODEV) when there is no such interface. */
export function interfaceIndex(name: string): number {
  const index = libc().if_nametoindex(cString(name));
  if (index === 0) throw osErrorNow("if_nametoindex", name);
  return index;
}

/** The name of interface `index`, or null when there is none (any more). */
export function interfaceName(index: number): string | null {
  const buf = new Uint8Array(IFNAMSIZ);
  if (libc().if_indextoname(index, buf) === null) return null;
  const nul = buf.indexOf(0);
  return new TextDecoder().decode(buf.subarray(0, nul < 0 ? buf.length : nul));
}

/** Looks up index, MAC, primary IPv4 address and flags; throws OsError (ENODEV) if absent. */
export function interfaceInfo(name: string): InterfaceInfo {
  const index = interfaceIndex(name);
  const c = libc();
  const fd = check("socket", c.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  try {
    const hw = ifreq(name);
    check("ioctl(SIOCGIFHWADDR)", c.ioctl(fd, BigInt(SIOCGIFHWADDR), hw), name);
    const fl = ifreq(name);
    check("ioctl(SIOCGIFFLAGS)", c.ioctl(fd, BigInt(SIOCGIFFLAGS), fl), name);
    const flags = ifreqFlags(fl);
    const ad = ifreq(name);
    let primaryIp: string | null = null;
    if (c.ioctl(fd, BigInt(SIOCGIFADDR), ad) === 0) {
      primaryIp = ifreqAddr(ad);
    } else {
      const errno = lastErrno();
      if (errno !== EADDRNOTAVAIL) {
        throw new OsError("ioctl(SIOCGIFADDR)", errno, `${strerror(errno)} (${name})`);
      }
    }
    return {
      name,
      index,
      mac: ifreqHwaddr(hw),
      primaryIp,
      up: (flags & IFF_UP) !== 0,
      running: (flags & IFF_RUNNING) !== 0,
    };
  } finally {
    c.close(fd);
  }
}
