/** `vrrp status`: not yet available. */
export function runStatus(_name: string | undefined, _opts: unknown): Promise<number> {
  console.error("vrrp status: not yet available");
  return Promise.resolve(1);
}
