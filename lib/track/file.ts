/**
 * `track_file`: an integer read from a file, on every change (inotify via `Deno.watchFs`) and on
 * a poll as a fallback. A missing, unreadable or non-numeric file reads as 0. With `initValue`
 * (keepalived's `init_file`), a missing file is created holding that value.
 */
import type { TrackFileConfig } from "../../config/model.ts";

/** Parses the file's text like strtol: optional blanks, a sign, digits; anything else is 0. */
export function parseTrackValue(text: string): number {
  const m = /^\s*([+-]?\d+)/.exec(text);
  if (!m) return 0;
  const n = Number(m[1]);
  return Number.isSafeInteger(n) ? n : 0;
}

/** Options of a `FileTracker`. */
export interface FileTrackerOptions {
  log?: (level: "debug" | "info" | "warn" | "error", msg: string) => void;
  /** poll period (default 1000 ms); the watcher usually reports sooner */
  pollMs?: number;
  /** use Deno.watchFs as well (default true) */
  watch?: boolean;
}

/** Follows one `track_file`; reports value changes. */
export class FileTracker {
  readonly name: string;
  readonly #cfg: TrackFileConfig;
  readonly #onChange: (name: string, value: number) => void;
  readonly #log: NonNullable<FileTrackerOptions["log"]>;
  readonly #pollMs: number;
  readonly #watch: boolean;
  #value = 0;
  #timer: ReturnType<typeof setInterval> | undefined;
  #watcher: Deno.FsWatcher | null = null;
  #watching: Promise<void> | null = null;
  #reading: Promise<void> = Promise.resolve();
  #stopped = true;

  constructor(
    cfg: TrackFileConfig,
    onChange: (name: string, value: number) => void,
    opts: FileTrackerOptions = {},
  ) {
    this.name = cfg.name;
    this.#cfg = cfg;
    this.#onChange = onChange;
    this.#log = opts.log ?? (() => {});
    this.#pollMs = opts.pollMs ?? 1000;
    this.#watch = opts.watch ?? true;
  }

  /** The value last read. */
  get value(): number {
    return this.#value;
  }

  /** Reads the file once (reporting the first non-zero value as a change), then follows it. */
  async start(): Promise<void> {
    if (!this.#stopped) return;
    this.#stopped = false;
    if (this.#cfg.initValue !== undefined) await this.#initFile(this.#cfg.initValue);
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#pollMs);
    if (this.#watch) this.#startWatcher();
  }

  /** Stops following the file. Idempotent. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    try {
      this.#watcher?.close();
    } catch {
      // already closed
    }
    await this.#watching;
    await this.#reading;
  }

  /** Reads the file now; reports when the value changed. Reads are serialized. */
  refresh(): Promise<void> {
    this.#reading = this.#reading.then(async () => {
      const value = await this.#read();
      if (this.#stopped || value === this.#value) return;
      this.#log("info", `[track_file ${this.name}] ${this.#value} -> ${value}`);
      this.#value = value;
      this.#onChange(this.name, value);
    });
    return this.#reading;
  }

  async #read(): Promise<number> {
    try {
      return parseTrackValue(await Deno.readTextFile(this.#cfg.file));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) {
        this.#log("warn", `[track_file ${this.name}] ${this.#cfg.file}: ${(err as Error).message}`);
      }
      return 0;
    }
  }

  async #initFile(value: number): Promise<void> {
    try {
      await Deno.writeTextFile(this.#cfg.file, `${value}\n`, { createNew: true });
    } catch (err) {
      if (!(err instanceof Deno.errors.AlreadyExists)) {
        this.#log("warn", `[track_file ${this.name}] cannot create ${this.#cfg.file}: ${err}`);
      }
    }
  }

  #startWatcher(): void {
    // watch the directory: the file may not exist yet, or be replaced by a rename
    const slash = this.#cfg.file.lastIndexOf("/");
    const dir = slash > 0 ? this.#cfg.file.slice(0, slash) : slash === 0 ? "/" : ".";
    try {
      this.#watcher = Deno.watchFs(dir, { recursive: false });
    } catch (err) {
      this.#log("warn", `[track_file ${this.name}] cannot watch ${dir}, polling: ${err}`);
      return;
    }
    const watcher = this.#watcher;
    const base = this.#cfg.file.slice(slash + 1);
    this.#watching = (async () => {
      try {
        for await (const ev of watcher) {
          if (ev.paths.some((p) => p.endsWith(`/${base}`) || p === this.#cfg.file)) {
            void this.refresh();
          }
        }
      } catch {
        // closed
      }
    })();
  }
}
