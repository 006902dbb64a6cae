// Late messages through the gateway, the pure parts: what a queued message looks like
// when it finally leaves (queue/stamp.ts), how its wait is counted on the monotonic
// clock and across a restart on the wall clock (queue/queue.ts), and journals written
// before receive times were kept (queue/journal.ts).
import test from "ava"
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Writable } from "node:stream"
import { ConfigError } from "../../lib/config/errors.js"
import { configFromObject } from "../../gateway/config/load.js"
import { createLogger } from "../../gateway/obs/logger.js"
import { parseJournal } from "../../gateway/queue/journal.js"
import { MessageQueue, heldSinceOf, type QueueClock } from "../../gateway/queue/queue.js"
import { stampMessage, type StampInput } from "../../gateway/queue/stamp.js"
import { QueueStore } from "../../gateway/queue/store.js"

const at = Date.UTC(2026, 11, 3, 7, 0, 0)
const late = (payload: string, waitedMs = 7215.6, retain = false): StampInput => ({
    payload,
    retain,
    waitedMs,
    receivedAt: at,
})

/** A clock the test moves by hand: the wall clock may step, the monotonic one only advances. */
function manualClock(wall = at) {
    const c = { wall, mono: 1000 }
    const clock: QueueClock = { wall: () => c.wall, mono: () => c.mono }
    return { c, clock, pass: (ms: number) => ((c.wall += ms), (c.mono += ms)) }
}

test("stamp: a fresh message passes untouched, unparsed; a wait of 2 s or less is not late", t => {
    const text = '{"seq":1, "t_c":21.50}'
    t.deepEqual(stampMessage(late(text, 15), "off"), { payload: text, userProperty: undefined })
    t.deepEqual(stampMessage(late(text, 2000), "off"), { payload: text, userProperty: undefined })
    t.deepEqual(stampMessage(late("not json {", 2000), "off"), {
        payload: "not json {",
        userProperty: undefined,
    })
})

test("stamp: a late JSON object gets age_ms last, the device's bytes kept as they were", t => {
    t.deepEqual(stampMessage(late('{"seq":3, "t_c":21.50} '), "off"), {
        payload: '{"seq":3, "t_c":21.50,"age_ms":7215} ',
        userProperty: "7215",
    })
    t.is(stampMessage(late('{"a":{"b":1}}'), "off").payload, '{"a":{"b":1},"age_ms":7215}')
    t.is(stampMessage(late("{ }"), "off").payload, '{ "age_ms":7215}')
})

test("stamp: a device's own age_ms and our wait add up, so taken = received − age still holds", t => {
    t.deepEqual(stampMessage(late('{"seq":3,"age_ms":5000,"x":1}'), "off"), {
        payload: '{"seq":3,"age_ms":12215,"x":1}',
        userProperty: "12215",
    })
    // An age that is not a count of ms says nothing: ours replaces it.
    t.is(stampMessage(late('{"age_ms":"soon"}'), "off").payload, '{"age_ms":7215}')
    t.is(stampMessage(late('{"age_ms":-4}'), "off").payload, '{"age_ms":7215}')
    // Not late at the gateway: the device's age passes as it came.
    t.is(stampMessage(late('{"age_ms":5000}', 10), "off").payload, '{"age_ms":5000}')
})

test("stamp: text, numbers and arrays are never changed; their age is only for an MQTT 5 user property", t => {
    t.deepEqual(stampMessage(late("21.5 C"), "off"), { payload: "21.5 C", userProperty: "7215" })
    t.deepEqual(stampMessage(late("[1,2]"), "iso"), { payload: "[1,2]", userProperty: "7215" })
    t.deepEqual(stampMessage(late("{broken"), "off"), { payload: "{broken", userProperty: "7215" })
})

test("stamp: retained messages get no age (the broker replays them any time later), but ts", t => {
    t.deepEqual(stampMessage(late('{"on":true}', 60000, true), "off"), {
        payload: '{"on":true}',
        userProperty: undefined,
    })
    t.is(stampMessage(late('{"on":true}', 60000, true), "epoch").payload, `{"on":true,"ts":${at}}`)
})

test("stamp: ts as epoch ms or ISO 8601 on every JSON object, fresh or late; a device's own ts is kept", t => {
    t.is(stampMessage(late('{"seq":1}', 5), "epoch").payload, `{"seq":1,"ts":${at}}`)
    t.is(stampMessage(late('{"seq":1}', 5), "iso").payload, '{"seq":1,"ts":"2026-12-03T07:00:00.000Z"}')
    t.is(
        stampMessage(late('{"seq":1}'), "iso").payload,
        '{"seq":1,"age_ms":7215,"ts":"2026-12-03T07:00:00.000Z"}',
    )
    t.is(stampMessage(late('{"seq":1,"ts":5}', 5), "epoch").payload, '{"seq":1,"ts":5}')
    t.is(stampMessage(late("{}", 5), "epoch").payload, `{"ts":${at}}`)
})

test("queue: the wait counts on the monotonic clock, so a wall clock step while running changes nothing", t => {
    const { c, clock, pass } = manualClock()
    const q = new MessageQueue({ maxMessages: 10, maxBytes: 10000 }, 1, clock)
    q.push("t", "{}", false, 1)
    pass(4000)
    c.wall -= 3600_000 // NTP steps the clock back an hour
    const m = q.nextToSend()!
    t.is(m.receivedAt, at)
    t.is(q.waited(m), 4000)
})

test("queue, after a restart: the wall clock counts the time the gateway was down; back steps clamp to 0, forward steps over-estimate", t => {
    const stored = { seq: 1, topic: "t", payload: "{}", retain: false, qos: 1 as const, receivedAt: at }
    const down = manualClock(at + 30_000) // started again 30 s after the message came in
    const q = new MessageQueue({ maxMessages: 10, maxBytes: 10000 }, 1, down.clock)
    q.restore(stored)
    down.pass(1500)
    t.is(q.waited(q.nextToSend()!), 31_500)
    // The wall clock is now behind the receive time (set back while down): as young as now.
    const back = manualClock(at - 60_000)
    t.is(back.clock.mono() - heldSinceOf(stored, back.clock), 0)
    // Jumped forward an hour while down: the age says an hour more than the truth.
    const ahead = manualClock(at + 30_000 + 3600_000)
    t.is(ahead.clock.mono() - heldSinceOf(stored, ahead.clock), 3630_000)
})

test("an old journal (no receive times) is still read: its messages count as received when the file was last written", t => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-age-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    mkdirSync(path.join(dir, "queues"))
    const file = path.join(dir, "queues", "old-1.jsonl")
    // Seq 3 was delivered; 4 and 5 wait. Written by an earlier version 90 s ago.
    writeFileSync(
        file,
        [
            '{"s":3,"t":"fieldlink/devices/old-1/telemetry","p":"{\\"seq\\":3}","r":0,"q":1}',
            '{"c":3}',
            '{"s":4,"t":"fieldlink/devices/old-1/telemetry","p":"{\\"seq\\":4}","r":0,"q":1}',
            '{"s":5,"t":"fieldlink/devices/old-1/x","p":"y","r":1,"q":0}',
            "",
        ].join("\n"),
    )
    const written = Date.now() - 90_000
    utimesSync(file, written / 1000, written / 1000)
    const lines: string[] = []
    const sink = new Writable({ write: (chunk, _e, done) => (lines.push(String(chunk)), done()) })
    const store = new QueueStore(
        dir,
        { maxMessages: 100, maxBytes: 100000, flushMs: 60000, fsync: false },
        createLogger({ level: "info", format: "json", destination: sink }),
        manualClock(Date.now()).clock,
    )
    t.teardown(() => store.close())
    t.deepEqual(store.start(), ["old-1"])
    const q = store.get("old-1").queue
    const first = q.nextToSend()!
    const second = q.nextToSend()!
    t.deepEqual([first.seq, first.payload, second.seq, second.retain], [4, '{"seq":4}', 5, true])
    t.true(Math.abs(q.waited(first) - 90_000) < 2000, `waited ${q.waited(first)} ms, the file's age`)
    t.true(lines.some(l => /"queue loaded from disk"/.test(l) && /"queued":2/.test(l)))
    // A receive time that is not a number (a hand-edited file) is read like an old record.
    t.deepEqual(
        parseJournal(
            '{"s":1,"t":"x","p":"a","r":0,"q":1,"w":"soon"}\n{"s":2,"t":"x","p":"b","r":0,"q":1,"w":1234}\n',
            99,
        ).messages.map(m => m.receivedAt),
        [99, 1234],
    )
})

test("config: ts is off by default; a format from elsewhere (Zigbee2MQTT's ISO_8601) is named as wrong, with the choices", t => {
    const minimal = { broker: { url: "mqtt://broker.local:1883" }, ports: [{ path: "/dev/ttyUSB0" }] }
    const context = { baseDir: "/", env: {} as NodeJS.ProcessEnv }
    t.is(configFromObject(minimal, "test", context).timestamp, "off")
    t.is(configFromObject({ ...minimal, gateway: { timestamp: "iso" } }, "test", context).timestamp, "iso")
    const error = t.throws(
        () => configFromObject({ ...minimal, gateway: { timestamp: "ISO_8601" } }, "test", context),
        { instanceOf: ConfigError },
    ) as ConfigError
    t.deepEqual(error.problems, [
        'gateway.timestamp: found "ISO_8601", expected one of "off", "epoch", "iso"',
    ])
})
