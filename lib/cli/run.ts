/** `vrrp run`: not yet available. */
export function runDaemon(_opts: unknown): Promise<number> {
  console.error("vrrp run: not yet available");
  return Promise.resolve(1);
}
