// Pure parts of the gateway: queue bookkeeping, the journal format, connection states,
// globs, log throttling, metrics rendering.
import test from "ava"
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { processIdentity } from "@fieldlink/lib/process/lock-file"
import { lockStateDir } from "../../gateway/lock.js"
import { resolvedBroker } from "./harness.js"
import { Registry, escapeLabel } from "../../gateway/obs/metrics.js"
import { LogThrottle } from "../../gateway/obs/throttle.js"
import { Journal, parseJournal } from "../../gateway/queue/journal.js"
import { RecordWriter } from "../../gateway/queue/records.js"
import { MessageQueue } from "../../gateway/queue/queue.js"
import { expandGlob, globToRegExp } from "../../gateway/serial/glob.js"
import { mqttDebugWanted, mqttOptions } from "../../gateway/upstream/mqtt-options.js"
import { NoReplayStore } from "../../gateway/upstream/no-replay-store.js"
import { nextLinkState } from "../../gateway/upstream/state.js"

const limits = { maxMessages: 4, maxBytes: 1000 }

test("queue: in order, a window in flight, acks pop the head, resend after a lost connection", t => {
    const q = new MessageQueue(limits)
    for (const p of ["a", "b", "c"]) q.push("t", p, false, 1)
    t.is(q.nextToSend()?.payload, "a")
    t.is(q.nextToSend()?.payload, "b")
    t.is(q.inFlight, 2)
    t.is(q.ack(2), 0) // out of order: b is done, a still holds the head
    t.is(q.depth, 3)
    q.resendUnacked()
    t.deepEqual([q.nextToSend()?.payload, q.nextToSend()?.payload], ["a", "c"]) // b is not sent twice
    t.is(q.ack(1), 2)
    t.is(q.consumedSeq, 2)
    t.is(q.ack(3), 1)
    t.deepEqual([q.depth, q.bytes, q.consumedSeq], [0, 0, 3])
})

test("queue: drop-oldest past maxMessages and maxBytes, counted; late acks of dropped ones are ignored", t => {
    const q = new MessageQueue(limits)
    q.push("t", "1", false, 1)
    const first = q.nextToSend()!
    for (const p of ["2", "3", "4"]) q.push("t", p, false, 1)
    t.is(q.push("t", "5", false, 1), 1)
    t.is(q.dropped, 1)
    t.is(q.ack(first.seq), 0)
    t.deepEqual(
        q.pending().map(m => m.payload),
        ["2", "3", "4", "5"],
    )
    t.is(q.push("t", "x".repeat(999), false, 1), 4) // bytes bound: only the newest fits
    t.deepEqual([q.depth, q.dropped], [1, 5])
})

test("journal: lazy writes, consumed records, truncation when all is delivered, torn lines skipped", t => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-journal-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = path.join(dir, "d.jsonl")
    const receivedAt = Date.UTC(2026, 0, 2, 3, 4, 5)
    const q = new MessageQueue({ maxMessages: 100, maxBytes: 100000 }, 1, {
        wall: () => receivedAt,
        mono: () => 0,
    })
    const j = new Journal(file, false)
    j.load()
    q.push("t/a", "one", false, 1)
    q.push("t/a", "two", true, 0)
    q.ack(q.nextToSend()!.seq) // "one" delivered before the flush: never written
    j.write(q.takeUnsaved(), q.consumedSeq, 1e9)
    t.deepEqual(parseJournal(readFileSync(file, "utf8"), 0).messages, [
        { seq: 2, topic: "t/a", payload: "two", retain: true, qos: 0, receivedAt },
    ])
    q.push("t/a", "three", false, 1)
    j.write(q.takeUnsaved(), q.consumedSeq, 1e9)
    q.ack(q.nextToSend()!.seq)
    j.write(q.takeUnsaved(), q.consumedSeq, 1e9)
    t.deepEqual(
        parseJournal(readFileSync(file, "utf8"), 0).messages.map(m => m.payload),
        ["three"],
    )
    q.ack(q.nextToSend()!.seq)
    j.write(q.takeUnsaved(), q.consumedSeq, 1e9)
    t.is(statSync(file).size, 0)
    j.close()
    writeFileSync(file, '{"s":7,"t":"x","p":"a","r":0,"q":1}\n{"c":6}\n{"s":8,"t":"x","p":"b"')
    const loaded = parseJournal(readFileSync(file, "utf8"), 0)
    t.deepEqual([loaded.messages.map(m => m.seq), loaded.nextSeq, loaded.skipped], [[7], 8, 1])
})

test("journal: records written by hand read back exactly, awkward text included", t => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-journal-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = path.join(dir, "d.jsonl")
    const q = new MessageQueue({ maxMessages: 100, maxBytes: 100000 }, 1, {
        wall: () => 1764750000123,
        mono: () => 0,
    })
    const j = new Journal(file, false)
    j.load()
    const payloads = ['{"v":"a\\"b"}', "line\nbreak\u0000", "ünï \u2028 😀", ""]
    for (const p of payloads) q.push('t/"x"', p, false, 1)
    j.write(q.takeUnsaved(), q.consumedSeq, 1e9)
    j.close()
    const lines = readFileSync(file, "utf8").trimEnd().split("\n")
    t.deepEqual(
        lines,
        payloads.map((p, i) => JSON.stringify({ s: i + 1, t: 't/"x"', p, r: 0, q: 1, w: 1764750000123 })),
    )
    t.deepEqual(
        parseJournal(lines.join("\n"), 0).messages.map(m => m.payload),
        payloads,
    )
})

test("journal: a topic's JSON text is kept, not rebuilt, and every record is still JSON.stringify's text", t => {
    const chunks: Buffer[] = []
    const records = new RecordWriter(bytes => chunks.push(Buffer.from(bytes)))
    const take = () => (records.end(), Buffer.concat(chunks.splice(0)))
    const q = new MessageQueue({ maxMessages: 100, maxBytes: 100000 }, 7, { wall: () => 5, mono: () => 0 })
    // More topics than it keeps, each twice: kept or not, the text is the same.
    const topics = Array.from({ length: 40 }, (_, i) => `fieldlink/devices/d/"t${i}"\\é`)
    for (const topic of [...topics, ...topics]) {
        q.push(topic, '{"a":1}', true, 1)
        const [m] = q.takeUnsaved()
        records.message(m)
        t.is(take().toString(), JSON.stringify({ s: m.seq, t: topic, p: '{"a":1}', r: 1, q: 1, w: 5 }) + "\n")
        q.ack(m.seq)
    }
})

test("journal: records escaped from the queue's bytes are JSON.stringify's, byte for byte, on random text", t => {
    let s = 12345
    const next = (n: number) => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0), s % n)
    // What a payload can hold: every control character, quotes, backslashes, ASCII,
    // two- to four-byte UTF-8, lone surrogates (kept by the queue as U+FFFD), U+2028.
    const PIECES = [
        ...Array.from({ length: 32 }, (_, c) => String.fromCharCode(c)),
        '"',
        "\\",
        "\u007f",
        "a",
        "{",
        "}",
        ":",
        "é",
        "€",
        "😀",
        "\ud83d",
        "\ude00",
        "\u2028",
        '{"seq":1}',
    ]
    const q = new MessageQueue({ maxMessages: 10_000, maxBytes: 1e9 }, 1, {
        wall: () => 1764750000123.5, // not an integer: written as JSON writes numbers
        mono: () => 0,
    })
    const texts: string[] = []
    for (let i = 0; i < 2000; i++) {
        let text = ""
        for (let n = next(40); n > 0; n--) text += PIECES[next(PIECES.length)]
        texts.push(text)
        q.push(i % 2 ? "t/a" : 't/"b"', text, i % 3 === 0, i % 5 === 0 ? 0 : 1)
    }
    // A record larger than the writer's chunk: 50,000 bytes that all need escaping.
    texts.push('"\u0001'.repeat(25_000))
    q.push("t/a", texts.at(-1)!, false, 1)
    // Chunks of the writer's buffer as they come (a 2,000-record batch fills several).
    const chunks: Buffer[] = []
    const records = new RecordWriter(bytes => chunks.push(Buffer.from(bytes)))
    const messages = q.takeUnsaved()
    for (const m of messages) records.message(m)
    records.consumed(9_007_199_254_740_991)
    const expected =
        messages
            .map(m =>
                JSON.stringify({
                    s: m.seq,
                    t: m.topic,
                    p: m.payload,
                    r: m.retain ? 1 : 0,
                    q: m.qos,
                    w: m.receivedAt,
                }),
            )
            .join("\n") + '\n{"c":9007199254740991}\n'
    t.is(records.end(), Buffer.byteLength(expected))
    t.true(chunks.length > 1 && Buffer.concat(chunks).equals(Buffer.from(expected)))
    // The payload the records hold is the device's text, but for lone surrogates.
    t.deepEqual(
        messages.map(m => m.payload),
        texts.map(text => Buffer.from(text).toString()),
    )
})

test("journal: rewrite keeps exactly what is pending", t => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-journal-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const file = path.join(dir, "d.jsonl")
    const q = new MessageQueue({ maxMessages: 3, maxBytes: 100000 })
    const j = new Journal(file, true)
    j.load()
    let rewrite = false
    for (let i = 1; i <= 50; i++) {
        q.push("t", `m${i}`, false, 1)
        rewrite ||= j.write(q.takeUnsaved(), q.consumedSeq, 500)
    }
    t.true(rewrite)
    j.rewrite(q.pending(), q.consumedSeq)
    const again = new Journal(file, false)
    t.deepEqual(
        again.load().messages.map(m => m.payload),
        ["m48", "m49", "m50"],
    )
    again.close()
    j.close()
})

test("connection states: one transition function", t => {
    t.is(nextLinkState("idle", "start"), "connecting")
    t.is(nextLinkState("connecting", "connack"), "connected")
    t.is(nextLinkState("connected", "closed"), "waiting")
    t.is(nextLinkState("waiting", "retry"), "connecting")
    t.is(nextLinkState("waiting", "connack"), "waiting")
    t.is(nextLinkState("connected", "stop"), "stopping")
    t.is(nextLinkState("stopping", "closed"), "stopping")
    t.is(nextLinkState("stopping", "stopped"), "stopped")
    t.is(nextLinkState("stopped", "start"), "stopped")
    t.is(nextLinkState("idle", "stop"), "stopped")
})

test("globs: *, ? and classes within one level; dot files only when asked", t => {
    t.true(globToRegExp("ttyUSB*").test("ttyUSB12"))
    t.false(globToRegExp("ttyUSB?").test("ttyUSB12"))
    t.true(globToRegExp("tty[AU]*").test("ttyACM0"))
    t.false(globToRegExp("tty[!AU]*").test("ttyACM0"))
    t.true(globToRegExp("usb-Espressif_(x).1*").test("usb-Espressif_(x).1-if00"))
    const tree: Record<string, string[]> = {
        "/": ["dev"],
        "/dev": ["ttyUSB0", "ttyUSB1", "ttyACM0", ".hidden", "serial"],
        "/dev/serial": ["by-id"],
        "/dev/serial/by-id": ["usb-a", "usb-b"],
    }
    const readdir = (d: string) => tree[d] ?? []
    t.deepEqual(expandGlob("/dev/ttyUSB*", readdir), ["/dev/ttyUSB0", "/dev/ttyUSB1"])
    t.deepEqual(expandGlob("/dev/*", readdir).includes("/dev/.hidden"), false)
    t.deepEqual(expandGlob("/dev/serial/*/usb-*", readdir), [
        "/dev/serial/by-id/usb-a",
        "/dev/serial/by-id/usb-b",
    ])
})

test("log throttle: first at once, then one per window with the count suppressed", t => {
    let now = 0
    const th = new LogThrottle(1000, () => now)
    t.deepEqual(th.check("p|bad"), { log: true, suppressed: 0 })
    t.deepEqual(th.check("p|bad"), { log: false, suppressed: 1 })
    t.deepEqual(th.check("p|bad"), { log: false, suppressed: 2 })
    t.deepEqual(th.check("q|bad"), { log: true, suppressed: 0 })
    now = 1000
    t.deepEqual(th.check("p|bad"), { log: true, suppressed: 2 })
})

test("metrics: text format with escaped labels", t => {
    const r = new Registry()
    const c = r.counter("x_total", "Things.")
    c.inc({ port: '/dev/"a"\\b\n' }, 2)
    c.inc({ port: '/dev/"a"\\b\n' })
    r.gauge("g", "A gauge.").set({}, 5)
    t.is(escapeLabel('a"b'), 'a\\"b')
    t.is(
        r.render(),
        '# HELP x_total Things.\n# TYPE x_total counter\nx_total{port="/dev/\\"a\\"\\\\b\\n"} 3\n# HELP g A gauge.\n# TYPE g gauge\ng 5\n',
    )
})

test("metrics: a counter series counts into the same series as inc, and shows only once counted", t => {
    const r = new Registry()
    const c = r.counter("lines_total", "Lines.")
    const series = c.series({ port: "p", verb: "json" })
    t.false(r.render().includes("lines_total{"))
    series.inc()
    series.inc(2)
    c.inc({ verb: "json", port: "p" })
    t.is(c.get({ port: "p", verb: "json" }), 4)
    t.true(r.render().includes('lines_total{port="p",verb="json"} 4'))
})

test("mqtt.js outgoing store: keeps nothing, frees ids, replays nothing", async t => {
    const store = new NoReplayStore()
    let put = false
    store.put(
        { cmd: "publish", topic: "t", payload: "x", qos: 1, retain: false, dup: false, messageId: 7 },
        () => (put = true),
    )
    t.true(put)
    const deleted = await new Promise<unknown>(resolve =>
        store.del({ messageId: 7 }, (error, packet) => resolve(error ?? packet?.messageId)),
    )
    t.is(deleted, 7)
    const replayed: unknown[] = []
    const stream = store.createStream()
    stream.on("data", p => replayed.push(p))
    await new Promise(resolve => stream.on("end", resolve))
    t.deepEqual(replayed, [])
})

test("mqtt.js's own log: off unless DEBUG names it, as the debug package reads DEBUG", t => {
    for (const wanted of ["*", "mqttjs*", "mqttjs:client", "mqtt*", "serialport*,mqttjs:*", "x mqttjs*"])
        t.true(mqttDebugWanted(wanted), wanted)
    for (const unwanted of [undefined, "", "serialport*", "-mqttjs*", "mqttjs:other", "fieldlink"])
        t.false(mqttDebugWanted(unwanted), String(unwanted))
})

test("mqtt.js options of a link: no per-message logging or keep-alive timer work, nothing kept for replay", t => {
    const link = {
        name: "d1",
        clientId: "fieldlink-d1",
        will: { topic: "fieldlink/devices/d1/status", payload: "offline" },
        broker: resolvedBroker("mqtt://127.0.0.1:1883"),
    }
    const before = process.env.DEBUG
    t.teardown(() => {
        if (before === undefined) delete process.env.DEBUG
        else process.env.DEBUG = before
    })
    delete process.env.DEBUG
    const options = mqttOptions(link)
    t.is(options.reschedulePings, false)
    t.is(typeof options.log, "function")
    t.true(options.outgoingStore instanceof NoReplayStore)
    process.env.DEBUG = "mqttjs*"
    t.is(mqttOptions(link).log, undefined, "DEBUG=mqttjs* must get mqtt.js's own log")
})

test("state folder lock: one gateway at a time; a lock left by a dead process, or from before a reboot, is taken over", t => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-lock-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    // A live process (this one's parent) holds it: refused with a sentence.
    writeFileSync(path.join(dir, "gateway.pid"), `${process.ppid}\n`)
    t.throws(() => lockStateDir(dir), {
        message: new RegExp(`^another gateway \\(pid ${process.ppid}\\) uses the state folder`),
    })
    // After a power cut the recorded pid may be another process of the new boot: a live
    // pid whose boot and start time differ from the record is stale.
    writeFileSync(path.join(dir, "gateway.pid"), `${process.ppid} 00000000-0000-0000-0000-000000000000/1\n`)
    t.notThrows(() => lockStateDir(dir)())
    // The same pid with its own record is the live gateway it says.
    writeFileSync(path.join(dir, "gateway.pid"), `${process.ppid} ${processIdentity(process.ppid)}\n`)
    t.throws(() => lockStateDir(dir), { message: /^another gateway/ })
    // A pid that does not run (kill -9, power loss): stale, taken over, released on stop.
    writeFileSync(path.join(dir, "gateway.pid"), "2147483646\n")
    const release = lockStateDir(dir)
    t.is(readFileSync(path.join(dir, "gateway.pid"), "utf8").split(" ")[0], String(process.pid))
    release()
    t.throws(() => statSync(path.join(dir, "gateway.pid")))
})
