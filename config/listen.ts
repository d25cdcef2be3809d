/**
 * The metrics listen address: `PORT` (on 127.0.0.1), `IPV4:PORT` or `[IPV6]:PORT`. Only IP
 * literals: the address is also the exact permission `scripts/build.ts` grants, and a name
 * would need a resolver and could mean more than one address.
 */

/** A parsed listen address. */
export interface ListenAddress {
  /** IP literal, IPv6 without brackets */
  hostname: string;
  port: number;
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6 = /^[0-9a-fA-F:.]+$/;

/** Parses `text`, or says what is wrong with it. */
export function parseListenAddress(text: string): ListenAddress | { error: string } {
  const bad = (why: string) => ({
    error: `invalid listen address ${
      JSON.stringify(text)
    }: ${why} (PORT, IPV4:PORT or [IPV6]:PORT)`,
  });
  let host = "127.0.0.1";
  let portText = text;
  const v6 = text.match(/^\[([^\]]*)\]:(.*)$/);
  if (v6) {
    if (!IPV6.test(v6[1]) || !v6[1].includes(":")) return bad("not an IPv6 address");
    [host, portText] = [v6[1], v6[2]];
  } else if (text.includes(":")) {
    const at = text.lastIndexOf(":");
    host = text.slice(0, at);
    portText = text.slice(at + 1);
    if (!IPV4.test(host)) return bad("not an IPv4 address");
  }
  if (!/^\d{1,5}$/.test(portText)) return bad("the port is not a number");
  const port = Number(portText);
  if (port < 1 || port > 65535) return bad("the port is not in 1..65535");
  return { hostname: host, port };
}

/** `IPV4:PORT` or `[IPV6]:PORT`: the canonical text, as Deno's `--allow-net` takes it. */
export function formatListenAddress(a: ListenAddress): string {
  return a.hostname.includes(":") ? `[${a.hostname}]:${a.port}` : `${a.hostname}:${a.port}`;
}
