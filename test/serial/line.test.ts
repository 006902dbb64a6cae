// Line parsing vectors (DESIGN §4): every verb, the prefix, the checksum, UTF-8 and
// every error code, each with its exact code.
import test from "ava"
import {
    cmdLine,
    crc8Text,
    crcHex,
    errLine,
    frameLine,
    parseLine,
    subtopicError,
    type DeviceLine,
} from "../../protocol/serial/index.js"

const enc = (s: string) => new TextEncoder().encode(s)
const parse = (s: string, requireChecksum = false) => parseLine(enc(s), { requireChecksum })
const withCrc = (s: string) => `${s} *${crcHex(crc8Text(s))}`
const code = (line: DeviceLine) => (line.kind === "error" ? line.code : line.kind)

test("hello: id, fw, board, live; unknown keys ignored", t => {
    t.deepEqual(parse("hello id=kitchen-1 fw=1.2.0 board=esp32c3 live=10"), {
        kind: "hello",
        id: "kitchen-1",
        fw: "1.2.0",
        board: "esp32c3",
        live: 10,
    })
    t.deepEqual(parse("hello id=a"), { kind: "hello", id: "a" })
    t.deepEqual(parse("hello  id=a   future=x"), { kind: "hello", id: "a" })
    t.deepEqual(parse("hello id=a live=0"), { kind: "hello", id: "a", live: 0 })
})

test("hello mistakes: no id, bad id, duplicate key, bad live, bad fw", t => {
    t.is(code(parse("hello")), "bad-syntax")
    t.is(code(parse("hello fw=1")), "bad-syntax")
    t.is(code(parse("hello id=a/b")), "bad-id")
    t.is(code(parse("hello id=$SYS")), "bad-id")
    t.is(code(parse("hello id=" + "x".repeat(65))), "bad-id")
    t.is(code(parse("hello id=a id=b")), "bad-syntax")
    t.is(code(parse("hello id=a live=-1")), "bad-syntax")
    t.is(code(parse("hello id=a live=1.5")), "bad-syntax")
    t.is(code(parse("hello id=a live=86401")), "bad-syntax")
    t.is(code(parse("hello id=a fw=")), "bad-syntax")
    t.is(code(parse("hello id=a junk")), "bad-syntax")
})

test("pub and pubr: sub-topic and the rest of the line as payload, spaces kept", t => {
    t.deepEqual(parse("pub temp 21.5"), { kind: "pub", subtopic: "temp", payload: "21.5", retain: false })
    t.deepEqual(parse("pubr cfg/led on  and  off "), {
        kind: "pub",
        subtopic: "cfg/led",
        payload: "on  and  off ",
        retain: true,
    })
    t.deepEqual(parse("pubr cfg/led"), { kind: "pub", subtopic: "cfg/led", payload: "", retain: true })
    t.deepEqual(parse("pub a/b_c/D-9 é ü"), {
        kind: "pub",
        subtopic: "a/b_c/D-9",
        payload: "é ü",
        retain: false,
    })
    t.is(code(parse("pub")), "bad-syntax")
    t.is(code(parse("pub ")), "bad-syntax")
})

test("confinement: wildcards, $, dots, empty levels and the gateway's own levels are refused", t => {
    for (const sub of [
        "+",
        "#",
        "a/+",
        "a/#",
        "$SYS",
        "$SYS/x",
        "..",
        ".",
        "a/../b",
        "a//b",
        "/a",
        "a/",
        "a b",
        "a\tb",
        "ä",
    ])
        t.is(code(parse(`pub ${sub} x`)), sub === "a b" ? "pub" : "bad-topic", sub)
    for (const sub of ["status", "info", "cmd", "cmd/interval", "status/x"])
        t.is(code(parse(`pubr ${sub} x`)), "reserved-topic", sub)
    t.is(subtopicError("statusx"), null)
    t.is(subtopicError("x/status"), null)
    t.is(subtopicError("a/b/c/d/e/f/g/h"), null)
    t.is(subtopicError("a/b/c/d/e/f/g/h/i")?.code, "bad-topic")
    t.is(subtopicError("x".repeat(65))?.code, "bad-topic")
    t.regex(subtopicError("a/+")!.reason, /level 2 has "\+"/)
})

test("ping, and a JSON object line as one telemetry sample (text kept as sent)", t => {
    t.deepEqual(parse("ping"), { kind: "ping" })
    t.is(code(parse("ping now")), "bad-syntax")
    t.deepEqual(parse('{"seq":1,"t_c":21.50}'), { kind: "json", payload: '{"seq":1,"t_c":21.50}' })
    t.is(code(parse("{not json}")), "bad-json")
    t.is(code(parse('{"a":1} trailing')), "bad-json")
    t.is(code(parse("[1,2]")), "unknown-verb")
})

test("unknown verbs, case matters; empty and blank lines are ignored", t => {
    for (const line of ["PUB a b", "publish a b", "hi", "\u0000", "pong"])
        t.is(code(parse(line)), "unknown-verb", line)
    t.deepEqual(parse(""), { kind: "empty" })
    t.deepEqual(parse("   "), { kind: "empty" })
    t.deepEqual(parse("> "), { kind: "empty" })
})

test("the '> ' prefix of DeviceScript's console is dropped before anything else", t => {
    t.deepEqual(parse("> ping"), { kind: "ping" })
    t.deepEqual(parse(`> ${withCrc("pub a 1")}`), { kind: "pub", subtopic: "a", payload: "1", retain: false })
    t.is(code(parse(">ping")), "unknown-verb")
})

test("checksum: a matching suffix is removed, a wrong one refused, lower case accepted", t => {
    t.deepEqual(parse(withCrc("pub t 1")), { kind: "pub", subtopic: "t", payload: "1", retain: false })
    t.deepEqual(parse(withCrc("ping")), { kind: "ping" })
    t.is(withCrc("123456789"), "123456789 *F4")
    t.deepEqual(parse(`ping *${crcHex(crc8Text("ping")).toLowerCase()}`), { kind: "ping" })
    const bad = parse("pub t 1 *00")
    t.is(code(bad), "bad-checksum")
    t.regex(
        (bad as { reason: string }).reason,
        /^checksum \*00 does not match the line \(CRC-8\/SMBUS is \*[0-9A-F]{2}\)$/,
    )
    // Not a suffix: no space before, one digit, not hex.
    t.deepEqual(parse("pub t 1*00"), { kind: "pub", subtopic: "t", payload: "1*00", retain: false })
    t.deepEqual(parse("pub t *0"), { kind: "pub", subtopic: "t", payload: "*0", retain: false })
    t.deepEqual(parse("pub t *GG"), { kind: "pub", subtopic: "t", payload: "*GG", retain: false })
})

test("a port that requires checksums refuses lines without one (blank lines still ignored)", t => {
    t.is(code(parse("ping", true)), "no-checksum")
    t.deepEqual(parse(withCrc("ping"), true), { kind: "ping" })
    t.deepEqual(parse("", true), { kind: "empty" })
})

test("bad UTF-8: stray continuation, overlong, surrogate, truncated; the offset is named", t => {
    const bytes = (...b: number[]) => parseLine(Uint8Array.from([...enc("pub a "), ...b]))
    for (const b of [[0x80], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82], [0xff]])
        t.is(code(bytes(...b)), "bad-utf8", String(b))
    t.regex((bytes(0x80) as { reason: string }).reason, /at byte 6/)
    t.is(code(bytes(0xe2, 0x82, 0xac)), "pub") // "€"
})

test("random bytes never throw and always give a known kind", t => {
    let seed = 99
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff
    for (let n = 0; n < 20000; n++) {
        const line = Uint8Array.from({ length: n % 200 }, next).filter(b => b !== 0x0a)
        const result = parseLine(line)
        if (!["empty", "hello", "pub", "ping", "json", "error"].includes(result.kind))
            return t.fail(String(result.kind))
    }
    t.pass()
})

test("replies: framing with and without checksum, err clipping, cmd lines and their limits", t => {
    t.is(frameLine("pong", false), "pong\n")
    t.is(frameLine("123456789", true), "123456789 *F4\n")
    t.deepEqual(parse(frameLine("ok hello", true).trimEnd()), {
        kind: "error",
        code: "unknown-verb",
        reason: '"ok" is not a verb; a line is hello, pub, pubr, ping or a JSON object',
    })
    t.is(errLine("bad-topic", "a\nb"), "err bad-topic a b")
    t.is(errLine("bad-json", "x".repeat(500)).length, "err bad-json ".length + 120)
    t.deepEqual(cmdLine("interval", "5000", 1024), { line: "cmd interval 5000" })
    t.deepEqual(cmdLine("restart", "", 1024), { line: "cmd restart" })
    t.deepEqual(cmdLine("led/color", "red", 1024), { line: "cmd led/color red" })
    t.true("problem" in cmdLine("a b", "x", 1024))
    t.true("problem" in cmdLine("x", "two\nlines", 1024))
    t.true("problem" in cmdLine("x", "y".repeat(1100), 1024))
})
