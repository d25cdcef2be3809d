/** `vrrp decode` on keepalived 2.2.7's VRRPv3 capture: both families and the NAs, as tshark. */
import assert from "node:assert/strict";
import { captured } from "../_support/console.ts";
import { runDecode } from "../../lib/cli/decode.ts";

const DIR = new URL("../fixtures/packets/", import.meta.url);
const PCAP_PATH = new URL("keepalived-2.2.7-vrrpv3.pcap", DIR).pathname;
const TSHARK = new URL("keepalived-2.2.7-vrrpv3.txt", DIR);

/** The VRRP and NA frames of tshark's verbose text, with the fields compared. */
function tsharkFrames(): { frame: number; fields: Record<string, unknown> }[] {
  const out: { frame: number; fields: Record<string, unknown> }[] = [];
  for (const b of Deno.readTextFileSync(TSHARK).split(/\n(?=Frame \d+:)/)) {
    const frame = Number(b.match(/^Frame (\d+):/)![1]);
    const get = (re: RegExp) => b.match(re)?.[1];
    const v6 = b.includes("Internet Protocol Version 6");
    const src = get(/Internet Protocol Version \d, Src: (\S+),/);
    const dst = get(/Internet Protocol Version \d, Src: \S+, Dst: (\S+)/);
    if (b.includes("\nVirtual Router Redundancy Protocol")) {
      out.push({
        frame,
        fields: {
          kind: "vrrp",
          family: v6 ? "ipv6" : "ipv4",
          source: src,
          destination: dst,
          ttl: Number(get(v6 ? /Hop Limit: (\d+)/ : /Time to Live: (\d+)/)),
          version: 3,
          vrid: Number(get(/Virtual Rtr ID: (\d+)/)),
          priority: Number(get(/Priority: (\d+)/)),
          count: Number(get(/Addr Count: (\d+)/)),
          advertIntervalCs: Number(get(/Adver Int: (\d+)/)),
          checksum: parseInt(get(/\n\s+Checksum: (0x[0-9a-f]+) \[correct\]/)!, 16),
          addresses: [...b.matchAll(/\n\s+IPv?6? ?Address: ([0-9a-f.:]+)\n/g)].map((m) => m[1]),
          valid: true,
        },
      });
    } else if (b.includes("Type: Neighbor Advertisement (136)")) {
      out.push({
        frame,
        fields: {
          kind: "na",
          source: src,
          destination: dst,
          hopLimit: Number(get(/Hop Limit: (\d+)/)),
          target: get(/Target Address: (\S+)/),
          override: b.includes(", Override"),
          solicited: /Solicited: Set/.test(b),
          targetMac: get(/Link-layer address: (\S+)/),
          checksumOk: /Checksum: 0x[0-9a-f]+ \[correct\]/.test(b),
          unsolicited: true,
        },
      });
    }
  }
  return out;
}

Deno.test("vrrp decode --json agrees with tshark on every VRRPv3 (IPv4, IPv6) and NA frame", async () => {
  const { code, out, err } = await captured(() => runDecode(PCAP_PATH, { json: true }));
  assert.equal(code, 0);
  const ours = out.map((l) => JSON.parse(l)).filter((o) => o.kind !== "arp");
  const theirs = tsharkFrames();
  assert.ok(theirs.some((t) => t.fields.kind === "na"));
  assert.ok(theirs.some((t) => t.fields.family === "ipv6"));
  assert.deepEqual(ours.map((o) => o.frame), theirs.map((t) => t.frame));
  theirs.forEach((t, i) => {
    for (const [k, v] of Object.entries(t.fields)) {
      assert.deepEqual(ours[i][k], v, `frame ${t.frame} ${k}`);
    }
  });
  assert.match(
    err.join("\n"),
    /\d+ VRRP \(0 invalid\), 5 ARP \(5 gratuitous\), 5 NA \(5 unsolicited\)/,
  );
});

Deno.test("vrrp decode shows a neighbour advertisement the way it shows a gratuitous ARP", async () => {
  const { code, out } = await captured(() => runDecode(PCAP_PATH, {}));
  assert.equal(code, 0);
  assert.ok(out.includes(
    "#7 2026-12-03T08:48:02.603850Z VRRP fe80::aff:fe65:1b9 > ff02::12 hlim 255 vrid 52 " +
      "prio 100 addrs fd00:101::151 v3 int 0.1s csum 0x6231 valid",
  ));
  assert.ok(out.includes(
    "#8 2026-12-03T08:48:02.603961Z NA fd00:101::151 is-at 02:00:0a:65:01:b9 from " +
      "fd00:101::151 to ff02::1 flags O hlim 255 unsolicited",
  ));
});
