/**
 * Reading a config (or capture) file without surprises: only regular files, stat before open so
 * a FIFO is never opened (open(2) on a FIFO blocks until a writer comes), and never more than a
 * byte limit, so `/dev/zero` or a runaway file cannot fill the memory.
 */

/** What a path is, as far as reading it goes. */
export type FileKind =
  | "file"
  | "executable file"
  | "directory"
  | "missing"
  | "fifo"
  | "character device"
  | "block device"
  | "socket"
  | "unreadable";

/**
 * The kind of `path` as keepalived sees an include: a regular file with an execute bit is an
 * "executable file", which keepalived skips ("not a regular non-executable file").
 */
export function includeKind(path: string): FileKind {
  const kind = fileKind(path);
  if (kind !== "file") return kind;
  try {
    return ((Deno.statSync(path).mode ?? 0) & 0o111) !== 0 ? "executable file" : "file";
  } catch {
    return "unreadable";
  }
}

/** The kind of `path` after following symlinks; never throws. */
export function fileKind(path: string): FileKind {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    return err instanceof Deno.errors.NotFound ? "missing" : "unreadable";
  }
  if (info.isFile) return "file";
  if (info.isDirectory) return "directory";
  if (info.isFifo) return "fifo";
  if (info.isCharDevice) return "character device";
  if (info.isBlockDevice) return "block device";
  if (info.isSocket) return "socket";
  return "unreadable";
}

/** A read file, or why it was not read (phrased to follow "cannot read PATH: "). */
export type ReadOutcome =
  | { ok: true; bytes: Uint8Array }
  | { ok: false; error: string; tooLarge?: boolean };

/**
 * Reads the regular file at `path`, at most `maxBytes` of it; a larger file is refused, not cut.
 * Never throws and never opens anything but a regular file.
 */
export function readRegularFileSync(path: string, maxBytes: number): ReadOutcome {
  const kind = fileKind(path);
  if (kind === "missing") return { ok: false, error: "no such file" };
  if (kind !== "file") {
    return { ok: false, error: `it is a ${kind}, not a regular file; not reading it` };
  }
  let f: Deno.FsFile;
  try {
    f = Deno.openSync(path, { read: true });
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  try {
    // fstat the open file too: the path may have been swapped between stat and open
    if (!f.statSync().isFile) return { ok: false, error: "it is not a regular file" };
    // read one byte past the limit to tell "exactly the limit" from "more"
    const buf = new Uint8Array(Math.min(maxBytes + 1, 64 * 1024));
    const chunks: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const n = f.readSync(buf);
      if (n === null || n === 0) break;
      total += n;
      if (total > maxBytes) {
        return {
          ok: false,
          error: `it is larger than ${maxBytes} bytes; not reading it`,
          tooLarge: true,
        };
      }
      chunks.push(buf.slice(0, n));
    }
    const bytes = new Uint8Array(total);
    let off = 0;
    for (const c of chunks) {
      bytes.set(c, off);
      off += c.length;
    }
    return { ok: true, bytes };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    f.close();
  }
}

/** {@link readRegularFileSync} decoded as UTF-8 text. */
export function readTextFileBounded(
  path: string,
  maxBytes: number,
): { ok: true; text: string } | { ok: false; error: string; tooLarge?: boolean } {
  const r = readRegularFileSync(path, maxBytes);
  return r.ok ? { ok: true, text: new TextDecoder().decode(r.bytes) } : r;
}
