/**
 * C structs as `Uint8Array`s filled through `DataView` with explicit byte order: network order
 * (big-endian) for ports, protocols and addresses, host order (little-endian on x86_64) for the
 * rest. Layouts are Linux x86_64.
 */

import { AF_INET, AF_INET6, AF_PACKET } from "./libc.ts";

/** Host byte order of the machines this runs on (x86_64, aarch64 Linux). */
const LE = true;

/** Bytes of `struct sockaddr_in`. */
export const SOCKADDR_IN_BYTES = 16;
/** Bytes of `struct sockaddr_in6`. */
export const SOCKADDR_IN6_BYTES = 28;
/** Bytes of `struct msghdr`. */
export const MSGHDR_BYTES = 56;
/** Bytes of `struct cmsghdr` before its data (cmsg_len is a size_t). */
export const CMSGHDR_BYTES = 16;
/** Bytes of `struct sockaddr_ll`. */
export const SOCKADDR_LL_BYTES = 20;
/** Bytes of `struct ip_mreqn`. */
export const IP_MREQN_BYTES = 12;
/** Bytes of `struct ifreq`. */
export const IFREQ_BYTES = 40;
/** Bytes of `struct pollfd`. */
export const POLLFD_BYTES = 8;
/** `IFNAMSIZ`: interface names are at most 15 bytes plus the NUL. */
export const IFNAMSIZ = 16;

/** A NUL-terminated UTF-8 C string (sized in bytes, never by `str.length`). */
export function cString(s: string): Uint8Array {
  const utf8 = new TextEncoder().encode(s);
  if (utf8.includes(0)) throw new TypeError(`C string contains a NUL byte: ${JSON.stringify(s)}`);
  const out = new Uint8Array(utf8.length + 1);
  out.set(utf8);
  return out;
}

/** Checks that `address` holds the 4 bytes of an IPv4 address (ffi takes addresses as bytes). */
function ipv4(address: Uint8Array): Uint8Array {
  if (!(address instanceof Uint8Array) || address.length !== 4) {
    throw new TypeError(`an IPv4 address is 4 bytes, got ${address?.length}`);
  }
  return address;
}

/** Formats 4 bytes as a dotted quad. */
export function ipv4String(bytes: Uint8Array, offset = 0): string {
  return Array.from(bytes.subarray(offset, offset + 4)).join(".");
}

/** Formats a MAC address as `aa:bb:cc:dd:ee:ff`. */
export function macString(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * `struct sockaddr_in { sa_family_t sin_family; in_port_t sin_port; struct in_addr sin_addr; char zero[8]; }`
 * for the 4 address bytes `address` (network order).
 */
export function sockaddrIn(address: Uint8Array, port = 0): Uint8Array {
  const buf = new Uint8Array(SOCKADDR_IN_BYTES);
  const view = new DataView(buf.buffer);
  view.setUint16(0, AF_INET, LE);
  view.setUint16(2, port, false);
  buf.set(ipv4(address), 4);
  return buf;
}

/**
 * `struct sockaddr_ll { unsigned short sll_family; __be16 sll_protocol; int sll_ifindex;
 * unsigned short sll_hatype; unsigned char sll_pkttype; unsigned char sll_halen; unsigned char sll_addr[8]; }`
 */
export function sockaddrLl(ifindex: number, protocol: number, mac?: Uint8Array): Uint8Array {
  const buf = new Uint8Array(SOCKADDR_LL_BYTES);
  const view = new DataView(buf.buffer);
  view.setUint16(0, AF_PACKET, LE);
  view.setUint16(2, protocol, false);
  view.setInt32(4, ifindex, LE);
  if (mac) {
    buf[11] = mac.length;
    buf.set(mac.subarray(0, 8), 12);
  }
  return buf;
}

/** The fields of a `sockaddr_ll` filled in by `recvfrom`. */
export interface SockaddrLlInfo {
  protocol: number;
  ifindex: number;
  pktType: number;
}

/** Reads a `sockaddr_ll` written by the kernel. */
export function readSockaddrLl(buf: Uint8Array): SockaddrLlInfo {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  return { protocol: view.getUint16(2, false), ifindex: view.getInt32(4, LE), pktType: buf[10] };
}

/**
 * `struct ip_mreqn { struct in_addr imr_multiaddr; struct in_addr imr_address; int imr_ifindex; }`
 * (addresses as 4 bytes; the local address defaults to INADDR_ANY)
 */
export function ipMreqn(
  group: Uint8Array,
  ifindex: number,
  address: Uint8Array = new Uint8Array(4),
): Uint8Array {
  const buf = new Uint8Array(IP_MREQN_BYTES);
  buf.set(ipv4(group), 0);
  buf.set(ipv4(address), 4);
  new DataView(buf.buffer).setInt32(8, ifindex, LE);
  return buf;
}

/** `struct ifreq { char ifr_name[IFNAMSIZ]; union { ... } }` with the name filled in. */
export function ifreq(ifname: string): Uint8Array {
  const name = cString(ifname);
  if (name.length > IFNAMSIZ) throw new TypeError(`interface name longer than 15 bytes: ${ifname}`);
  const buf = new Uint8Array(IFREQ_BYTES);
  buf.set(name, 0);
  return buf;
}

/** `ifr_hwaddr` (a `struct sockaddr`): the 6 bytes of `sa_data` that hold a MAC. */
export function ifreqHwaddr(buf: Uint8Array): Uint8Array {
  return buf.slice(IFNAMSIZ + 2, IFNAMSIZ + 8);
}

/** `ifr_addr` as a `sockaddr_in`: the IPv4 address. */
export function ifreqAddr(buf: Uint8Array): string {
  return ipv4String(buf, IFNAMSIZ + 4);
}

/** `ifr_flags` (a `short`). */
export function ifreqFlags(buf: Uint8Array): number {
  return new DataView(buf.buffer, buf.byteOffset).getUint16(IFNAMSIZ, LE);
}

/** `struct pollfd { int fd; short events; short revents; }` × fds, all with the same events. */
export function pollfds(fds: number[], events: number): Uint8Array {
  const buf = new Uint8Array(POLLFD_BYTES * fds.length);
  const view = new DataView(buf.buffer);
  fds.forEach((fd, i) => {
    view.setInt32(i * POLLFD_BYTES, fd, LE);
    view.setInt16(i * POLLFD_BYTES + 4, events, LE);
  });
  return buf;
}

/** `revents` of entry `i` of a pollfd array. */
export function pollRevents(buf: Uint8Array, i: number): number {
  return new DataView(buf.buffer, buf.byteOffset).getInt16(i * POLLFD_BYTES + 6, LE);
}

/** Checks that `address` holds the 16 bytes of an IPv6 address. */
function ipv6(address: Uint8Array): Uint8Array {
  if (!(address instanceof Uint8Array) || address.length !== 16) {
    throw new TypeError(`an IPv6 address is 16 bytes, got ${address?.length}`);
  }
  return address;
}

/**
 * `struct sockaddr_in6 { sa_family_t sin6_family; in_port_t sin6_port; uint32_t sin6_flowinfo;
 * struct in6_addr sin6_addr; uint32_t sin6_scope_id; }` (the scope is the interface index of a
 * link-local or link-scope multicast address)
 */
export function sockaddrIn6(address: Uint8Array, scopeId = 0): Uint8Array {
  const buf = new Uint8Array(SOCKADDR_IN6_BYTES);
  const view = new DataView(buf.buffer);
  view.setUint16(0, AF_INET6, LE);
  buf.set(ipv6(address), 8);
  view.setUint32(24, scopeId, LE);
  return buf;
}

/** `struct ipv6_mreq { struct in6_addr ipv6mr_multiaddr; unsigned int ipv6mr_interface; }` */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Uint8Array {
  const buf = new Uint8Array(20);
  buf.set(ipv6(group), 0);
  new DataView(buf.buffer).setUint32(16, ifindex, LE);
  return buf;
}

/** The address of a buffer as a number to store in a struct (Deno keeps it alive with `buf`). */
function pointerValue(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf)));
}

/**
 * `struct msghdr { void *msg_name; socklen_t msg_namelen; struct iovec *msg_iov; size_t
 * msg_iovlen; void *msg_control; size_t msg_controllen; int msg_flags; }` with one iovec
 * (`iovec`, 16 bytes, filled here to point at `data`). The caller keeps every buffer alive while
 * the call runs.
 */
export function msghdr(
  name: Uint8Array | null,
  iovec: Uint8Array,
  data: Uint8Array,
  control: Uint8Array | null,
): Uint8Array {
  const iov = new DataView(iovec.buffer, iovec.byteOffset, 16);
  iov.setBigUint64(0, pointerValue(data), LE);
  iov.setBigUint64(8, BigInt(data.length), LE);
  const buf = new Uint8Array(MSGHDR_BYTES);
  const view = new DataView(buf.buffer);
  if (name) {
    view.setBigUint64(0, pointerValue(name), LE);
    view.setUint32(8, name.length, LE);
  }
  view.setBigUint64(16, pointerValue(iovec), LE);
  view.setBigUint64(24, 1n, LE);
  if (control) {
    view.setBigUint64(32, pointerValue(control), LE);
    view.setBigUint64(40, BigInt(control.length), LE);
  }
  return buf;
}

/** `msg_controllen` of a msghdr after recvmsg (how much ancillary data the kernel wrote). */
export function msghdrControlLength(hdr: Uint8Array): number {
  return Number(new DataView(hdr.buffer, hdr.byteOffset).getBigUint64(40, LE));
}

/** CMSG_SPACE(len): a control message with `len` data bytes, aligned to 8. */
export function cmsgSpace(len: number): number {
  return CMSGHDR_BYTES + ((len + 7) & ~7);
}

/** Writes one control message at `offset` of `buf`; returns the offset after it. */
export function putCmsg(
  buf: Uint8Array,
  offset: number,
  level: number,
  type: number,
  data: Uint8Array,
): number {
  const view = new DataView(buf.buffer, buf.byteOffset);
  view.setBigUint64(offset, BigInt(CMSGHDR_BYTES + data.length), LE);
  view.setInt32(offset + 8, level, LE);
  view.setInt32(offset + 12, type, LE);
  buf.set(data, offset + CMSGHDR_BYTES);
  return offset + cmsgSpace(data.length);
}

/** The control messages in the first `length` bytes of `buf`. */
export function* cmsgs(
  buf: Uint8Array,
  length: number,
): Generator<{ level: number; type: number; data: Uint8Array }> {
  const view = new DataView(buf.buffer, buf.byteOffset);
  let off = 0;
  while (off + CMSGHDR_BYTES <= length) {
    const len = Number(view.getBigUint64(off, LE));
    if (len < CMSGHDR_BYTES || off + len > length) return;
    yield {
      level: view.getInt32(off + 8, LE),
      type: view.getInt32(off + 12, LE),
      data: buf.subarray(off + CMSGHDR_BYTES, off + len),
    };
    off += cmsgSpace(len - CMSGHDR_BYTES);
  }
}
