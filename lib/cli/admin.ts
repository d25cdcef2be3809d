/** `vrrp up|down|reload`: not yet available. */
export function runAdmin(
  op: "up" | "down" | "reload",
  _name: string | undefined,
  _opts: unknown,
): Promise<number> {
  console.error(`vrrp ${op}: not yet available`);
  return Promise.resolve(1);
}
