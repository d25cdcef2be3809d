/**
 * keepalived.conf(5) parameters: definitions (one line or several), substitution, the
 * pre-defined names, conditional lines made by substitution, and ~SEQ; bad uses are diagnosed
 * at their line and never hang or throw.
 */
import assert from "node:assert/strict";
import { lex, type LexHost } from "../../config/lexer.ts";
import { Diagnostics } from "../../config/diagnostics.ts";
import { parseSequence } from "../../config/params.ts";
import { parseConfigText } from "../../config/load.ts";

/** Lexes `text` as /etc/k/main.conf: each logical line as "LINE: tokens", and the diagnostics. */
function lines(text: string, files: Record<string, string> = {}, configId = "main") {
  const host: LexHost = {
    readFile: (p) => files[p] ?? null,
    listDir: () => null,
    configId,
    random: (min, max) => max === min ? min : min + 1,
  };
  const diags = new Diagnostics();
  const out = lex(text, "/etc/k/main.conf", host, diags).map((toks) =>
    `${toks[0].pos.file === "/etc/k/main.conf" ? "" : toks[0].pos.file + ":"}${toks[0].pos.line}: ${
      toks.map((t) => t.text).join(" ")
    }`
  );
  return {
    out,
    diags: diags.list.map((d) => `${d.line}:${d.col} ${d.severity}: ${d.message}`),
  };
}

Deno.test("a multi-line definition expands where it is used, each line placed where it was written", () => {
  const r = lines(`$INST= \\
vrrp_instance VI_\${N} { \\
  virtual_router_id $N \\
  @main priority 130 \\
  @^main priority 120 \\
}
$N=1
$INST
$N=2
$INST`);
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.out, [
    "2: vrrp_instance VI_1 {",
    "3: virtual_router_id 1",
    "4: priority 130",
    "6: }",
    "2: vrrp_instance VI_2 {",
    "3: virtual_router_id 2",
    "4: priority 130",
    "6: }",
  ]);
  assert.ok(lines("$A= \\\n  x 1\n$A", {}, "other").out.includes("2: x 1"));
});

Deno.test("multi-line definitions nest, and definitions inside them take effect when expanded", () => {
  const r = lines(`$RS= \\
real \${VS_NUM}.\${RS_NUM} { \\
}
$VS= \\
vs \${VS_NUM} { \\
  $RS_NUM=1 \\
  $RS \\
  $RS_NUM=2 \\
  $RS \\
}
$VS_NUM=10
$VS`);
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.out.map((l) => l.replace(/^\d+: /, "")), [
    "vs 10 {",
    "real 10.1 {",
    "}",
    "real 10.2 {",
    "}",
    "}",
  ]);
});

Deno.test("substitution is recursive and at use time; $NAME needs a blank or the line's end after it", () => {
  const r = lines(`$BASE=10.2.\${SUB}
$SUB=0
a \${BASE}.100/32
$SUB=10
a \${BASE}.100/32
b $SUB
c $SUB.1 \${SUB}.1`);
  assert.deepEqual(r.out, [
    "3: a 10.2.0.100/32",
    "5: a 10.2.10.100/32",
    "6: b 10",
    "7: c $SUB.1 10.1",
  ]);
  assert.deepEqual(r.diags, []);
});

Deno.test("a substituted @ID prefix makes a conditional line; undefined names stay, with a warning", () => {
  const text = `$IF_MAIN=@main
$IF_MAIN priority 240
script "echo \${HOME}"`;
  assert.deepEqual(lines(text).out, ["2: priority 240", `3: script echo \${HOME}`]);
  assert.deepEqual(lines(text, {}, "other").out, [`3: script echo \${HOME}`]);
  assert.deepEqual(lines(text).diags, [`3:14 warning: unknown parameter "$HOME" left as is`]);
});

Deno.test("pre-defined parameters: _PWD per file, _INSTANCE, _HASH, _BANG, _RANDOM", () => {
  const r = lines(
    `a \${_PWD} \${_INSTANCE}
include conf.d/x.conf
c pw\${_HASH}1 x\${_BANG}y # a comment
d \${_RANDOM} \${_RANDOM 5 9} \${_RANDOM 7}`,
    { "/etc/k/conf.d/x.conf": "b ${_PWD}\n" },
  );
  assert.deepEqual(r.diags, []);
  assert.deepEqual(r.out, [
    "1: a /etc/k main",
    "/etc/k/conf.d/x.conf:1: b /etc/k/conf.d",
    "3: c pw#1 x!y",
    "4: d 1 6 8",
  ]);
});

Deno.test("~SEQ repeats the rest of its line; step and start may be left out; ~SEQx is hex", () => {
  assert.deepEqual(lines("~SEQ(S, 0, 2, 4) ip 10.0.${S}.1").out, [
    "1: ip 10.0.0.1",
    "1: ip 10.0.2.1",
    "1: ip 10.0.4.1",
  ]);
  const values = (text: string) => {
    const s = parseSequence(text);
    return s?.ok ? s.values : s;
  };
  assert.deepEqual(values("~SEQ(A, 3)"), ["1", "2", "3"]);
  assert.deepEqual(values("~SEQ(A, -2)"), ["-1", "-2"]);
  assert.deepEqual(values("~SEQ(A, 5, 3)"), ["5", "4", "3"]);
  assert.deepEqual(values("~SEQ(A, 10, -5, 0)"), ["10", "5", "0"]);
  assert.deepEqual(values("~SEQx(A, 9, 12)"), ["9", "a", "b", "c"]);
  assert.deepEqual(values("~SEQ(A, 1, 1, 0)"), []);
  assert.equal(values("plain line"), null);
  // nested: every combination, the inner variable changing fastest
  assert.deepEqual(lines("~SEQ(A, 2) ~SEQ(B, 2) x ${A}${B}").out.map((l) => l.slice(3)), [
    "x 11",
    "x 12",
    "x 21",
    "x 22",
  ]);
});

Deno.test("bad definitions and sequences are diagnosed at their line, and nothing hangs", () => {
  assert.deepEqual(lines("$X = 1\nx $X").diags, [
    `1:1 error: a parameter definition has no blank before "=": write $NAME=value`,
    `2:3 warning: unknown parameter "$X" left as is`,
  ]);
  assert.deepEqual(lines("a\n$M= \\\n  b \\\n  c \\").diags, [
    `2:1 error: multi-line definition of $M never ends (its last line ends with "\\")`,
  ]);
  assert.deepEqual(lines("~SEQ(1x, 3) a").diags, [
    `1:1 error: ~SEQ needs a variable name first, got "1x"`,
  ]);
  assert.deepEqual(lines("~SEQ(A, 1, 0, 3) a").diags, [
    "1:1 error: ~SEQ(A, 1, 0, 3): the step must not be 0",
  ]);
  assert.match(lines("~SEQ(A, 1, x) a").diags[0], /expected ~SEQ\(var, \[start, \[step,\]\] end\)/);
  assert.match(lines("~SEQ(A, 1000000) a").diags[0], /repeats 1000000 times, more than 10000/);
  // a definition that refers to itself: stopped at the nesting bound, once per use
  const loop = lines("$A=x $A\ny $A");
  assert.equal(loop.out.length, 0);
  assert.deepEqual(loop.diags, [
    "2:1 error: parameters nested deeper than 32 levels: does one refer to itself?",
  ]);
  // doubling at every level: bounded by the number of lines made, not by memory
  const wide = ["$L0= \\\n a \\\n a"];
  for (let i = 1; i < 25; i++) wide.push(`$L${i}= \\\n $L${i - 1} \\\n $L${i - 1}`);
  const blown = lines(`${wide.join("\n")}\n$L24`);
  assert.ok(blown.out.length <= 100_000);
  assert.equal(blown.diags.length, 1);
  assert.match(blown.diags[0], /expand to more than 100000 lines: expansion stopped/);
});

Deno.test("the whole pipeline: a config written with a template gives the instances it spells out", () => {
  const r = parseConfigText(
    `$VI= \\
vrrp_instance VI_\${N} { \\
  interface eth0 \\
  virtual_router_id \${N} \\
  virtual_ipaddress { \\
    ~SEQ(H, 1, 2) 10.0.\${N}.\${H}/24 \\
  } \\
}
~SEQ(N, 1, 3) $VI`,
    "/etc/k/main.conf",
    "keepalived",
    { configId: "main" },
  );
  assert.deepEqual(r.diagnostics, []);
  assert.deepEqual(
    r.config.instances.map((i) => `${i.name} ${i.vrid} ${i.vips.map((v) => v.address).join(",")}`),
    ["VI_1 1 10.0.1.1,10.0.1.2", "VI_2 2 10.0.2.1,10.0.2.2", "VI_3 3 10.0.3.1,10.0.3.2"],
  );
});
