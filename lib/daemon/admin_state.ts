/**
 * Administrative state that survives a restart: which instances an operator took down with
 * `vrrp down`. Kept as `admin-state.json` in the state directory, written atomically.
 */

/** The file name inside the state directory. */
export const ADMIN_STATE_FILE = "admin-state.json";

/** What was loaded; `warning` says why the file was ignored (missing files are not warned about). */
export interface AdminStateLoad {
  down: Set<string>;
  warning?: string;
}

/**
 * Reads the administratively-down instance names from `dir`. Never throws: a missing file is an
 * empty set, a corrupt or unreadable one an empty set with a warning.
 */
export async function loadAdminState(dir: string): Promise<AdminStateLoad> {
  const path = `${dir}/${ADMIN_STATE_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { down: new Set() };
    return { down: new Set(), warning: `cannot read ${path}: ${(err as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return {
      down: new Set(),
      warning: `ignoring ${path}: malformed JSON (${(err as Error).message})`,
    };
  }
  const list = (value as { adminDown?: unknown } | null)?.adminDown;
  if (!Array.isArray(list) || !list.every((n) => typeof n === "string")) {
    return {
      down: new Set(),
      warning: `ignoring ${path}: expected {"version":1,"adminDown":[names]}`,
    };
  }
  return { down: new Set(list as string[]) };
}

/**
 * Writes the set to `dir` atomically (temp file, fsync, rename), creating `dir` (0755) if needed.
 * Throws on I/O failure so the caller can report that the state will not survive a restart.
 */
export async function saveAdminState(dir: string, names: Iterable<string>): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o755 });
  const path = `${dir}/${ADMIN_STATE_FILE}`;
  const tmp = `${path}.${Deno.pid}.tmp`;
  const body = JSON.stringify({ version: 1, adminDown: [...new Set(names)].sort() }, null, 2) +
    "\n";
  const file = await Deno.open(tmp, { write: true, create: true, truncate: true, mode: 0o644 });
  try {
    const data = new TextEncoder().encode(body);
    let off = 0;
    while (off < data.length) off += await file.write(data.subarray(off));
    await file.sync();
  } finally {
    file.close();
  }
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw err;
  }
}
