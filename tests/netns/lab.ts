/**
 * A throwaway LAN of network namespaces for tests:
 *
 * ```
 *   <p>sw   switch namespace: bridge br0 with one port per node (port name "p-<node>")
 *   <p>a    router "a": eth0 10.101.1.185/22 (veth into br0)
 *   <p>b    router "b": eth0 10.101.1.186/22 ...
 *   <p>c    client "c": eth0 10.101.1.200/22 (when `client: true`)
 * ```
 *
 * Every name starts with a per-run prefix `vt<hex>-`; destroy() (also `await using`) kills what
 * the lab spawned and deletes the namespaces, and an `unload` handler does the same if a test
 * forgets. Nothing here touches the root namespace's interfaces.
 */

const IP = "ip";
const NFT = "nft";
const ARPING = "arping";

/** Addressing of the lab LAN. */
export interface LabSubnet {
  /** first three octets, e.g. "10.101.1" */
  base: string;
  prefixLen: number;
  /** host octet of the first router; the next routers follow (.185, .186, ...) */
  firstRouterHost: number;
  /** host octet of the client */
  clientHost: number;
}

/** The tutorial's LAN: routers 10.101.1.185, .186, ...; client 10.101.1.200; /22. */
export const DEFAULT_SUBNET: LabSubnet = {
  base: "10.101.1",
  prefixLen: 22,
  firstRouterHost: 185,
  clientHost: 200,
};

/** Name of the client node. */
export const CLIENT = "c";

/** Result of a finished command. */
export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A process started inside a node with spawn(). */
export interface LabProcess {
  readonly pid: number;
  /** resolves when the process exits */
  readonly status: Promise<Deno.CommandStatus>;
  /** what it printed so far */
  stdout(): string;
  stderr(): string;
  /** resolves with the output so far once `pattern` matches stdout+stderr; rejects on timeout or exit */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** sends `signal` (default SIGTERM) if still running */
  kill(signal?: Deno.Signal): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit status */
  stop(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** Options for exec() and spawn(). */
export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  /** exec(): kill the command after this long (default 30 s) */
  timeoutMs?: number;
  /** exec(): bytes written to stdin */
  stdin?: string;
}

const liveNamespaces = new Set<string>();
const livePids = new Set<number>();
let unloadInstalled = false;

/** Last resort if a test ends without destroy(): synchronous cleanup at process exit. */
function installUnloadHandler(): void {
  if (unloadInstalled) return;
  unloadInstalled = true;
  globalThis.addEventListener("unload", destroyAllLabsSync);
}

/**
 * Kills every process the live labs started, and anything else inside their namespaces (started
 * through them), then deletes the namespaces: synchronous, for process exit and signal handlers
 * (the bench's, which an interrupted run would otherwise leave behind).
 */
export function destroyAllLabsSync(): void {
  const kill = (pid: number) => {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  };
  for (const pid of livePids) kill(pid);
  for (const ns of liveNamespaces) {
    try {
      const out = new Deno.Command(IP, { args: ["netns", "pids", ns], stderr: "null" })
        .outputSync();
      for (const pid of decoder.decode(out.stdout).split(/\s+/).filter(Boolean)) kill(Number(pid));
    } catch {
      // best effort at exit
    }
  }
  for (const ns of liveNamespaces) {
    try {
      new Deno.Command(IP, { args: ["netns", "del", ns], stdout: "null", stderr: "null" })
        .outputSync();
    } catch {
      // best effort at exit
    }
  }
  liveNamespaces.clear();
}

const decoder = new TextDecoder();

async function run(argv: string[], opts: RunOptions = {}): Promise<ExecResult> {
  const cmd = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    env: opts.env,
    cwd: opts.cwd,
  });
  const child = cmd.spawn();
  livePids.add(child.pid);
  const timer = setTimeout(() => {
    try {
      child.kill("SIGKILL");
    } catch {
      // exited meanwhile
    }
  }, opts.timeoutMs ?? 30_000);
  try {
    if (opts.stdin !== undefined) {
      const w = child.stdin.getWriter();
      await w.write(new TextEncoder().encode(opts.stdin));
      await w.close();
    }
    const out = await child.output();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
    };
  } finally {
    clearTimeout(timer);
    livePids.delete(child.pid);
  }
}

/** Runs a command and throws with its stderr when it fails. */
async function must(argv: string[], opts?: RunOptions): Promise<string> {
  const r = await run(argv, opts);
  if (r.code !== 0) throw new Error(`${argv.join(" ")} failed (${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** The repository root (this file is tests/netns/lab.ts). */
export const REPO_ROOT = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");

/** A LAN of namespaces; see the module comment. */
export class Lab {
  /** per-run prefix of every namespace name, e.g. `vt3fa9c1-` */
  readonly prefix: string;
  readonly routers: readonly string[];
  readonly hasClient: boolean;
  readonly subnet: LabSubnet;
  /** IPv6 ready at once: no duplicate address detection, no multicast snooping on the bridge */
  readonly ipv6: boolean;
  /** the switch drops multicast VRRP (a cloud network): see {@link Lab.create} */
  readonly dropsMulticastVrrp: boolean;
  #processes = new Set<{ pid: number; handle: LabProcess; done: boolean }>();
  #destroyed = false;
  #namespaces: string[] = [];

  private constructor(
    routers: string[],
    client: boolean,
    subnet: LabSubnet,
    ipv6: boolean,
    dropsMulticastVrrp: boolean,
  ) {
    this.dropsMulticastVrrp = dropsMulticastVrrp;
    this.prefix = `vt${randomHex(3)}-`;
    this.ipv6 = ipv6;
    this.routers = routers;
    this.hasClient = client;
    this.subnet = subnet;
  }

  /**
   * Builds the LAN. Router names are short lowercase words ("a", "b", "r1"), at most 12
   * characters, never "sw" or "c". On failure everything built so far is removed.
   * `dropMulticastVrrp`: the switch drops VRRP sent to a multicast group (IPv4 224.0.0.0/4,
   * IPv6 ff00::/8) as clouds do; unicast VRRP still passes.
   */
  static async create(
    opts: {
      routers: string[];
      client?: boolean;
      subnet?: Partial<LabSubnet>;
      ipv6?: boolean;
      dropMulticastVrrp?: boolean;
    },
  ): Promise<Lab> {
    const subnet = { ...DEFAULT_SUBNET, ...opts.subnet };
    for (const r of opts.routers) {
      if (!/^[a-z][a-z0-9]{0,11}$/.test(r) || r === "sw" || r === CLIENT) {
        throw new Error(`bad router name ${JSON.stringify(r)}`);
      }
    }
    if (new Set(opts.routers).size !== opts.routers.length) {
      throw new Error("duplicate router name");
    }
    const lab = new Lab(
      [...opts.routers],
      opts.client ?? true,
      subnet,
      opts.ipv6 ?? false,
      opts.dropMulticastVrrp ?? false,
    );
    installUnloadHandler();
    try {
      await lab.#build();
    } catch (err) {
      await lab.destroy();
      throw err;
    }
    return lab;
  }

  /** All nodes (routers, then the client if any). */
  get nodes(): string[] {
    return this.hasClient ? [...this.routers, CLIENT] : [...this.routers];
  }

  /** The namespace of `node` ("sw" is the switch). */
  ns(node: string): string {
    if (node !== "sw" && !this.nodes.includes(node)) throw new Error(`no node ${node} in this lab`);
    return `${this.prefix}${node}`;
  }

  /** The IPv4 address of `node`'s eth0 (no prefix length). */
  ip(node: string): string {
    const host = node === CLIENT
      ? this.subnet.clientHost
      : this.routers.indexOf(node) >= 0
      ? this.subnet.firstRouterHost + this.routers.indexOf(node)
      : -1;
    if (host < 0 || (node === CLIENT && !this.hasClient)) {
      throw new Error(`no node ${node} in this lab`);
    }
    return `${this.subnet.base}.${host}`;
  }

  /** The bridge port (in the switch namespace) that leads to `node`. */
  port(node: string): string {
    this.ns(node);
    return `p-${node}`;
  }

  async #addNs(name: string): Promise<void> {
    await must([IP, "netns", "add", name]);
    this.#namespaces.push(name);
    liveNamespaces.add(name);
    await must([IP, "-n", name, "link", "set", "lo", "up"]);
  }

  async #build(): Promise<void> {
    const sw = this.ns("sw");
    await this.#addNs(sw);
    await must([IP, "-n", sw, "link", "add", "br0", "type", "bridge"]);
    if (this.ipv6) {
      // ff02::12 reaches every port whether or not anyone sent MLD reports
      await must([IP, "-n", sw, "link", "set", "br0", "type", "bridge", "mcast_snooping", "0"]);
    }
    await must([IP, "-n", sw, "link", "set", "br0", "up"]);
    // cut()/heal(): frames from or to a port in @cut are dropped by the bridge, links stay up
    await must([IP, "netns", "exec", sw, NFT, "-f", "-"], {
      stdin: [
        "table bridge lab {",
        "  set cut { type ifname; }",
        "  chain forward {",
        "    type filter hook forward priority 0; policy accept;",
        "    iifname @cut drop",
        "    oifname @cut drop",
        ...(this.dropsMulticastVrrp
          ? [
            "    ip protocol 112 ip daddr 224.0.0.0/4 counter drop",
            "    ip6 nexthdr 112 ip6 daddr ff00::/8 counter drop",
          ]
          : []),
        "  }",
        "}",
        "",
      ].join("\n"),
    });
    for (const node of this.nodes) {
      const ns = this.ns(node);
      await this.#addNs(ns);
      const port = this.port(node);
      await must([
        IP,
        "-n",
        sw,
        "link",
        "add",
        port,
        "type",
        "veth",
        "peer",
        "name",
        "eth0",
        "netns",
        ns,
      ]);
      if (this.ipv6) {
        // link-local addresses usable at once (no 1-2 s of duplicate address detection)
        for (const key of ["all", "default", "eth0"]) {
          await must([
            IP,
            "netns",
            "exec",
            ns,
            "sysctl",
            "-qw",
            `net.ipv6.conf.${key}.accept_dad=0`,
          ]);
        }
      }
      await must([IP, "-n", sw, "link", "set", port, "master", "br0"]);
      await must([IP, "-n", sw, "link", "set", port, "up"]);
      await must([
        IP,
        "-n",
        ns,
        "addr",
        "add",
        `${this.ip(node)}/${this.subnet.prefixLen}`,
        "dev",
        "eth0",
      ]);
      await must([IP, "-n", ns, "link", "set", "eth0", "up"]);
    }
  }

  /** Runs `argv` inside `node` (`ip netns exec`) and returns its exit code and output. */
  exec(node: string, argv: string[], opts?: RunOptions): Promise<ExecResult> {
    return run([IP, "netns", "exec", this.ns(node), ...argv], opts);
  }

  /** Like exec() but throws with stderr on a non-zero exit; returns stdout. */
  must(node: string, argv: string[], opts?: RunOptions): Promise<string> {
    return must([IP, "netns", "exec", this.ns(node), ...argv], opts);
  }

  /**
   * Starts `argv` inside `node` (the pid is the program's own: `ip netns exec` execs it).
   * Output is collected in memory; destroy() kills it if still running.
   */
  spawn(
    node: string,
    argv: string[],
    opts: Omit<RunOptions, "timeoutMs" | "stdin"> = {},
  ): LabProcess {
    if (this.#destroyed) throw new Error("lab destroyed");
    const child = new Deno.Command(IP, {
      args: ["netns", "exec", this.ns(node), ...argv],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: opts.env,
      cwd: opts.cwd,
    }).spawn();
    livePids.add(child.pid);
    let out = "";
    let err = "";
    const listeners = new Set<() => void>();
    const pump = async (stream: ReadableStream<Uint8Array>, append: (s: string) => void) => {
      const d = new TextDecoder();
      for await (const chunk of stream) {
        append(d.decode(chunk, { stream: true }));
        for (const l of listeners) l();
      }
    };
    const pumps = Promise.all([
      pump(child.stdout, (s) => (out += s)),
      pump(child.stderr, (s) => (err += s)),
    ]);
    const entry = { pid: child.pid, handle: undefined as unknown as LabProcess, done: false };
    const status = child.status.then(async (s) => {
      entry.done = true;
      livePids.delete(child.pid);
      // a child of the process may hold the pipes open: wait for the output only briefly
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        pumps.catch(() => {}),
        new Promise((r) => (timer = setTimeout(r, 500))),
      ]);
      clearTimeout(timer);
      for (const l of listeners) l();
      return s;
    });
    const kill = (signal: Deno.Signal = "SIGTERM") => {
      if (entry.done) return;
      try {
        child.kill(signal);
      } catch {
        // exited meanwhile
      }
    };
    const handle: LabProcess = {
      pid: child.pid,
      status,
      stdout: () => out,
      stderr: () => err,
      kill,
      waitFor: (pattern, timeoutMs = 10_000) =>
        new Promise<string>((resolve, reject) => {
          const check = () => {
            const text = out + err;
            if (pattern.test(text)) {
              done();
              resolve(text);
            } else if (entry.done) {
              done();
              reject(new Error(`process ${child.pid} exited before ${pattern}:\n${text}`));
            }
          };
          const timer = setTimeout(() => {
            done();
            reject(
              new Error(`timeout waiting for ${pattern} from ${argv.join(" ")}:\n${out + err}`),
            );
          }, timeoutMs);
          const done = () => {
            clearTimeout(timer);
            listeners.delete(check);
          };
          listeners.add(check);
          check();
        }),
      stop: async (graceMs = 2000) => {
        kill("SIGTERM");
        const timer = setTimeout(() => kill("SIGKILL"), graceMs);
        try {
          return await status;
        } finally {
          clearTimeout(timer);
        }
      },
    };
    entry.handle = handle;
    this.#processes.add(entry);
    return handle;
  }

  /**
   * Takes `node`'s link down. `side: "switch"` (default) sets the bridge port down, so the
   * router's eth0 stays administratively UP but loses carrier (not RUNNING) — a pulled cable.
   * `side: "router"` sets the router's own eth0 down (not UP).
   */
  async linkDown(node: string, side: "switch" | "router" = "switch"): Promise<void> {
    if (side === "switch") {
      await must([IP, "-n", this.ns("sw"), "link", "set", this.port(node), "down"]);
    } else await must([IP, "-n", this.ns(node), "link", "set", "eth0", "down"]);
  }

  /** Undoes linkDown() on the same side. */
  async linkUp(node: string, side: "switch" | "router" = "switch"): Promise<void> {
    if (side === "switch") {
      await must([IP, "-n", this.ns("sw"), "link", "set", this.port(node), "up"]);
    } else await must([IP, "-n", this.ns(node), "link", "set", "eth0", "up"]);
  }

  /** Isolates `node` from the LAN (the bridge drops its frames both ways); every link stays up. */
  async cut(node: string): Promise<void> {
    await this.must("sw", [
      NFT,
      "add",
      "element",
      "bridge",
      "lab",
      "cut",
      `{ ${this.port(node)} }`,
    ]);
  }

  /** Undoes cut(). Idempotent. */
  async heal(node: string): Promise<void> {
    const r = await this.exec("sw", [
      NFT,
      "delete",
      "element",
      "bridge",
      "lab",
      "cut",
      `{ ${this.port(node)} }`,
    ]);
    if (r.code !== 0 && !/No such file|does not exist/i.test(r.stderr)) {
      throw new Error(`heal(${node}) failed: ${r.stderr.trim()}`);
    }
  }

  /** The IPv4 addresses (without prefix length) on `dev` in `node`, in kernel order. */
  async addresses(node: string, dev = "eth0"): Promise<string[]> {
    return (await this.addressInfo(node, dev)).map((a) => a.local);
  }

  /** The IPv4 address entries of `ip -j addr show dev <dev>` in `node`. */
  async addressInfo(
    node: string,
    dev = "eth0",
  ): Promise<
    { local: string; prefixlen: number; label?: string; broadcast?: string; scope: string }[]
  > {
    const out = await must([IP, "-n", this.ns(node), "-j", "-4", "addr", "show", "dev", dev]);
    const links = JSON.parse(out) as {
      addr_info?: { local: string; prefixlen: number; scope: string }[];
    }[];
    return links.flatMap((l) => l.addr_info ?? []);
  }

  /** The IPv6 addresses (canonical, without prefix length) on `dev` in `node`. */
  async addresses6(node: string, dev = "eth0"): Promise<string[]> {
    const out = await must([IP, "-n", this.ns(node), "-j", "-6", "addr", "show", "dev", dev]);
    const links = JSON.parse(out) as { addr_info?: { local: string }[] }[];
    return links.flatMap((l) => l.addr_info ?? []).map((a) => a.local);
  }

  /** The IPv6 link-local address of `dev` in `node`. */
  async linkLocal(node: string, dev = "eth0"): Promise<string> {
    const ll = (await this.addresses6(node, dev)).find((a) => a.startsWith("fe80:"));
    if (ll === undefined) throw new Error(`${node} has no link-local address on ${dev}`);
    return ll;
  }

  /** The MAC of `dev` in `node`, lowercase `aa:bb:...`. */
  async mac(node: string, dev = "eth0"): Promise<string> {
    const out = await must([IP, "-n", this.ns(node), "-j", "link", "show", "dev", dev]);
    return (JSON.parse(out) as { address: string }[])[0].address.toLowerCase();
  }

  /**
   * The MAC that answers an ARP request for `ip` sent from `fromNode`'s eth0 (arping -c1), or
   * null when nobody answers within a second.
   */
  async arpProbe(fromNode: string, ip: string): Promise<string | null> {
    const r = await this.exec(fromNode, [ARPING, "-c", "1", "-w", "1", "-i", "eth0", ip], {
      timeoutMs: 5000,
    });
    const m = r.stdout.match(/from ([0-9a-f]{2}(?::[0-9a-f]{2}){5})/i);
    return m ? m[1].toLowerCase() : null;
  }

  /** True when `ip` answers one ping from `fromNode` within a second. */
  async ping(fromNode: string, ip: string): Promise<boolean> {
    const r = await this.exec(fromNode, ["ping", "-c", "1", "-W", "1", "-n", "-q", ip], {
      timeoutMs: 5000,
    });
    return r.code === 0;
  }

  /** argv prefix that runs this repository's main.ts with the current Deno. */
  denoCmd(): string[] {
    return [Deno.execPath(), "run", "-A", `${REPO_ROOT}/main.ts`];
  }

  /** Kills every process the lab spawned (SIGTERM, SIGKILL after `graceMs`), deletes the namespaces. Idempotent. */
  async destroy(graceMs = 1000): Promise<void> {
    if (this.#destroyed) return;
    this.#destroyed = true;
    const running = [...this.#processes].filter((p) => !p.done);
    await Promise.all(running.map((p) => p.handle.stop(graceMs).catch(() => {})));
    // anything else still inside our namespaces was started by this lab (e.g. an exec that hung)
    for (const ns of this.#namespaces) {
      const r = await run([IP, "netns", "pids", ns]).catch(() => null);
      for (const pid of (r?.stdout ?? "").split(/\s+/).filter(Boolean).map(Number)) {
        try {
          Deno.kill(pid, "SIGKILL");
        } catch {
          // gone
        }
      }
    }
    const errors: string[] = [];
    for (const ns of [...this.#namespaces].reverse()) {
      const r = await run([IP, "netns", "del", ns]);
      if (r.code !== 0 && !/No such file/.test(r.stderr)) errors.push(`${ns}: ${r.stderr.trim()}`);
      liveNamespaces.delete(ns);
    }
    this.#namespaces = [];
    if (errors.length) throw new Error(`lab destroy: ${errors.join("; ")}`);
  }

  /** `await using lab = await Lab.create(...)` destroys the lab at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.destroy();
  }
}

/** The namespaces on this host whose name starts with `prefix` (for leak checks). */
export async function namespacesWithPrefix(prefix: string): Promise<string[]> {
  const out = await must([IP, "netns", "list"]);
  return out.split("\n").map((l) => l.split(" ")[0]).filter((n) => n.startsWith(prefix));
}
