/**
 * The shared codec vectors (firmware/test/vectors.ts) on Node: every vector encoded or
 * decoded whole, one byte at a time, in random chunks, and all of them back to back.
 * The same vectors run inside the DeviceScript VM (codec-vm.test.ts).
 */
import test from "ava"
import { nodeBytes, toBuffer } from "../../lib/bytes-node.js"
import type { MqttPacket, ParseError } from "../../protocol/mqtt/index.js"
import {
    PacketParser,
    PacketType,
    connackReason,
    mqttUtf8Error,
    remainingLengthSize,
    writeRemainingLength,
} from "../../protocol/mqtt/index.js"
import {
    type DecodeVector,
    connackReasonCases,
    decodeErrorVectors,
    skipVectors,
    decodeMismatch,
    decodeVectors,
    encodeCall,
    encodeErrorVectors,
    encodeVectors,
    makeWire,
    remainingLengthCases,
    utf8Cases,
    wireMismatch,
} from "../../firmware/test/vectors.js"

const kit = nodeBytes

/** Feeds `chunks` in order; returns what came out. */
function run(v: DecodeVector, chunks: Buffer[]): string | null {
    const parser = new PacketParser(kit, v.maxPacketSize, v.skipOversize)
    const packets: MqttPacket[] = []
    let error: ParseError | null = null
    for (const chunk of chunks) {
        error = parser.feed(chunk, p => packets.push(p))
        if (error !== null) break
    }
    return decodeMismatch(kit, v, packets, error)
}

function wire(v: DecodeVector): Buffer {
    return toBuffer(makeWire(kit, v))
}

function bytewise(buf: Buffer): Buffer[] {
    const out: Buffer[] = []
    for (let i = 0; i < buf.length; i++) out.push(buf.subarray(i, i + 1))
    return out
}

/** Small seeded PRNG (mulberry32) so every run splits the same way. */
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

function randomSplit(buf: Buffer, random: () => number): Buffer[] {
    const out: Buffer[] = []
    let at = 0
    while (at < buf.length) {
        const n = 1 + Math.floor(random() * Math.min(buf.length - at, random() < 0.5 ? 8 : 4096))
        out.push(buf.subarray(at, at + n))
        at += n
    }
    return out
}

const allDecode = [...decodeVectors(), ...decodeErrorVectors(), ...skipVectors()]
const SPLIT_SEED = 20240611

for (const v of encodeVectors()) {
    test(`encode: ${v.name}`, t => {
        t.is(wireMismatch(kit, encodeCall(kit, v), v), null)
    })
}

for (const v of encodeErrorVectors()) {
    test(`encode error: ${v.name}`, t => {
        t.throws(() => encodeCall(kit, v), { message: v.message })
    })
}

for (const v of allDecode) {
    test(`decode: ${v.name}`, t => {
        const buf = wire(v)
        t.is(run(v, [buf]), null, "whole chunk")
        t.is(run(v, bytewise(buf)), null, "one byte at a time")
        const random = prng(SPLIT_SEED)
        for (let k = 0; k < 5; k++)
            t.is(run(v, randomSplit(buf, random)), null, `random split ${k} (seed ${SPLIT_SEED})`)
    })
}

test("decode: every vector back to back in one chunk, each error vector last", t => {
    const plain = decodeVectors().filter(v => v.maxPacketSize === undefined)
    const joined: DecodeVector = { name: "all", bytes: [], packets: [] }
    const chunks: Buffer[] = []
    for (const v of plain) {
        chunks.push(wire(v))
        joined.packets.push(...v.packets)
    }
    const all = Buffer.concat(chunks)
    t.true(joined.packets.length > 20)
    t.is(run(joined, [all]), null, "one chunk")
    t.is(run(joined, bytewise(all)), null, "one byte at a time")
    for (const bad of decodeErrorVectors().filter(v => v.maxPacketSize === undefined)) {
        const v: DecodeVector = { ...bad, packets: [...joined.packets, ...bad.packets] }
        t.is(run(v, [Buffer.concat([all, wire(bad)])]), null, bad.name)
    }
})

test("decode: the same parser keeps going across many chunks and packets", t => {
    const parser = new PacketParser(kit)
    const packets: MqttPacket[] = []
    for (let round = 0; round < 3; round++) {
        for (const v of decodeVectors().filter(x => x.maxPacketSize === undefined)) {
            t.is(
                parser.feed(wire(v), p => packets.push(p)),
                null,
            )
        }
    }
    t.is(
        packets.length,
        3 *
            decodeVectors()
                .filter(x => x.maxPacketSize === undefined)
                .reduce((n, v) => n + v.packets.length, 0),
    )
})

test("parser: errors are sticky until reset", t => {
    const parser = new PacketParser(kit)
    const packets: MqttPacket[] = []
    const first = parser.feed(Buffer.from([208, 0, 0, 208, 0]), p => packets.push(p))
    t.is(first?.code, "unexpected-type")
    t.is(packets.length, 1, "the PINGRESP before the error is delivered, the one after is not")
    t.is(
        parser.feed(Buffer.from([208, 0]), p => packets.push(p)),
        first,
    )
    t.is(parser.error, first)
    t.is(packets.length, 1)
    parser.reset()
    t.is(parser.error, null)
    t.is(
        parser.feed(Buffer.from([208, 0]), p => packets.push(p)),
        null,
    )
    t.is(packets[1].type, PacketType.PINGRESP)
})

test("parser: reset drops a partial packet", t => {
    const parser = new PacketParser(kit)
    const packets: MqttPacket[] = []
    t.is(
        parser.feed(Buffer.from([48, 10, 0]), p => packets.push(p)),
        null,
    )
    parser.reset()
    t.is(
        parser.feed(Buffer.from([64, 2, 0, 9]), p => packets.push(p)),
        null,
    )
    t.deepEqual(packets, [{ type: PacketType.PUBACK, packetId: 9 }])
})

test("parser: a throwing callback propagates and makes the parser sticky", t => {
    const parser = new PacketParser(kit)
    let calls = 0
    t.throws(
        () =>
            parser.feed(Buffer.from([208, 0, 208, 0]), () => {
                calls++
                throw new Error("boom")
            }),
        { message: "boom" },
    )
    t.is(calls, 1)
    t.deepEqual(parser.error, { code: "callback", message: "onPacket threw while handling PINGRESP" })
    t.is(
        parser.feed(Buffer.from([208, 0]), () => calls++),
        parser.error,
    )
    t.is(calls, 1)
})

test("parser: empty chunks are harmless", t => {
    const parser = new PacketParser(kit)
    const packets: MqttPacket[] = []
    t.is(
        parser.feed(Buffer.alloc(0), p => packets.push(p)),
        null,
    )
    t.is(
        parser.feed(Buffer.from([208]), p => packets.push(p)),
        null,
    )
    t.is(
        parser.feed(Buffer.alloc(0), p => packets.push(p)),
        null,
    )
    t.is(
        parser.feed(Buffer.from([0]), p => packets.push(p)),
        null,
    )
    t.is(packets.length, 1)
})

test("parser: maxPacketSize is validated", t => {
    t.throws(() => new PacketParser(kit, 1), {
        message: "mqtt: maxPacketSize must be from 2 to 268435460, got 1",
    })
    t.throws(() => new PacketParser(kit, 268435461), {
        message: "mqtt: maxPacketSize must be from 2 to 268435460, got 268435461",
    })
    t.is(new PacketParser(kit).maxPacketSize, 268435460)
})

test("remaining length: encodings at every size boundary (§2.2.3 Table 2.4)", t => {
    for (const [length, bytes] of remainingLengthCases()) {
        const out = Buffer.alloc(4)
        const end = writeRemainingLength(out, 0, length)
        t.deepEqual([...out.subarray(0, end)], bytes, `${length}`)
        t.is(remainingLengthSize(length), bytes.length, `${length}`)
    }
    t.throws(() => remainingLengthSize(268435456), {
        message: "mqtt: remaining length must be an integer from 0 to 268435455, got 268435456",
    })
    t.throws(() => remainingLengthSize(-1), {
        message: "mqtt: remaining length must be an integer from 0 to 268435455, got -1",
    })
})

test("mqttUtf8Error: ranges", t => {
    for (const [bytes, start, end, expected] of utf8Cases())
        t.is(mqttUtf8Error(bytes, start, end), expected, JSON.stringify(bytes))
})

test("connackReason: every return code", t => {
    for (const [code, reason] of connackReasonCases()) t.is(connackReason(code), reason)
})
