/**
 * keepalived's parameters, multi-line definitions, conditional lines and ~SEQ: one config file
 * read by keepalived 2.2.7 itself (its --dump-conf, inside a throwaway namespace) and by our
 * parser, for two config ids; both must find the same instances, priorities, intervals,
 * passwords and addresses.
 */
import assert from "node:assert/strict";
import { testWith } from "../_support/env.ts";
import { loadConfig } from "../../config/load.ts";
import { Lab } from "./lab.ts";
import { KEEPALIVED } from "./keepalived.ts";

const CONFIG = new URL("../fixtures/config/parameters.conf", import.meta.url).pathname;

/** What both readings are compared on. */
interface Seen {
  name: string;
  vrid: number;
  priority: number;
  advertSec: number;
  password: string | null;
  vips: string[];
}

/** The instances of keepalived's "VRRP Topology" dump. */
function fromDump(log: string): Seen[] {
  const lines = log.split("\n").map((l) => l.replace(/^.*?\d{4}: /, ""));
  const start = lines.findIndex((l) => l.includes("< VRRP Topology >"));
  const end = lines.findIndex((l, i) => i > start && l.includes("< Interfaces >"));
  assert.ok(start >= 0 && end > start, "keepalived dumped its VRRP topology");
  const out: Seen[] = [];
  let inVips = false;
  for (const l of lines.slice(start + 1, end)) {
    const field = (re: RegExp) => re.exec(l)?.[1];
    const name = field(/^ VRRP Instance = (\S+)/);
    if (name) {
      out.push({ name, vrid: 0, priority: 0, advertSec: 0, password: null, vips: [] });
      inVips = false;
      continue;
    }
    const cur = out[out.length - 1];
    if (!cur) continue;
    const vrid = field(/^\s+Virtual Router ID = (\d+)/);
    if (vrid) cur.vrid = Number(vrid);
    const prio = field(/^\s+Priority = (\d+)/);
    if (prio) cur.priority = Number(prio);
    const adv = field(/^\s+Advert interval = (\d+) sec/);
    if (adv) cur.advertSec = Number(adv);
    const pw = field(/^\s+Password = (.*)$/);
    if (pw !== undefined) cur.password = pw;
    if (/^\s+Virtual IP \(\d+\):/.test(l)) {
      inVips = true;
      continue;
    }
    const vip = inVips ? /^\s+(\d+\.\d+\.\d+\.\d+)(?:\/(\d+))? dev /.exec(l) : null;
    if (vip) cur.vips.push(`${vip[1]}/${vip[2] ?? 32}`);
    else inVips = false;
  }
  return out;
}

async function keepalivedReading(lab: Lab, tmp: string, configId: string): Promise<Seen[]> {
  const p = lab.spawn("a", [
    KEEPALIVED,
    "--dont-fork",
    "--log-console",
    "--no-syslog",
    "--dump-conf",
    "--vrrp",
    "--dont-respawn",
    "--config-id",
    configId,
    "--use-file",
    CONFIG,
    "--pid",
    `${tmp}/${configId}.pid`,
    "--vrrp_pid",
    `${tmp}/${configId}-vrrp.pid`,
  ]);
  try {
    const log = await p.waitFor(/< Interfaces >/, 15_000);
    assert.doesNotMatch(log, /\(.*: Line \d+\)/, "keepalived has no complaint about the file");
    return fromDump(log);
  } finally {
    await p.stop(3000);
  }
}

async function ourReading(configId: string): Promise<Seen[]> {
  const r = await loadConfig(CONFIG, { configId });
  assert.deepEqual(r.diagnostics, []);
  return r.config.instances.map((i) => ({
    name: i.name,
    vrid: i.vrid,
    priority: i.priority,
    advertSec: i.advertIntervalSec,
    password: i.auth.type === "pass" ? i.auth.password : null,
    vips: i.vips.map((v) => `${v.address}/${v.prefixLen}`),
  }));
}

testWith(
  "parameters, multi-line definitions and ~SEQ read the same as keepalived 2.2.7 reads them",
  { root: true, commands: ["ip", "keepalived"] },
  async () => {
    await using lab = await Lab.create({ routers: ["a"], client: false });
    const tmp = await Deno.makeTempDir({ prefix: "vrrp-params-" });
    try {
      for (const id of ["main", "other"]) {
        const theirs = await keepalivedReading(lab, tmp, id);
        assert.equal(theirs.length, 3, `keepalived found 3 instances for ${id}`);
        assert.deepEqual(await ourReading(id), theirs, `config id ${id}`);
      }
    } finally {
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
);
