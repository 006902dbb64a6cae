import test from "ava";
import { type DmesgKind, MAX_LOG_LINE_BYTES, parseDmesg, stripAnsi } from "../../devs-host/log.js";

test("each marker maps to its kind and the text after it", t => {
  const vectors: Array<[string, DmesgKind, string]> = [
    ["> hello id=a1 fw=1.0", "log", "hello id=a1 fw=1.0"], // console.log / console.info
    ["! Unhandled exception", "error", "Unhandled exception"], // console.error, exceptions
    ["* start: main (null)", "notice", "start: main (null)"], // console.warn, runtime notices
    ["? connecting to tcp://127.0.0.1:1883", "debug", "connecting to tcp://127.0.0.1:1883"],
    ['# 1200 {"t":21}', "value", '1200 {"t":21}'],
  ];
  for (const [raw, kind, text] of vectors) {
    const line = parseDmesg(raw);
    t.is(line.kind, kind, raw);
    t.is(line.text, text, raw);
    t.is(line.raw, raw);
  }
});

test("runtime lines have no marker and are kept whole", t => {
  for (const raw of ["fstor: mounted; 8144 free", "jdif: autobind", ">no space", ""]) {
    t.deepEqual(parseDmesg(raw), { kind: "runtime", text: raw, raw, mayBeTruncated: false });
  }
});

test("the text after the marker is kept as is, leading spaces included", t => {
  t.is(parseDmesg(">  indented").text, " indented");
  t.is(parseDmesg("    > indented marker").text, "indented marker");
  t.is(parseDmesg('> {"seq":1} *3A').text, '{"seq":1} *3A');
});

test("ANSI colours are removed", t => {
  t.is(stripAnsi("\u001b[95mpink\u001b[0m"), "pink");
  const line = parseDmesg("\u001b[90m> \u001b[92mgreen\u001b[0m text");
  t.is(line.kind, "log");
  t.is(line.text, "green text");
});

test("lines at the VM's length limit are flagged as maybe truncated", t => {
  t.false(parseDmesg(`> ${"x".repeat(MAX_LOG_LINE_BYTES - 4)}`).mayBeTruncated);
  t.true(parseDmesg(`> ${"x".repeat(MAX_LOG_LINE_BYTES - 3)}`).mayBeTruncated);
  t.true(parseDmesg(`> ${"é".repeat(MAX_LOG_LINE_BYTES / 2)}`).mayBeTruncated); // 2 bytes each
  t.false(parseDmesg(`${"x".repeat(400)}`).mayBeTruncated); // runtime lines are not cut that way
});
