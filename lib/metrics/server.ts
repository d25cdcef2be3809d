/**
 * The HTTP listener of `/metrics` (Deno.serve): `GET /metrics` renders one snapshot, anything
 * else is 404. Off unless a listen address is configured.
 */
import { formatListenAddress, type ListenAddress } from "../../config/listen.ts";
import { METRICS_CONTENT_TYPE } from "./exposition.ts";

/** A running listener. */
export interface MetricsServer {
  /** where it listens, `IP:PORT` */
  readonly address: string;
  /** Stops listening; resolves once in-flight requests are answered. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts listening on `listen`; `page()` builds the page body (text or UTF-8 bytes) at each
 * scrape, synchronously.
 * Rejects when the address cannot be bound (in use, not local, no permission).
 */
export function startMetricsServer(
  listen: ListenAddress,
  page: () => string | Uint8Array<ArrayBuffer>,
  log: (message: string) => void,
): Promise<MetricsServer> {
  const ready = Promise.withResolvers<MetricsServer>();
  const handler = (req: Request): Response => {
    if (req.method !== "GET" || new URL(req.url).pathname !== "/metrics") {
      return new Response("not found\n", { status: 404 });
    }
    try {
      return new Response(page(), {
        headers: { "content-type": METRICS_CONTENT_TYPE },
      });
    } catch (err) {
      log(`metrics page failed: ${err instanceof Error ? err.message : String(err)}`);
      return new Response("internal error\n", { status: 500 });
    }
  };
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({
      hostname: listen.hostname,
      port: listen.port,
      onListen: (addr) => {
        let closed: Promise<void> | null = null;
        ready.resolve({
          // the port the kernel gave when 0 was asked for (tests)
          address: formatListenAddress({ hostname: listen.hostname, port: addr.port }),
          close: () => closed ??= server.shutdown(),
        });
      },
      onError: (err) => {
        log(`metrics request failed: ${String(err)}`);
        return new Response("internal error\n", { status: 500 });
      },
    }, handler);
  } catch (err) {
    ready.reject(err);
  }
  return ready.promise;
}
