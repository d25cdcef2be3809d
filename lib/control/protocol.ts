/**
 * The control protocol's codec: one JSON value per line, in both directions. Pure: no I/O.
 * Decoding never throws; a bad line gives a reason the server sends back as `{ok:false,error}`.
 */
import type { Reply, Request } from "./types.ts";

/** The longest request line the server accepts, in bytes (a status request is ~40). */
export const MAX_LINE_BYTES = 64 * 1024;

/** A decoded request or why the line is not one. */
export type DecodeRequestResult = { ok: true; request: Request } | { ok: false; error: string };

const OPS = ["status", "down", "up", "reload"] as const;

/** Decodes one request line (without its newline). */
export function decodeRequest(line: string): DecodeRequestResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `malformed JSON: ${(err as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: 'request must be a JSON object like {"op":"status"}' };
  }
  const obj = value as Record<string, unknown>;
  const op = obj.op;
  if (typeof op !== "string") return { ok: false, error: 'request has no string "op"' };
  if (!(OPS as readonly string[]).includes(op)) {
    return { ok: false, error: `unknown op ${JSON.stringify(op)} (expected ${OPS.join(", ")})` };
  }
  const instance = obj.instance;
  if (instance !== undefined && typeof instance !== "string") {
    return { ok: false, error: '"instance" must be a string' };
  }
  switch (op) {
    case "status":
      return { ok: true, request: instance === undefined ? { op } : { op, instance } };
    case "up":
    case "down":
      if (instance === undefined || instance === "") {
        return { ok: false, error: `op ${JSON.stringify(op)} needs an "instance"` };
      }
      return { ok: true, request: { op, instance } };
    default:
      return { ok: true, request: { op: "reload" } };
  }
}

/** Encodes a request as one line, newline included. */
export function encodeRequest(req: Request): string {
  return JSON.stringify(req) + "\n";
}

/** Encodes a reply as one line, newline included. */
export function encodeReply(reply: Reply): string {
  return JSON.stringify(reply) + "\n";
}

/** A decoded reply or why the line is not one (the client turns the latter into a protocol error). */
export type DecodeReplyResult = { ok: true; reply: Reply } | { ok: false; error: string };

/** Decodes one reply line; checks only the discriminating `ok` field and the shape it implies. */
export function decodeReply(line: string): DecodeReplyResult {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    return { ok: false, error: `malformed reply: ${(err as Error).message}` };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { ok: false, error: "reply is not a JSON object" };
  }
  const obj = value as Record<string, unknown>;
  if (obj.ok === false) {
    if (typeof obj.error !== "string") return { ok: false, error: 'error reply has no "error"' };
    return { ok: true, reply: value as Reply };
  }
  if (obj.ok === true) {
    if (typeof obj.message === "string" || Array.isArray(obj.instances)) {
      return { ok: true, reply: value as Reply };
    }
    return { ok: false, error: 'reply has neither "message" nor "instances"' };
  }
  return { ok: false, error: 'reply has no boolean "ok"' };
}

/**
 * Splits a growing buffer into complete lines. Feed it bytes; it returns the lines completed so
 * far and keeps the rest. `overflow` is set when a partial line exceeds `maxBytes`.
 */
export class LineSplitter {
  #buf = new Uint8Array(0);
  #decoder = new TextDecoder();
  constructor(readonly maxBytes: number = MAX_LINE_BYTES) {}

  /** Appends `chunk`; returns the complete lines (without "\n", a trailing "\r" removed). */
  push(chunk: Uint8Array): { lines: string[]; overflow: boolean } {
    const joined = new Uint8Array(this.#buf.length + chunk.length);
    joined.set(this.#buf);
    joined.set(chunk, this.#buf.length);
    const lines: string[] = [];
    let start = 0;
    for (let i = 0; i < joined.length; i++) {
      if (joined[i] !== 0x0a) continue;
      let line = this.#decoder.decode(joined.subarray(start, i));
      if (line.endsWith("\r")) line = line.slice(0, -1);
      lines.push(line);
      start = i + 1;
    }
    this.#buf = joined.slice(start);
    return { lines, overflow: this.#buf.length > this.maxBytes };
  }
}
