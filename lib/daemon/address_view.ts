/**
 * The daemon's live view of the host's IPv4 and IPv6 addresses: one rtnetlink dump, then kept current by
 * the address watch (RTM_NEWADDR / RTM_DELADDR). `vrrp status` and `/metrics` read VIP presence
 * from it without starting a process, and every change of an address is handed on, so a VIP
 * something else removed is seen at once (and repaired by its instance).
 */
import type { AddressChange, Effects } from "./effects.ts";
import type { Logger } from "./logger.ts";

/** What the view needs from the daemon. */
export interface AddressViewDeps {
  effects: Pick<Effects, "watchAddresses" | "listAddresses">;
  log: Logger;
  /** an address appeared on (`present`) or left `dev` */
  onChange: (dev: string, address: string, present: boolean) => void;
}

/** The host's addresses by device, while the watch runs. */
export class AddressView {
  readonly #deps: AddressViewDeps;
  /** device → addresses on it; null while the view is not live */
  #byDev: Map<string, Set<string>> | null = null;
  #stopWatch: (() => Promise<void>) | null = null;

  constructor(deps: AddressViewDeps) {
    this.#deps = deps;
  }

  /** Whether the view follows the host (the watch runs and the last dump succeeded). */
  get live(): boolean {
    return this.#byDev !== null;
  }

  /**
   * Subscribes first, then dumps, so no change falls between the two. False when the host
   * offers no watch or the dump failed (the caller then asks the host per request).
   */
  start(): boolean {
    const { effects, log } = this.#deps;
    if (!effects.watchAddresses || !effects.listAddresses) return false;
    this.#stopWatch = effects.watchAddresses(
      (changes) => changes === null ? this.#resync() : this.#apply(changes),
      () => {
        log.warn("address watch stopped: VIP presence is read per request, repairs are off");
        this.#byDev = null;
        this.#stopWatch = null;
      },
    );
    if (this.#stopWatch === null) return false;
    this.#byDev = new Map();
    this.#resync(false);
    return this.live;
  }

  /** Whether `address` is on `dev`; null while the view is not live. */
  has(dev: string, address: string): boolean | null {
    if (this.#byDev === null) return null;
    return this.#byDev.get(dev)?.has(address) ?? false;
  }

  /** Stops the watch. Idempotent. */
  async stop(): Promise<void> {
    const stop = this.#stopWatch;
    this.#stopWatch = null;
    this.#byDev = null;
    await stop?.();
  }

  #apply(changes: AddressChange[]): void {
    const byDev = this.#byDev;
    if (byDev === null) return;
    for (const c of changes) {
      let set = byDev.get(c.dev);
      if (!set) byDev.set(c.dev, set = new Set());
      const had = set.has(c.address);
      if (c.deleted) set.delete(c.address);
      else set.add(c.address);
      if (had === c.deleted) this.#deps.onChange(c.dev, c.address, !c.deleted);
    }
  }

  /** Re-reads every address (at start, and when the kernel lost changes); reports differences. */
  #resync(report = true): void {
    const old = this.#byDev;
    if (old === null) return;
    let listed;
    try {
      listed = this.#deps.effects.listAddresses!();
    } catch (err) {
      this.#deps.log.warn(`cannot read the host's addresses: ${String(err)}`);
      this.#byDev = null;
      return;
    }
    const now = new Map<string, Set<string>>();
    for (const a of listed) {
      let set = now.get(a.dev);
      if (!set) now.set(a.dev, set = new Set());
      set.add(a.address);
    }
    this.#byDev = now;
    if (!report) return;
    for (const [dev, set] of old) {
      for (const a of set) if (!now.get(dev)?.has(a)) this.#deps.onChange(dev, a, false);
    }
    for (const [dev, set] of now) {
      for (const a of set) if (!old.get(dev)?.has(a)) this.#deps.onChange(dev, a, true);
    }
  }
}
