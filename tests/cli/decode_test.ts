import { captured } from "../_support/console.ts";
import { ipv4Packet, tutorialAdvert } from "../_support/adverts.ts";
import assert from "node:assert/strict";
import { decodeCapture, runDecode, summaryLine } from "../../lib/cli/decode.ts";
import { writePcap } from "../../lib/pcap/writer.ts";
import { LinkType } from "../../lib/pcap/format.ts";

const DIR = new URL("../fixtures/packets/", import.meta.url);
const PCAP_PATH = new URL("keepalived-2.2.7-vrrpv2.pcap", DIR).pathname;
const TSHARK = new URL("keepalived-2.2.7-vrrpv2.txt", DIR);
const ADVERT_HEX =
  "45c0002c00010000ff70ce700a6501b9e0000012210164020101e2f60a6500650a650066312d696e7465726e";

interface TsharkFrame {
  frame: number;
  kind: "vrrp" | "arp";
  fields: Record<string, unknown>;
}

/** The VRRP and ARP frames of tshark's verbose text, with the fields we compare. */
function tsharkFrames(): TsharkFrame[] {
  const blocks = Deno.readTextFileSync(TSHARK).split(/\n(?=Frame \d+:)/);
  const out: TsharkFrame[] = [];
  for (const b of blocks) {
    const frame = Number(b.match(/^Frame (\d+):/)![1]);
    const get = (re: RegExp) => b.match(re)?.[1];
    if (b.includes("\nVirtual Router Redundancy Protocol")) {
      out.push({
        frame,
        kind: "vrrp",
        fields: {
          source: get(/Internet Protocol Version 4, Src: ([\d.]+)/),
          vrid: Number(get(/Virtual Rtr ID: (\d+)/)),
          priority: Number(get(/Priority: (\d+)/)),
          count: Number(get(/Addr Count: (\d+)/)),
          authType: Number(get(/Auth Type: .*\((\d+)\)/)),
          // a v2 capture: Adver Int in seconds
          advertIntervalCs: Number(get(/Adver Int: (\d+)/)) * 100,
          checksum: parseInt(get(/Checksum: (0x[0-9a-f]+)/)!, 16),
          addresses: [...b.matchAll(/IP Address: ([\d.]+)/g)].map((m) => m[1]),
          password: get(/Authentication String: (.*)/),
          valid: b.includes("[correct]"),
        },
      });
    } else if (b.includes("\nAddress Resolution Protocol")) {
      out.push({
        frame,
        kind: "arp",
        fields: {
          op: get(/Opcode: (\w+)/),
          senderMac: get(/Sender MAC address: .*\(([0-9a-f:]+)\)/),
          senderIp: get(/Sender IP address: ([\d.]+)/),
          targetIp: get(/Target IP address: ([\d.]+)/),
          gratuitous: b.includes("[Is gratuitous: True]"),
        },
      });
    }
  }
  return out;
}

Deno.test("vrrp decode --json agrees with tshark on every VRRP and ARP frame of the capture", async () => {
  const { code, out, err } = await captured(() => runDecode(PCAP_PATH, { json: true }));
  assert.equal(code, 0);
  const ours = out.map((l) => JSON.parse(l));
  const theirs = tsharkFrames();
  assert.equal(ours.filter((o) => o.kind === "vrrp").length, 34);
  assert.equal(theirs.filter((t) => t.kind === "vrrp").length, 34);
  assert.equal(ours.filter((o) => o.kind === "arp").length, 78);
  assert.equal(theirs.filter((t) => t.kind === "arp").length, 78);
  assert.deepEqual(ours.map((o) => o.frame), theirs.map((t) => t.frame));
  theirs.forEach((t, i) => {
    const o = ours[i];
    assert.equal(o.kind, t.kind, `frame ${t.frame}`);
    for (const [k, v] of Object.entries(t.fields)) {
      assert.deepEqual(o[k], v, `frame ${t.frame} ${k}`);
    }
  });
  assert.deepEqual(err, [
    `vrrp decode: ${PCAP_PATH}: 239 frames: 34 VRRP (0 invalid), 78 ARP (70 gratuitous), 127 other skipped`,
  ]);
});

Deno.test("vrrp decode prints one readable line per VRRP and ARP packet", async () => {
  const { code, out } = await captured(() => runDecode(PCAP_PATH, {}));
  assert.equal(code, 0);
  assert.equal(out.length, 34 + 78);
  assert.equal(
    out[0],
    "#5 2026-11-26T03:10:07.444697Z VRRP 10.101.1.186 > 224.0.0.18 ttl 255 vrid 2 prio 100 " +
      'addrs 10.101.0.107,10.101.0.108 auth pass "2-intern" int 1s csum 0xe1e9 valid',
  );
  assert.equal(
    out[1],
    "#6 2026-11-26T03:10:07.444855Z ARP request who-has 10.101.0.107 tell 10.101.0.107 " +
      "(02:00:0a:65:01:ba) gratuitous",
  );
  assert.ok(out.includes(
    "#39 2026-11-26T03:10:07.498772Z ARP reply 10.101.0.101 is-at 02:00:0a:65:01:b9 " +
      "to 10.101.1.200 (02:00:0a:65:01:c8)",
  ));
  assert.ok(out.some((l) => l.startsWith("#118 ") && l.includes("vrid 1 prio 0 ")));
});

Deno.test("vrrp decode --hex decodes an IPv4 packet and a bare message", async () => {
  let r = await captured(() => runDecode(undefined, { hex: ADVERT_HEX }));
  assert.equal(r.code, 0);
  assert.deepEqual(r.out, [
    "- VRRP 10.101.1.185 > 224.0.0.18 ttl 255 vrid 1 prio 100 addrs 10.101.0.101,10.101.0.102 " +
    'auth pass "1-intern" int 1s csum 0xe2f6 valid',
  ]);
  r = await captured(() => runDecode(undefined, { hex: ADVERT_HEX.slice(40), json: true }));
  assert.equal(r.code, 0);
  const o = JSON.parse(r.out[0]);
  assert.equal(o.vrid, 1);
  assert.equal(o.source, undefined);
  assert.equal(o.valid, true);
});

Deno.test("RFC 3768 §7.1: vrrp decode --hex shows why a packet is invalid, with its fields", async () => {
  // TTL 64 and IP checksum fixed up by hand: 0xff -> 0x40 adds 0xbf00 to the checksum (end-around carry)
  const ttl64 = ADVERT_HEX.slice(0, 16) + "40" + ADVERT_HEX.slice(18, 20) + "8d71" +
    ADVERT_HEX.slice(24);
  let r = await captured(() => runDecode(undefined, { hex: ttl64 }));
  assert.equal(r.code, 0);
  assert.match(r.out[0], /ttl 64 vrid 1 prio 100 .* invalid: badTtl: IP TTL 64, expected 255$/);
  const badSum = ADVERT_HEX.slice(0, 52) + "0000" + ADVERT_HEX.slice(56);
  r = await captured(() => runDecode(undefined, { hex: badSum }));
  assert.match(r.out[0], /csum 0x0000 invalid: badChecksum: checksum 0x0000, computed 0xe2f6$/);
});

Deno.test("vrrp decode: usage errors exit 2", async () => {
  let r = await captured(() => runDecode(undefined, {}));
  assert.equal(r.code, 2);
  assert.match(r.err[0], /give a capture FILE/);
  r = await captured(() => runDecode(undefined, { hex: "45c0zz" }));
  assert.equal(r.code, 2);
  assert.match(r.err[0], /is not hex/);
  r = await captured(() => runDecode(undefined, { hex: "4" }));
  assert.equal(r.code, 2);
  r = await captured(() => runDecode(PCAP_PATH, { hex: ADVERT_HEX }));
  assert.equal(r.code, 2);
});

Deno.test("vrrp decode: a corrupt capture prints what came before, the offset, and exits 1", async () => {
  const bytes = Deno.readFileSync(PCAP_PATH).subarray(0, 2000);
  const path = await Deno.makeTempFile({ suffix: ".pcap" });
  try {
    await Deno.writeFile(path, bytes);
    const r = await captured(() => runDecode(path, {}));
    assert.equal(r.code, 1);
    assert.ok(r.out.length > 5);
    assert.ok(r.out[0].startsWith("#5 "));
    assert.match(r.err.at(-1)!, /corrupt capture at byte offset \d+: record \d+: data cut short/);
    const missing = await captured(() => runDecode(`${path}.nope`, {}));
    assert.equal(missing.code, 1);
    assert.match(missing.err[0], /cannot read/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("vrrp decode - reads the capture from stdin", async () => {
  const mod = new URL("../../lib/cli/decode.ts", import.meta.url).href;
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      `import { runDecode } from ${JSON.stringify(mod)}; Deno.exit(await runDecode("-", {}));`,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(Deno.readFileSync(PCAP_PATH));
  await w.close();
  const { code, stdout, stderr } = await child.output();
  assert.equal(code, 0, new TextDecoder().decode(stderr));
  assert.equal(new TextDecoder().decode(stdout).trim().split("\n").length, 112);
  assert.match(new TextDecoder().decode(stderr), /vrrp decode: stdin: 239 frames/);
});

Deno.test("decodeCapture() handles raw-IP captures and counts skipped frames", () => {
  const advert = Uint8Array.from(ADVERT_HEX.match(/../g)!, (h) => parseInt(h, 16));
  const udp = advert.slice();
  udp[9] = 17;
  const c = decodeCapture(writePcap([
    { tsSec: 1, tsNsec: 0, data: advert },
    { tsSec: 2, tsNsec: 0, data: udp },
  ], { linkType: LinkType.raw, nanosecond: true }));
  assert.equal(c.error, null);
  assert.equal(c.events.length, 1);
  assert.equal(c.events[0].frame, 1);
  assert.equal(
    summaryLine(c),
    "2 frames: 1 VRRP (0 invalid), 0 ARP (0 gratuitous), 1 other skipped",
  );
});

Deno.test("vrrp decode --hex shows a unicast advert (keepalived's unicast_peer) with its destination, valid at any TTL", async () => {
  const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const packet = ipv4Packet(tutorialAdvert(), {
    source: "10.101.1.185",
    destination: "10.101.1.186",
    ttl: 64,
  });
  const r = await captured(() => runDecode(undefined, { hex: hex(packet) }));
  assert.equal(r.code, 0);
  assert.match(
    r.out[0],
    /^- VRRP 10\.101\.1\.185 > 10\.101\.1\.186 ttl 64 vrid 1 prio 100 .* valid$/,
  );
});
