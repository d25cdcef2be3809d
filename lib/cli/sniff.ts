/** `vrrp sniff`: not yet available. */
export function runSniff(_iface: string, _opts: unknown): Promise<number> {
  console.error("vrrp sniff: not yet available");
  return Promise.resolve(1);
}
