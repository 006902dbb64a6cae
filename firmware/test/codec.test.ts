/**
 * The shared MQTT codec inside the DeviceScript VM, on the vectors the Node suite uses
 * (./vectors.ts). Run: npx devs run test/codec.test.ts --test --test-self-exit -T 60000
 *
 * Two VM limits shape this file: the heap is about 64 KB (so one test per table, vector
 * data built on demand, long wires generated rather than stored, byte-at-a-time feeding
 * through one reused 1-byte Buffer — DeviceScript's slice copies, so nothing aliases it),
 * and a fiber may run only ~128 Ki instructions between awaits (so the loops await).
 */
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import type { ByteArray } from "@fieldlink/protocol/bytes"
import type { MqttPacket, ParseError } from "@fieldlink/protocol/mqtt"
import {
    PacketParser,
    PacketType,
    connackReason,
    idError,
    mqttUtf8Error,
    remainingLengthSize,
    topicFilterError,
    topicMatches,
    topicNameError,
    utf8Length,
    writeRemainingLength,
} from "@fieldlink/protocol/mqtt"
import { dsBytes } from "../src/bytes-ds.js"
import {
    DecodeVector,
    connackReasonCases,
    decodeErrorVectors,
    decodeMismatch,
    decodeVectors,
    encodeCall,
    encodeErrorVectors,
    encodeVectors,
    idCases,
    makeWire,
    remainingLengthCases,
    skipVectors,
    topicFilterCases,
    topicMatchCases,
    topicNameCases,
    utf8Cases,
    wireByte,
    wireLength,
    wireMismatch,
} from "./vectors.js"

function ok(problem: string | null) {
    if (problem !== null) throw new Error(problem)
}

/** Lets the scheduler run, which gives the fiber a fresh instruction budget. */
async function breathe() {
    await ds.sleep(0)
}

function decodeWhole(v: DecodeVector): string | null {
    const parser = new PacketParser(dsBytes, v.maxPacketSize, v.skipOversize)
    const packets: MqttPacket[] = []
    const error = parser.feed(makeWire(dsBytes, v), p => {
        packets.push(p)
    })
    return decodeMismatch(dsBytes, v, packets, error)
}

async function decodeByteAtATime(v: DecodeVector): Promise<string | null> {
    const parser = new PacketParser(dsBytes, v.maxPacketSize, v.skipOversize)
    const packets: MqttPacket[] = []
    const one = Buffer.alloc(1)
    let error: ParseError = null
    const n = wireLength(v)
    for (let i = 0; i < n && error === null; i++) {
        one[0] = wireByte(v, i)
        error = parser.feed(one, p => {
            packets.push(p)
        })
        if (i % 512 === 511) await breathe()
    }
    return decodeMismatch(dsBytes, v, packets, error)
}

/** Runs `check` on every vector; fails naming each vector that does not pass. */
async function each<V extends { name: string }>(
    vectors: V[],
    check: (v: V) => string | null | Promise<string | null>,
) {
    const failures: string[] = []
    for (let i = 0; i < vectors.length; i++) {
        const problem = await check(vectors[i])
        if (problem !== null) failures.push(`${vectors[i].name}: ${problem}`)
        await breathe()
    }
    if (failures.length > 0)
        throw new Error(`${failures.length} of ${vectors.length} vectors failed; ${failures.join("; ")}`)
    expect(vectors.length > 0).toBe(true)
}

describe("codec vectors", () => {
    test("encode", async () => {
        await each(encodeVectors(), v => wireMismatch(dsBytes, encodeCall(dsBytes, v), v))
    })

    test("encode errors (exact messages)", async () => {
        await each(encodeErrorVectors(), v => {
            let message = "no error"
            try {
                encodeCall(dsBytes, v)
            } catch (e) {
                message = (e as Error).message
            }
            return message === v.message ? null : `threw "${message}"`
        })
    })

    test("decode, whole chunk", async () => {
        await each(decodeVectors(), decodeWhole)
    })

    test("decode errors (exact codes and messages), whole chunk", async () => {
        await each(decodeErrorVectors(), decodeWhole)
    })

    test("decode, one byte at a time", async () => {
        await each(decodeVectors(), decodeByteAtATime)
    })

    test("decode errors, one byte at a time", async () => {
        await each(decodeErrorVectors(), decodeByteAtATime)
    })

    test("oversize PUBLISH skipped, whole chunk and one byte at a time", async () => {
        await each(skipVectors(), decodeWhole)
        await each(skipVectors(), decodeByteAtATime)
    })

    test("a 1 MB PUBLISH skipped in 512-byte chunks, 128 KB between awaits", async () => {
        // A byte loop over the skipped body would cost ~16 instructions a byte and panic
        // (InfiniteLoop) long before 128 KB: skipping must cost a few per chunk.
        const parser = new PacketParser(dsBytes, 2048, true)
        const packets: MqttPacket[] = []
        const push = (p: MqttPacket) => {
            packets.push(p)
        }
        const remaining = 1000000 // 0xC0 0x84 0x3D
        const chunk = Buffer.alloc(512) // zeros: the skipped body's content does not matter
        const first = Buffer.from([50, 0xc0, 0x84, 0x3d, 0, 1, 97, 0x30, 0x39]) // QoS 1, topic "a", packet id 12345
        let error: ParseError = parser.feed(first, push)
        let left = remaining - 5
        let fed = 0
        while (left > 0 && error === null) {
            const n = left < 512 ? left : 512
            error = parser.feed(n === 512 ? chunk : chunk.slice(0, n), push)
            left -= n
            if (++fed % 256 === 0) await breathe()
        }
        if (error === null) error = parser.feed(Buffer.from([208, 0]), push)
        expect(error).toBe(null)
        expect(packets.length).toBe(2)
        expect(packets[0].oversize).toBe(1000004)
        expect(packets[0].packetId).toBe(12345)
        expect(packets[0].topic).toBe("a")
        expect(packets[1].type).toBe(PacketType.PINGRESP)
    })
})

describe("parser", () => {
    test("short vectors concatenated in one chunk", async () => {
        let total = 0
        const expected: DecodeVector = { name: "all", bytes: [], packets: [] }
        decodeVectors().forEach(v => {
            if (v.fill === undefined && v.maxPacketSize === undefined) {
                v.bytes.forEach(b => expected.bytes.push(b))
                v.packets.forEach(p => expected.packets.push(p))
                total++
            }
        })
        expect(total > 10).toBe(true)
        ok(decodeWhole(expected))
        ok(await decodeByteAtATime(expected))
    })

    test("errors are sticky until reset", () => {
        const parser = new PacketParser(dsBytes)
        const packets: MqttPacket[] = []
        const push = (p: MqttPacket) => {
            packets.push(p)
        }
        const first = parser.feed(Buffer.from([0, 0]), push)
        expect(first.code).toBe("unexpected-type")
        expect(parser.feed(Buffer.from([208, 0]), push)).toBe(first)
        expect(parser.error).toBe(first)
        expect(packets.length).toBe(0)
        parser.reset()
        expect(parser.error).toBe(null)
        expect(parser.feed(Buffer.from([208, 0]), push)).toBe(null)
        expect(packets.length).toBe(1)
        expect(packets[0].type).toBe(PacketType.PINGRESP)
    })

    test("reset drops a partial packet", () => {
        const parser = new PacketParser(dsBytes)
        const packets: MqttPacket[] = []
        const push = (p: MqttPacket) => {
            packets.push(p)
        }
        expect(parser.feed(Buffer.from([48, 10, 0]), push)).toBe(null)
        parser.reset()
        expect(parser.feed(Buffer.from([64, 2, 0, 9]), push)).toBe(null)
        expect(packets.length).toBe(1)
        expect(packets[0].packetId).toBe(9)
    })

    test("a throwing callback makes the parser sticky", () => {
        const parser = new PacketParser(dsBytes)
        let thrown = "none"
        try {
            parser.feed(Buffer.from([208, 0, 208, 0]), p => {
                throw new Error("boom")
            })
        } catch (e) {
            thrown = (e as Error).message
        }
        expect(thrown).toBe("boom")
        expect(parser.error.code).toBe("callback")
        expect(parser.error.message).toBe("onPacket threw while handling PINGRESP")
    })
})

/** Checks every row of a table, awaiting now and then to stay within the step budget. */
async function rows<R>(table: R[], check: (row: R) => void) {
    for (let i = 0; i < table.length; i++) {
        check(table[i])
        if (i % 4 === 3) await breathe()
    }
    expect(table.length > 0).toBe(true)
}

describe("tables", () => {
    test("remaining length encodings", async () => {
        await rows(remainingLengthCases(), c => {
            const out: ByteArray = Buffer.alloc(4)
            const end = writeRemainingLength(out, 0, c[0])
            expect(remainingLengthSize(c[0])).toBe(c[1].length)
            ok(wireMismatch(dsBytes, (out as Buffer).slice(0, end), { bytes: c[1] }))
        })
    })

    test("mqttUtf8Error", async () => {
        await rows(utf8Cases(), c => {
            expect(mqttUtf8Error(Buffer.from(c[0]), c[1], c[2])).toBe(c[3])
        })
    })

    test("topicMatches", async () => {
        await rows(topicMatchCases(), c => {
            if (topicMatches(c[0], c[1]) !== c[2])
                throw new Error(`topicMatches("${c[0]}", "${c[1]}") should be ${c[2]}`)
        })
    })

    test("topicFilterError", async () => {
        await rows(topicFilterCases(), c => {
            expect(topicFilterError(c[0])).toBe(c[1])
        })
    })

    test("topicNameError", async () => {
        await rows(topicNameCases(), c => {
            expect(topicNameError(c[0])).toBe(c[1])
        })
    })

    test("idError", async () => {
        await rows(idCases(), c => {
            expect(idError(c[0])).toBe(c[1])
        })
    })

    test("connackReason", async () => {
        await rows(connackReasonCases(), c => {
            expect(connackReason(c[0])).toBe(c[1])
        })
    })
})

describe("DeviceScript strings", () => {
    test("code points count as their UTF-8 length", () => {
        // Here "😀".length is 1 and charCodeAt gives the code point; in Node it is 2 units
        let s = ""
        for (let i = 0; i < 100; i++) s = s + "😀é€a"
        expect(utf8Length(s)).toBe(1000)
        expect(utf8Length(s)).toBe(dsBytes.encodeUtf8(s).length)
    })
})
