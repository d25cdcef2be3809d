/**
 * The worker that parses a config for a reload (see config_loader.ts): the running daemon's
 * event loop never waits for a parse, and a parse that runs past its time is terminated.
 * One request, one reply, then the worker is terminated by its owner.
 */
import { loadConfig } from "../../config/load.ts";
import type { LoadResult } from "../../config/model.ts";

/** What the daemon asks the worker. */
export interface ConfigWorkerRequest {
  file: string | undefined;
  configId: string | undefined;
}

/** What the worker answers: the parse, or why it failed (a bug, not bad input). */
export type ConfigWorkerReply = { ok: true; result: LoadResult } | { ok: false; error: string };

// a module worker's global scope: typed loosely so this file checks without the worker lib
const scope = globalThis as unknown as {
  onmessage: ((e: MessageEvent<ConfigWorkerRequest>) => void | Promise<void>) | null;
  postMessage(reply: ConfigWorkerReply): void;
};

scope.onmessage = async (e) => {
  let reply: ConfigWorkerReply;
  try {
    // loadConfig, not loadConfigSync: it loads the TOML front end when the file is TOML
    reply = { ok: true, result: await loadConfig(e.data.file, { configId: e.data.configId }) };
  } catch (err) {
    reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  scope.postMessage(reply);
};
