// The line framer: every chunk boundary, \r handling, the length limit and its memory bound.
import test from "ava"
import { LineFramer, type FrameEvent } from "../../protocol/serial/index.js"

const enc = (s: string) => new TextEncoder().encode(s)
const show = (events: FrameEvent[]) =>
    events.map(e => (e.kind === "line" ? new TextDecoder().decode(e.bytes) : `<too-long ${e.length}>`))

function feed(framer: LineFramer, stream: Uint8Array, size: number): FrameEvent[] {
    const events: FrameEvent[] = []
    for (let i = 0; i < stream.length; i += size) events.push(...framer.push(stream.subarray(i, i + size)))
    return events
}

test("splits at \\n at any chunk size; drops one \\r before \\n; keeps empty lines", t => {
    const stream = enc('ping\r\npub a 1\n\n{"x":1}\r\r\npartial')
    for (const size of [1, 2, 3, 5, 7, 64]) {
        const framer = new LineFramer(64)
        t.deepEqual(
            show(feed(framer, stream, size)),
            ["ping", "pub a 1", "", '{"x":1}\r'],
            `chunk size ${size}`,
        )
        t.is(framer.bufferedBytes, "partial".length)
    }
})

test("a line of exactly the limit passes, with or without \\r; one byte more is too long", t => {
    const framer = new LineFramer(8)
    t.deepEqual(show(framer.push(enc("12345678\n12345678\r\n123456789\n123456789\r\nok\n"))), [
        "12345678",
        "12345678",
        "<too-long 9>",
        "<too-long 9>",
        "ok",
    ])
})

test("an overlong line is discarded up to the next \\n whatever the chunks, and reported once with its length", t => {
    for (const size of [1, 4, 100, 5000]) {
        const framer = new LineFramer(16)
        const stream = enc("a".repeat(3000) + "\r\nafter\n")
        t.deepEqual(show(feed(framer, stream, size)), ["<too-long 3000>", "after"], `chunk size ${size}`)
    }
})

test("memory stays bounded by the limit during a 1 MB line with no newline", t => {
    const framer = new LineFramer(1024)
    const chunk = new Uint8Array(65536).fill(0x41)
    for (let i = 0; i < 16; i++) {
        t.deepEqual(framer.push(chunk), [])
        t.true(framer.bufferedBytes <= 1025)
    }
    t.deepEqual(show(framer.push(enc("\nping\n"))), ["<too-long 1048576>", "ping"])
})

test("reset forgets an unfinished line and an overflow in progress", t => {
    const framer = new LineFramer(4)
    framer.push(enc("abcdefgh"))
    framer.reset()
    t.deepEqual(show(framer.push(enc("ok\n"))), ["ok"])
    framer.push(enc("ab"))
    framer.reset()
    t.deepEqual(show(framer.push(enc("cd\n"))), ["cd"])
})

test("a line is not changed by later input (copies where the chunk is reused)", t => {
    const framer = new LineFramer(32)
    const chunk = enc("abc")
    t.deepEqual(framer.push(chunk), [])
    const events = framer.push(enc("def\n"))
    chunk.fill(0x7a)
    t.deepEqual(show(events), ["abcdef"])
})

test("the limit must be a positive whole number", t => {
    t.throws(() => new LineFramer(0), { message: /at least 1, got 0/ })
})
