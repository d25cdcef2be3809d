import assert from "node:assert/strict";
import {
  addLine,
  batchErrors,
  delLine,
  isAlreadyAbsent,
  parseAddrShow,
  vipMatches,
} from "../../lib/vip/ip_batch.ts";

Deno.test("addLine() honours dev, brd, scope and label; defaults to the instance interface", () => {
  assert.equal(
    addLine({ address: "10.101.0.10", prefixLen: 32 }, "eth0"),
    "addr replace 10.101.0.10/32 dev eth0",
  );
  assert.equal(
    addLine(
      {
        address: "10.1.2.3",
        prefixLen: 24,
        dev: "eth1",
        brd: "10.1.2.255",
        scope: "link",
        label: "eth1:vip",
      },
      "eth0",
    ),
    "addr replace 10.1.2.3/24 dev eth1 brd 10.1.2.255 scope link label eth1:vip",
  );
  assert.equal(
    delLine({ address: "10.1.2.3", prefixLen: 24, label: "x" }, "eth0"),
    "addr del 10.1.2.3/24 dev eth0",
  );
});

Deno.test("batchErrors() maps each `Command failed -:N` to the lines before it", () => {
  const stderr =
    'Cannot find device "nope0"\nCommand failed -:2\nError: ipv4: Address not found.\nCommand failed -:3\n';
  assert.deepEqual(
    [...batchErrors(stderr)],
    [[2, 'Cannot find device "nope0"'], [3, "Error: ipv4: Address not found."]],
  );
  assert.equal(batchErrors("").size, 0);
  assert.ok(isAlreadyAbsent("Error: ipv4: Address not found."));
  assert.ok(isAlreadyAbsent("RTNETLINK answers: Cannot assign requested address"));
  assert.ok(!isAlreadyAbsent('Cannot find device "nope0"'));
});

Deno.test("parseAddrShow() reads IPv4 and IPv6 entries and survives garbage", () => {
  const json = JSON.stringify([{
    ifname: "eth0",
    addr_info: [
      { family: "inet", local: "10.101.1.185", prefixlen: 22, scope: "global", label: "eth0" },
      { family: "inet6", local: "fe80::1", prefixlen: 64 },
      {
        family: "inet",
        local: "10.101.0.10",
        prefixlen: 32,
        broadcast: "10.101.0.10",
        scope: "global",
        label: "eth0:1",
      },
    ],
  }]);
  const addrs = parseAddrShow(json);
  assert.deepEqual(addrs.map((a) => a.local), ["10.101.1.185", "fe80::1", "10.101.0.10"]);
  // IPv6 compares by value: the config may spell it differently from ip
  assert.ok(vipMatches({ address: "FE80:0::1", prefixLen: 64 }, addrs));
  assert.deepEqual(parseAddrShow("not json"), []);
  assert.deepEqual(parseAddrShow("{}"), []);
  assert.deepEqual(parseAddrShow("[{}]"), []);
  assert.ok(vipMatches({ address: "10.101.0.10", prefixLen: 32 }, addrs));
  assert.ok(!vipMatches({ address: "10.101.0.10", prefixLen: 24 }, addrs));
  assert.ok(vipMatches({ address: "10.101.0.10", prefixLen: 32, label: "eth0:1" }, addrs, true));
  assert.ok(!vipMatches({ address: "10.101.0.10", prefixLen: 32, label: "eth0:2" }, addrs, true));
  assert.ok(vipMatches({ address: "10.101.0.10", prefixLen: 32, label: "eth0:2" }, addrs, false));
  assert.ok(vipMatches({ address: "10.101.0.10", prefixLen: 32, brd: "+" }, addrs, true));
});

Deno.test("addLine() adds IPv6 VIPs without duplicate address detection, as keepalived does", () => {
  assert.equal(
    addLine({ address: "fd00:101::151", prefixLen: 64 }, "eth0"),
    "addr replace fd00:101::151/64 dev eth0 nodad",
  );
  assert.equal(
    addLine({ address: "10.0.0.1", prefixLen: 24 }, "eth0"),
    "addr replace 10.0.0.1/24 dev eth0",
  );
});
