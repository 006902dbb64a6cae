// The queue lane (issue 10, the hot path): the device queue's QoS 1 PUBLISHes encoded by
// the gateway and written onto mqtt.js's stream, their PUBACKs taken out before mqtt.js's
// parser by packet id. Pure parts against the shared codec and a reference; the link
// against a real mosquitto.
import test from "ava"
import { once } from "node:events"
import net from "node:net"
import { Writable } from "node:stream"
import { encodePublish } from "@fieldlink/protocol/mqtt"
import { nodeBytes, toBuffer } from "../../lib/bytes-node.js"
import { createGatewayMetrics } from "../../gateway/obs/gateway-metrics.js"
import { createLogger } from "../../gateway/obs/logger.js"
import { MqttLink } from "../../gateway/upstream/link.js"
import { PubackTap } from "../../gateway/upstream/broker-stream.js"
import { LowerIdProvider, QUEUE_ID_COUNT, QUEUE_ID_FIRST } from "../../gateway/upstream/message-ids.js"
import { PubackSplitter } from "../../gateway/upstream/puback-splitter.js"
import { isQueueId, QueueLane, TopicBytes } from "../../gateway/upstream/queue-lane.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { resolvedBroker } from "./harness.js"
import { waitFor } from "../support/wait.js"
import { mqttWitness, witnessAvailable } from "../support/witness.js"

/** A seeded generator, so a failing case can be run again. */
function random(seed: number): (n: number) => number {
    let s = seed >>> 0
    return n => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0
        return s % n
    }
}

/** A fixed header for `type` with a Remaining Length of `length` (§2.2.3). */
function header(first: number, length: number): number[] {
    const out = [first]
    let v = length
    do {
        const digit = v % 128
        v = Math.floor(v / 128)
        out.push(v > 0 ? digit | 0x80 : digit)
    } while (v > 0)
    return out
}

test("splitter: claimed PUBACKs are taken out, every other byte passes in order, however the stream is cut", t => {
    for (let seed = 1; seed <= 3000; seed++) {
        const r = random(seed)
        const packets: { bytes: Buffer; claimed?: number }[] = []
        for (let k = 0, n = 1 + r(16); k < n; k++) {
            const kind = r(6)
            if (kind < 3) {
                const id = r(2) ? QUEUE_ID_FIRST + r(0x8000) : 1 + r(0x7fff)
                const bytes = Buffer.from([0x40, 2, id >> 8, id & 0xff])
                packets.push(isQueueId(id) ? { bytes, claimed: id } : { bytes })
            } else if (kind === 3)
                packets.push({ bytes: Buffer.from([0xd0, 0]) }) // PINGRESP
            else if (kind === 4)
                packets.push({ bytes: Buffer.from([0x90, 3, 0, 1, 1]) }) // SUBACK
            else {
                // A PUBLISH (a command) whose body holds PUBACK-like bytes, up to a 2-byte length.
                const length = r(3) === 0 ? 128 + r(400) : r(8)
                const body = Buffer.alloc(length, 0x40)
                packets.push({ bytes: Buffer.concat([Buffer.from(header(0x30, length)), body]) })
            }
        }
        const stream = Buffer.concat(packets.map(p => p.bytes))
        const taken: number[] = []
        const splitter = new PubackSplitter(isQueueId, id => taken.push(id))
        const passed: Buffer[] = []
        for (let at = 0; at < stream.length;) {
            const size = 1 + r(r(2) ? 6 : 64)
            const out = splitter.split(stream.subarray(at, at + size))
            if (out !== undefined) passed.push(out)
            at += size
        }
        const want = Buffer.concat(packets.filter(p => p.claimed === undefined).map(p => p.bytes))
        t.deepEqual(Buffer.concat(passed), want, `seed ${seed}`)
        t.deepEqual(
            taken,
            packets.flatMap(p => (p.claimed === undefined ? [] : [p.claimed])),
            `seed ${seed}`,
        )
        if (t.passed === false) break
    }
})

test("splitter: a chunk with nothing claimed is passed on as the same Buffer; one of only claimed PUBACKs passes nothing", t => {
    const splitter = new PubackSplitter(isQueueId, () => undefined)
    const theirs = Buffer.from([0x40, 2, 0x00, 0x05, 0xd0, 0])
    t.is(splitter.split(theirs), theirs)
    t.is(splitter.split(Buffer.from([0x40, 2, 0x80, 0x00, 0x40, 2, 0xff, 0xff])), undefined)
})

test("splitter: a malformed length hands everything to mqtt.js from then on (its parser reports it)", t => {
    const splitter = new PubackSplitter(isQueueId, () => t.fail("nothing may be claimed"))
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])
    t.deepEqual(splitter.split(bad), bad)
    const after = Buffer.from([0x40, 2, 0x80, 0x01])
    t.is(splitter.split(after), after)
})

test("lane: each PUBLISH is byte for byte what the shared codec encodes; a batch goes in one write", t => {
    const writes: Buffer[] = []
    const sink = new Writable({
        write(chunk: Buffer, _encoding, done) {
            writes.push(chunk)
            done()
        },
    })
    const lane = new QueueLane(sink, new TopicBytes(), () => undefined)
    const messages = [
        { topic: "fieldlink/devices/a/telemetry", payload: '{"seq":1}', retain: false },
        { topic: "fieldlink/devices/a/état", payload: "ünïcode ✓ 🙂", retain: true },
        { topic: "fieldlink/devices/a/big", payload: "x".repeat(200), retain: false },
        { topic: "fieldlink/devices/a/bigger", payload: "y".repeat(20_000), retain: false },
        { topic: "fieldlink/devices/a/empty", payload: "", retain: false },
    ]
    messages.forEach((m, i) => t.true(lane.add(i + 1, m.topic, m.payload, m.retain)))
    lane.flush()
    // The 20 kB one does not fit the lane's 16 kB buffers: what came before it is written,
    // it gets a buffer of its own, and the next message a new one.
    t.is(writes.length, 3)
    const want = Buffer.concat(
        messages.map((m, i) =>
            toBuffer(
                encodePublish(nodeBytes, {
                    topic: m.topic,
                    payload: Buffer.from(m.payload),
                    qos: 1,
                    retain: m.retain,
                    dup: false,
                    packetId: QUEUE_ID_FIRST + i,
                }),
            ),
        ),
    )
    t.deepEqual(Buffer.concat(writes), want)
    t.false(lane.add(9, "fieldlink/devices/a/+", "x", false), "a wildcard is no topic name: mqtt.js says why")
    lane.flush()
    t.is(writes.length, 3, "nothing added, nothing written")
    for (let seq = 10; seq < 74; seq++)
        lane.add(seq, "fieldlink/devices/a/telemetry", `{"seq":${seq}}`, false)
    lane.flush()
    t.is(writes.length, 4, "a full window of small messages: one write")
})

test("lane over a real socket: its slab is written over only once the kernel has what was cut from it; every byte arrives as encoded, the reader stalled or not", async t => {
    const received: Buffer[] = []
    let receivedBytes = 0
    let peer: net.Socket | undefined
    const server = net.createServer(s => {
        peer = s
        s.on("data", (chunk: Buffer) => {
            received.push(chunk)
            receivedBytes += chunk.length
        })
    })
    server.listen(0, "127.0.0.1")
    await once(server, "listening")
    const socket = net.createConnection((server.address() as net.AddressInfo).port, "127.0.0.1")
    t.teardown(() => {
        socket.destroy()
        server.close()
    })
    await once(socket, "connect")
    const reader = await waitFor(() => peer, { what: "the server's end of the socket" })
    const tap = new PubackTap(socket, new PubackSplitter(isQueueId, () => undefined))
    // Which slabs the writes were cut from: one serves all while every write goes through.
    const slabs = new Set<ArrayBufferLike>()
    const write = tap.write.bind(tap) as (chunk: Buffer) => boolean
    Object.assign(tap, { write: (chunk: Buffer) => (slabs.add(chunk.buffer), write(chunk)) })
    const lane = new QueueLane(tap, new TopicBytes(), () => undefined)
    const expected: Buffer[] = []
    let expectedBytes = 0
    let seq = 0
    const send = (count: number) => {
        for (let i = 0; i < count; i++) {
            const payload = `{"seq":${++seq},"pad":"${"x".repeat(seq % 97)}"}`
            lane.add(seq, "fieldlink/devices/a/telemetry", payload, false)
            const packet = toBuffer(
                encodePublish(nodeBytes, {
                    topic: "fieldlink/devices/a/telemetry",
                    payload: Buffer.from(payload),
                    qos: 1,
                    retain: false,
                    dup: false,
                    packetId: QUEUE_ID_FIRST + ((seq - 1) % QUEUE_ID_COUNT),
                }),
            )
            expected.push(packet)
            expectedBytes += packet.length
        }
        lane.flush()
    }
    for (let i = 0; i < 500; i++) send(4)
    t.is(slabs.size, 1, "every write reached the kernel at once: the slab was written over each time")
    // The reader stalls: the kernel's buffers fill, writes wait in the streams, and what
    // they hold must stay as it was until it is written.
    reader.pause()
    while (tap.drained && expectedBytes < 64 * 1024 * 1024) send(64)
    t.false(tap.drained, "the writes never had to wait: the case is not tested")
    const stalledAt = expectedBytes
    while (expectedBytes < stalledAt + 4 * 1024 * 1024) send(64)
    t.true(slabs.size > 100, "slabs waiting to be written were not written over")
    reader.resume()
    await waitFor(() => receivedBytes >= expectedBytes, {
        what: "every byte at the reader",
        timeoutMs: 30_000,
    })
    t.true(
        Buffer.concat(received).equals(Buffer.concat(expected)),
        "the bytes read are the PUBLISHes encoded",
    )
})

test("lane: a PUBACK gives back its message's seq once; ids come round only after the whole range", t => {
    const acked: number[] = []
    const lane = new QueueLane(new Writable({ write: (_c, _e, done) => done() }), new TopicBytes(), seq =>
        acked.push(seq),
    )
    for (let seq = 1; seq <= 3; seq++) lane.add(seq, "t", "p", false)
    lane.puback(QUEUE_ID_FIRST + 1)
    lane.puback(QUEUE_ID_FIRST + 1)
    lane.puback(QUEUE_ID_FIRST + 0)
    lane.puback(QUEUE_ID_FIRST + 7)
    lane.puback(0xffff)
    t.deepEqual(acked, [2, 1], "a duplicate or an id not in flight is ignored")
})

test("mqtt.js's ids stay below the queue's range and wrap within it", t => {
    const ids = new LowerIdProvider()
    t.is(ids.getLastAllocated(), null)
    let last = 0
    for (let k = 0; k < QUEUE_ID_FIRST + 5; k++) {
        last = ids.allocate()
        t.true(last >= 1 && last < QUEUE_ID_FIRST)
    }
    t.is(last, 6)
    t.false(ids.register(QUEUE_ID_FIRST))
})

const ready = [mosquittoAvailable(), witnessAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip

brokerTest(
    "link: mqtt.js's publish goes before the lane's batch, every lane message is acknowledged once, in order",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const witness = await mqttWitness(broker.url, "lane/#", { qos: 1 })
        t.teardown(() => witness.stop())
        const acked: number[] = []
        let birthAcked = false
        const link = new MqttLink(
            {
                name: "lane",
                clientId: "fieldlink-lane-test",
                will: { topic: "lane/status", payload: "offline" },
                broker: resolvedBroker(broker.url),
                log: createLogger({ level: "silent", format: "json" }),
                metrics: createGatewayMetrics(),
                duplicateHint: "",
            },
            {
                connected: () => {
                    link.publish(
                        "lane/status",
                        "online",
                        1,
                        true,
                        error => (birthAcked = error === undefined),
                    )
                    const lane = link.queueLane!
                    for (let seq = 1; seq <= 2000; seq++) lane.add(seq, "lane/data", `{"seq":${seq}}`, false)
                    lane.flush()
                },
                disconnected: () => undefined,
                queueAcked: seq => acked.push(seq),
            },
        )
        t.teardown(() => link.stop())
        link.start()
        await waitFor(() => acked.length >= 2000 && birthAcked, {
            what: "2,000 PUBACKs and the birth's",
            timeoutMs: 20000,
        })
        t.deepEqual(
            acked,
            Array.from({ length: 2000 }, (_, i) => i + 1),
        )
        await witness.waitFor(m => m.text === '{"seq":2000}', 10000)
        const texts = witness.messages().map(m => m.text)
        t.is(texts[0], "online", "the birth, written by mqtt.js first, arrives first")
        t.deepEqual(
            texts.slice(1).map(x => JSON.parse(x).seq as number),
            Array.from({ length: 2000 }, (_, i) => i + 1),
        )
    },
)
