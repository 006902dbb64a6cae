/**
 * 100,000 random buffers through the parser, reproducibly (seeded; the seed is in the
 * test title, FIELDLINK_FUZZ_SEED overrides it). Each must end in packets, a named
 * error, or a wait for more bytes: never an exception, never a slow feed. Every packet
 * we accept must also be what mqtt-packet makes of the same bytes.
 */
import test from "ava"
import mqttPacket from "mqtt-packet"
import { performance } from "node:perf_hooks"
import { nodeBytes, toBuffer } from "../../lib/bytes-node.js"
import type { MqttPacket, ParseError, ParseErrorCode } from "../../protocol/mqtt/index.js"
import { PacketParser, PacketType } from "../../protocol/mqtt/index.js"
import { decodeVectors, makeWire } from "../../firmware/test/vectors.js"

const SEED = Number(process.env.FIELDLINK_FUZZ_SEED ?? 0x5eed2024)
const COUNT = 100_000
/**
 * A feed of at most a few hundred bytes taking longer than this counts as a hang. Real
 * feeds take microseconds; the margin absorbs GC pauses on a loaded CI machine.
 */
const SLOW_FEED_MS = 1000

const CODES: ParseErrorCode[] = [
    "bad-flags",
    "bad-length",
    "too-large",
    "truncated",
    "trailing",
    "bad-utf8",
    "bad-topic",
    "unexpected-type",
    "malformed",
]

/** mulberry32: tiny, seedable, good enough to spread inputs. */
function prng(seed: number): () => number {
    let a = seed >>> 0
    return () => {
        a = (a + 0x6d2b79f5) >>> 0
        let t = a
        t = Math.imul(t ^ (t >>> 15), t | 1)
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296
    }
}

const random = prng(SEED)
const int = (n: number) => Math.floor(random() * n)
const pick = <T>(items: T[]): T => items[int(items.length)]

const SEEDS = decodeVectors()
    .filter(v => (v.fill ?? 0) < 200 && v.maxPacketSize === undefined)
    .map(v => toBuffer(makeWire(nodeBytes, v)))

/** Server packet types with their required flags (PUBLISH: any of 0..15). */
const HEADERS = [0x20, 0x30, 0x31, 0x32, 0x33, 0x34, 0x3a, 0x3d, 0x40, 0x50, 0x62, 0x70, 0x90, 0xb0, 0xd0]
const TOPIC_BITS = [
    0x61, 0x2f, 0x2b, 0x23, 0x24, 0x00, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0,
    0xc0, 0xff,
]

function randomBytes(n: number): number[] {
    return Array.from({ length: n }, () => int(256))
}

/** Length field, usually minimal, sometimes padded or overlong. */
function lengthField(n: number): number[] {
    const out: number[] = []
    let v = n
    do {
        const digit = v % 128
        v = Math.floor(v / 128)
        out.push(v > 0 ? digit | 0x80 : digit)
    } while (v > 0)
    if (random() < 0.05) {
        out[out.length - 1] |= 0x80
        out.push(random() < 0.5 ? 0 : int(256))
    }
    return out
}

/** Something shaped like a server packet, near-valid more often than not. */
function structured(): number[] {
    const header = random() < 0.85 ? pick(HEADERS) : int(256)
    const out = [header]
    const body: number[] = []
    if (header >> 4 === 3) {
        const topic = Array.from({ length: int(6) }, () => (random() < 0.7 ? pick(TOPIC_BITS) : int(256)))
        const declared = random() < 0.9 ? topic.length : int(10)
        body.push(declared >> 8, declared & 0xff, ...topic)
        if (header & 0x06) body.push(int(3), int(256))
        body.push(...randomBytes(int(6)))
    } else {
        body.push(...Array.from({ length: int(6) }, () => (random() < 0.6 ? int(4) : int(256))))
    }
    const declared = random() < 0.8 ? body.length : Math.max(0, body.length + int(7) - 3)
    out.push(...lengthField(declared), ...body)
    return out
}

/** A valid vector with a few random edits, maybe followed by another. */
function mutated(): number[] {
    const out = [...pick(SEEDS)]
    if (random() < 0.3) out.push(...pick(SEEDS))
    const edits = 1 + int(3)
    for (let k = 0; k < edits && out.length > 0; k++) {
        const at = int(out.length)
        const op = int(4)
        if (op === 0) out[at] = int(256)
        else if (op === 1) out[at] ^= 1 << int(8)
        else if (op === 2) out.splice(at, 0, int(256))
        else out.splice(at, 1)
    }
    return out
}

function generate(): number[] {
    const kind = random()
    if (kind < 0.3) return randomBytes(int(49))
    if (kind < 0.7) return structured()
    return mutated()
}

function chunks(buf: Buffer): Buffer[] {
    const out: Buffer[] = []
    let at = 0
    while (at < buf.length) {
        const n = 1 + int(random() < 0.5 ? 3 : buf.length - at)
        out.push(buf.subarray(at, at + n))
        at += n
    }
    return out
}

type Theirs = { cmd: string; [key: string]: unknown }

function theirPackets(buf: Buffer): Theirs[] {
    const parser = mqttPacket.parser({ protocolVersion: 4 })
    const packets: Theirs[] = []
    parser.on("packet", p => packets.push(p as unknown as Theirs))
    parser.on("error", () => undefined)
    parser.parse(buf)
    return packets
}

const CMD: Record<number, string> = {
    [PacketType.CONNACK]: "connack",
    [PacketType.PUBLISH]: "publish",
    [PacketType.PUBACK]: "puback",
    [PacketType.PUBREC]: "pubrec",
    [PacketType.PUBREL]: "pubrel",
    [PacketType.PUBCOMP]: "pubcomp",
    [PacketType.SUBACK]: "suback",
    [PacketType.UNSUBACK]: "unsuback",
    [PacketType.PINGRESP]: "pingresp",
}

/** Where our packet and mqtt-packet's differ, or null. */
function differ(ours: MqttPacket, theirs: Theirs | undefined): string | null {
    if (theirs === undefined) return "mqtt-packet produced fewer packets"
    if (CMD[ours.type] !== theirs.cmd) return `type ${ours.type} vs ${theirs.cmd}`
    // mqtt-packet sets every field on every packet (null, false, 0); compare those the type has
    const is = (type: PacketType) => ours.type === type
    const publish = is(PacketType.PUBLISH)
    const pairs: [string, unknown, unknown][] = [
        ["sessionPresent", ours.sessionPresent, is(PacketType.CONNACK) ? theirs.sessionPresent : undefined],
        ["returnCode", ours.returnCode, is(PacketType.CONNACK) ? theirs.returnCode : undefined],
        ["topic", ours.topic, publish ? theirs.topic : undefined],
        ["qos", ours.qos, publish ? theirs.qos : undefined],
        ["retain", ours.retain, publish ? theirs.retain : undefined],
        ["dup", ours.dup, publish ? theirs.dup : undefined],
        ["packetId", ours.packetId, theirs.messageId],
        [
            "granted",
            JSON.stringify(ours.granted),
            is(PacketType.SUBACK) ? JSON.stringify(theirs.granted) : undefined,
        ],
        [
            "payload",
            ours.payload && toBuffer(ours.payload).toString("hex"),
            publish ? (theirs.payload as Buffer).toString("hex") : undefined,
        ],
    ]
    for (const [name, a, b] of pairs) if (a !== b) return `${name}: ${String(a)} vs ${String(b)}`
    return null
}

test(`${COUNT} random buffers end in packets or a named error (seed ${SEED})`, t => {
    const outcomes: Record<string, number> = { packets: 0, waiting: 0 }
    const failures: string[] = []
    let slowest = 0
    for (let i = 0; i < COUNT && failures.length < 5; i++) {
        const buf = Buffer.from(generate())
        const max = random() < 0.5 ? undefined : 2 + int(255)
        const parser = new PacketParser(nodeBytes, max)
        const packets: MqttPacket[] = []
        let error: ParseError | null = null
        const where = `#${i} ${buf.toString("hex")} max ${max}`
        try {
            for (const chunk of chunks(buf)) {
                const started = performance.now()
                const returned = parser.feed(chunk, p => packets.push(p))
                slowest = Math.max(slowest, performance.now() - started)
                if (returned !== null) {
                    if (error !== null && returned !== error)
                        failures.push(`${where}: the error changed after it was reported`)
                    error = returned
                }
            }
        } catch (e) {
            failures.push(`${where}: threw ${String(e)}`)
            continue
        }
        if (error !== null) {
            if (!CODES.includes(error.code)) failures.push(`${where}: unnamed error code ${error.code}`)
            if (!(error.message.length > 10)) failures.push(`${where}: empty message for ${error.code}`)
            if (parser.error !== error) failures.push(`${where}: parser.error is not the returned error`)
            if (
                parser.feed(Buffer.from([0xd0, 0]), () =>
                    failures.push(`${where}: packet after an error`),
                ) !== error
            )
                failures.push(`${where}: the error is not sticky`)
            outcomes[error.code] = (outcomes[error.code] ?? 0) + 1
        } else {
            outcomes[packets.length > 0 ? "packets" : "waiting"]++
        }
        // Everything we accept, mqtt-packet accepts the same way (it is more lenient, never stricter)
        if (packets.length > 0 && max === undefined) {
            const theirs = theirPackets(buf)
            packets.forEach((p, k) => {
                const d = differ(p, theirs[k] as Theirs | undefined)
                if (d !== null) failures.push(`${where}: packet ${k + 1} differs from mqtt-packet: ${d}`)
            })
        }
    }
    t.log(`outcomes: ${JSON.stringify(outcomes)}; slowest feed ${slowest.toFixed(2)} ms`)
    t.deepEqual(failures, [])
    t.true(slowest < SLOW_FEED_MS, `slowest feed took ${slowest} ms`)
    // The generator must reach every error code and plenty of valid packets
    for (const code of CODES) t.true((outcomes[code] ?? 0) > 0, `no input ended in ${code}`)
    t.true(outcomes.packets > COUNT / 20)
})
