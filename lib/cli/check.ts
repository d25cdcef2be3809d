/** `vrrp check`: not yet available. */
export function runCheck(_opts: unknown): Promise<number> {
  console.error("vrrp check: not yet available");
  return Promise.resolve(1);
}
