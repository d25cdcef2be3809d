/**
 * Parsing a config for a reload off the event loop: in a Worker that is terminated when it runs
 * past {@link RELOAD_PARSE_TIMEOUT_MS}. The parse itself is bounded (config/lexer.ts limits
 * characters, files, tokens and bytes per file, and never opens a FIFO); the worker makes sure
 * that even a parse near those bounds never delays an advert.
 */
import type { LoadResult } from "../../config/model.ts";
import type { ConfigWorkerReply, ConfigWorkerRequest } from "./config_worker.ts";

/** A reload's parse that takes longer than this is abandoned and the reload refused. */
export const RELOAD_PARSE_TIMEOUT_MS = 10_000;

/** The worker's module; `scripts/build.ts` includes it in the binary (`--include`). */
export const CONFIG_WORKER_URL = new URL("./config_worker.ts", import.meta.url);

/**
 * Loads the config at `file` (or the default paths) in a fresh worker. Rejects with a clear
 * message when the worker fails or runs past `timeoutMs`; the worker is terminated either way.
 */
export function loadConfigInWorker(
  file: string | undefined,
  configId: string | undefined,
  timeoutMs = RELOAD_PARSE_TIMEOUT_MS,
): Promise<LoadResult> {
  const { promise, resolve, reject } = Promise.withResolvers<LoadResult>();
  let worker: Worker;
  try {
    worker = new Worker(CONFIG_WORKER_URL, { type: "module" });
  } catch (err) {
    return Promise.reject(new Error(`cannot start the config parser: ${String(err)}`));
  }
  const timer = setTimeout(() => {
    reject(new Error(`parsing the config took longer than ${timeoutMs} ms; abandoned`));
  }, timeoutMs);
  worker.onmessage = (e: MessageEvent<ConfigWorkerReply>) => {
    if (e.data.ok) resolve(e.data.result);
    else reject(new Error(`the config parser failed: ${e.data.error}`));
  };
  worker.onerror = (e) => {
    e.preventDefault();
    reject(new Error(`the config parser failed: ${e.message}`));
  };
  const req: ConfigWorkerRequest = { file, configId };
  worker.postMessage(req);
  return promise.finally(() => {
    clearTimeout(timer);
    worker.terminate();
  });
}
