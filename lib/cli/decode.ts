/** `vrrp decode`: not yet available. */
export function runDecode(_file: string | undefined, _opts: unknown): Promise<number> {
  console.error("vrrp decode: not yet available");
  return Promise.resolve(1);
}
