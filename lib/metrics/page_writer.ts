/**
 * Writes a metrics page straight into bytes. With 255 instances a page is ~13,000 lines and
 * 1 MB; building it as strings made enough young garbage for the daemon's small semi-space
 * (`--max-semi-space-size=1`) to stop for scavenges on every scrape. Here each line is copied
 * from pre-encoded pieces (family name, an instance's labels, a constant suffix) and integers
 * are written digit by digit, so a line allocates nothing.
 */

const encoder = new TextEncoder();
const memo = new Map<string, Uint8Array>();
/** Most distinct pieces kept encoded (constants and per-VIP suffixes stay far below it). */
const MEMO_MAX = 100_000;

/** `text` as UTF-8, encoded once and kept (for pieces that repeat from page to page). */
export function piece(text: string): Uint8Array {
  let b = memo.get(text);
  if (b === undefined) {
    b = encoder.encode(text);
    if (memo.size < MEMO_MAX) memo.set(text, b);
  }
  return b;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;
const ZERO = 0x30;

/** A growing byte buffer for one page. */
export class PageWriter {
  #buf: Uint8Array<ArrayBuffer>;
  #len = 0;

  /** `sizeHint`: the expected page size (the last page's), so the buffer rarely grows. */
  constructor(sizeHint = 64 * 1024) {
    this.#buf = new Uint8Array(Math.max(1024, sizeHint));
  }

  #room(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#len + n));
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
  }

  /** Appends encoded bytes. */
  bytes(b: Uint8Array): void {
    this.#room(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
  }

  /** Appends text (encoded now: for lines that are not repeated per instance). */
  text(s: string): void {
    this.bytes(encoder.encode(s));
  }

  /** Appends a sample value as Prometheus writes it. */
  value(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) {
      if (n < 10) {
        this.#room(1);
        this.#buf[this.#len++] = ZERO + n;
        return;
      }
      let digits = 1;
      for (let t = n; t >= 10; t = Math.floor(t / 10)) digits++;
      this.#room(digits);
      let v = n;
      for (let i = this.#len + digits - 1; i >= this.#len; i--) {
        this.#buf[i] = ZERO + (v % 10);
        v = Math.floor(v / 10);
      }
      this.#len += digits;
      return;
    }
    this.text(
      Number.isNaN(n) ? "NaN" : n === Infinity ? "+Inf" : n === -Infinity ? "-Inf" : String(n),
    );
  }

  /** One sample line: name, label pieces, a space, the value, a newline. */
  sample(name: Uint8Array, labels: Uint8Array, suffix: Uint8Array, value: number): void {
    this.bytes(name);
    this.bytes(labels);
    this.bytes(suffix);
    this.#room(1);
    this.#buf[this.#len++] = SPACE;
    this.value(value);
    this.#room(1);
    this.#buf[this.#len++] = NEWLINE;
  }

  /** The page so far (a view of the buffer). */
  finish(): Uint8Array<ArrayBuffer> {
    return this.#buf.subarray(0, this.#len);
  }
}
