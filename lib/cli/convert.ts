/** `vrrp convert`: not yet available. */
export function runConvert(_opts: unknown): Promise<number> {
  console.error("vrrp convert: not yet available");
  return Promise.resolve(1);
}
