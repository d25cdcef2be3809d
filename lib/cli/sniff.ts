/**
 * `vrrp sniff IFACE [--json] [--duration S]`: a live view of every VRRP advert on an interface,
 * grouped by VRID, with warnings (two masters, interval or password mismatch, wrong TTL).
 *
 * On a terminal the grouped view is redrawn as adverts arrive (at most every 250 ms); otherwise
 * one line per advert and the grouped view at the end; `--json` gives one object per advert and
 * a final `{"kind":"snapshot",...}`. Stops after `--duration` seconds or on SIGINT/SIGTERM.
 */
import { OsError } from "../../ffi/errors.ts";
import { LiveSniffer, type SniffedVrrp, type VrrpSource } from "../sniff/live.ts";
import { SniffView } from "../sniff/view.ts";
import { formatPacketLine, type PacketEvent, packetJson } from "../sniff/format.ts";

/** Exit codes, as in main.ts. */
const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

/** Shortest time between two redraws of the terminal view. */
const REDRAW_MIN_MS = 250;
/** Redraw at least this often, so "last 3.0s ago" and who speaks stay current. */
const REDRAW_IDLE_MS = 1000;
/** ANSI: cursor home, clear screen. */
const CLEAR = "\x1b[H\x1b[2J";

/** How a sniff session prints and when it ends. */
export interface SniffSessionOptions {
  /** interface name, for the header */
  iface: string;
  json: boolean;
  /** redraw the grouped view in place instead of printing one line per advert */
  terminal: boolean;
  /** stop after this long; none = until `stop` resolves */
  durationMs?: number;
  /** resolves when the session should end (e.g. on a signal) */
  stop?: Promise<void>;
  /** prints one chunk of output (a line without its newline, or a whole screen) */
  print?: (text: string) => void;
}

function eventOf(p: SniffedVrrp): PacketEvent {
  const sec = Math.floor(p.wallMs / 1000);
  return {
    time: { sec, nsec: (p.wallMs - sec * 1000) * 1_000_000, nanosecond: false },
    packet: p.packet,
  };
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Runs one sniff session on `source` until the duration elapses or `stop` resolves, then closes
 * the source and prints the final view. Resolves to the exit code (1 if the socket failed).
 */
export async function sniffSession(source: VrrpSource, opts: SniffSessionOptions): Promise<number> {
  const print = opts.print ?? ((text: string) => console.log(text));
  const view = new SniffView();
  const startMs = performance.now();
  let lastDrawMs = -Infinity;
  let drawTimer: ReturnType<typeof setTimeout> | undefined;

  const screen = (nowMs: number) => {
    const secs = ((nowMs - startMs) / 1000).toFixed(1);
    const adverts = view.snapshot(nowMs).adverts;
    return `vrrp sniff ${opts.iface}: ${adverts} adverts in ${secs}s (Ctrl-C to stop)\n\n` +
      view.render(nowMs);
  };
  const draw = () => {
    drawTimer = undefined;
    lastDrawMs = performance.now();
    print(CLEAR + screen(lastDrawMs));
  };
  const scheduleDraw = () => {
    if (drawTimer !== undefined) return;
    const waitMs = Math.max(0, lastDrawMs + REDRAW_MIN_MS - performance.now());
    drawTimer = setTimeout(draw, waitMs);
  };

  const onPacket = (p: SniffedVrrp) => {
    view.add(p.forView, p.atMs);
    if (opts.terminal && !opts.json) {
      scheduleDraw();
      return;
    }
    const ev = eventOf(p);
    if (opts.json) {
      const o = packetJson(ev);
      if (p.outgoing) o.outgoing = true;
      print(JSON.stringify(o));
    } else print(formatPacketLine(ev) + (p.outgoing ? " (sent by this host)" : ""));
  };

  const timers: ReturnType<typeof setTimeout>[] = [];
  const ends: Promise<unknown>[] = [];
  if (opts.durationMs !== undefined) {
    ends.push(new Promise((r) => timers.push(setTimeout(r, opts.durationMs))));
  }
  if (opts.stop) ends.push(opts.stop);
  const idle = opts.terminal && !opts.json ? setInterval(scheduleDraw, REDRAW_IDLE_MS) : undefined;
  if (idle !== undefined) draw();

  let failure: unknown = null;
  const running = source.run(onPacket).catch((err) => {
    failure = err;
  });
  await Promise.race([running, ...ends]);
  for (const t of timers) clearTimeout(t);
  clearInterval(idle);
  clearTimeout(drawTimer);
  await source.close();
  await running;

  const nowMs = performance.now();
  if (opts.json) {
    print(
      JSON.stringify({
        kind: "snapshot",
        durationMs: Math.round(nowMs - startMs),
        ...view.snapshot(nowMs),
      }),
    );
  } else if (opts.terminal) {
    print(CLEAR + screen(nowMs));
  } else {
    print("");
    print(view.render(nowMs));
  }
  if (failure !== null) {
    console.error(`vrrp sniff: receiving on ${opts.iface} failed: ${errorText(failure)}`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/** The one-line message for a failure to open the sockets. */
export function openErrorText(iface: string, err: unknown): string {
  if (err instanceof OsError) {
    if (err.code === "ENODEV") return `vrrp sniff: no interface named "${iface}"`;
    if (err.code === "EPERM" || err.code === "EACCES") {
      return `vrrp sniff: not allowed to open a packet socket on ${iface}: ` +
        "run as root (needs CAP_NET_RAW)";
    }
  }
  return `vrrp sniff: cannot listen on ${iface}: ${errorText(err)}`;
}

/** Parses `--duration`: seconds, a positive finite number; null when invalid. */
export function parseDurationMs(text: string): number | null {
  if (!/^\s*\d*\.?\d+\s*$/.test(text)) return null;
  const sec = Number(text);
  return Number.isFinite(sec) && sec > 0 ? Math.round(sec * 1000) : null;
}

/**
 * Runs `vrrp sniff IFACE [--json] [--duration S]`: 0 when stopped by the duration or a signal,
 * 1 when the interface cannot be listened on (missing, not root) or receiving fails, 2 on usage
 * errors.
 */
export async function runSniff(
  iface: string,
  opts: { json?: true | boolean; duration?: string },
): Promise<number> {
  if (iface.trim() === "") {
    console.error("vrrp sniff: missing interface name (e.g. vrrp sniff eth0)");
    return EXIT_USAGE;
  }
  let durationMs: number | undefined;
  if (opts.duration !== undefined) {
    const ms = parseDurationMs(opts.duration);
    if (ms === null) {
      console.error(
        `vrrp sniff: --duration must be a positive number of seconds, got "${opts.duration}"`,
      );
      return EXIT_USAGE;
    }
    durationMs = ms;
  }

  let source: LiveSniffer;
  try {
    source = LiveSniffer.open(iface);
  } catch (err) {
    console.error(openErrorText(iface, err));
    return EXIT_FAILURE;
  }

  const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
  let onSignal = () => {};
  const stop = new Promise<void>((resolve) => (onSignal = resolve));
  for (const s of signals) Deno.addSignalListener(s, onSignal);
  try {
    return await sniffSession(source, {
      iface,
      json: opts.json === true,
      terminal: Deno.stdout.isTerminal(),
      durationMs,
      stop,
    });
  } finally {
    for (const s of signals) Deno.removeSignalListener(s, onSignal);
    await source.close();
  }
}
