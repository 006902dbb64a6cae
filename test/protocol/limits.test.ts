/**
 * Sizes and encodings at their limits, on Node only (too big for the DeviceScript heap,
 * or strings DeviceScript cannot even hold): a real 2 MB PUBLISH, the 268,435,455 length
 * ceiling without allocating it, 65,535-byte fields, lone surrogates, and UTF-8
 * validation against TextDecoder as an oracle.
 */
import test from "ava"
import mqttPacket from "mqtt-packet"
import { nodeBytes, toBuffer } from "../../lib/bytes-node.js"
import type { ByteArray } from "../../protocol/bytes.js"
import type { MqttPacket } from "../../protocol/mqtt/index.js"
import {
    PacketParser,
    encodeConnect,
    encodePublish,
    mqttUtf8Error,
    stringError,
    topicNameError,
    utf8Length,
    writeRemainingLength,
} from "../../protocol/mqtt/index.js"

const kit = nodeBytes

function decodeAll(chunks: Buffer[], max?: number): { packets: MqttPacket[]; error: string | null } {
    const parser = new PacketParser(kit, max)
    const packets: MqttPacket[] = []
    for (const chunk of chunks) {
        const error = parser.feed(chunk, p => packets.push(p))
        if (error !== null) return { packets, error: `${error.code}: ${error.message}` }
    }
    return { packets, error: null }
}

function split(buf: Buffer, size: number): Buffer[] {
    const out: Buffer[] = []
    for (let at = 0; at < buf.length; at += size) out.push(buf.subarray(at, at + size))
    return out
}

test("a 2 MB PUBLISH (4-byte remaining length) round-trips, whole and in chunks", t => {
    const payload = Buffer.alloc(2 * 1024 * 1024 + 7)
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 31 + 7) & 0xff
    const packet = toBuffer(
        encodePublish(kit, { topic: "big/€", payload, qos: 1, retain: true, packetId: 513 }),
    )
    const remaining = 2 + 7 + 2 + payload.length // topic "big/€" is 7 bytes: 2097170 = 2097152 + 18
    t.deepEqual(
        [...packet.subarray(0, 5)],
        [
            0x33, // PUBLISH, QoS 1, retain
            0x92,
            0x80,
            0x80,
            0x01, // Remaining length 2097170: 18 + 0 + 0 + 1 × 128³
        ],
    )
    t.is(packet.length, 1 + 4 + remaining)
    t.true(
        packet.equals(
            mqttPacket.generate({
                cmd: "publish",
                topic: "big/€",
                payload,
                qos: 1,
                retain: true,
                dup: false,
                messageId: 513,
            }),
        ),
    )
    for (const chunks of [
        [packet],
        split(packet, 65536),
        split(packet, 1000),
        [packet.subarray(0, 3), packet.subarray(3)],
    ]) {
        const { packets, error } = decodeAll(chunks)
        t.is(error, null)
        t.is(packets.length, 1)
        t.is(packets[0].topic, "big/€")
        t.is(packets[0].packetId, 513)
        t.true(toBuffer(packets[0].payload as ByteArray).equals(payload))
    }
    t.is(decodeAll([packet], packet.length).error, null, "exactly at the maximum packet size")
    t.is(
        decodeAll([packet], packet.length - 1).error,
        `too-large: PUBLISH of ${packet.length} bytes exceeds the maximum packet size of ${packet.length - 1} bytes`,
    )
})

test("remaining length 268,435,455: announced without allocating, refused above a maximum", t => {
    const header = Buffer.from([0x30, 0xff, 0xff, 0xff, 0x7f])
    const parser = new PacketParser(kit)
    t.is(
        parser.feed(header, () => t.fail()),
        null,
        "waits for the body; allocates nothing yet",
    )
    t.is(parser.error, null)
    t.is(
        decodeAll([header], 1 << 20).error,
        "too-large: PUBLISH of 268435460 bytes exceeds the maximum packet size of 1048576 bytes",
    )
})

test("remaining length: every width decodes to what was encoded", t => {
    const samples = [
        0, 1, 127, 128, 129, 16383, 16384, 16385, 2097151, 2097152, 2097153, 268435454, 268435455,
    ]
    for (let k = 0; k < 200; k++) samples.push(Math.floor(Math.random() * 268435456))
    for (const n of samples) {
        const field = Buffer.alloc(4)
        const end = writeRemainingLength(field, 0, n)
        const wire = Buffer.concat([Buffer.from([0xd0]), field.subarray(0, end)])
        // A 2-byte maximum turns any body into a too-large error that names the decoded size
        const { packets, error } = decodeAll([wire], 2)
        if (n === 0) t.is(packets.length, 1, "PINGRESP")
        else
            t.is(
                error,
                `too-large: PINGRESP of ${1 + end + n} bytes exceeds the maximum packet size of 2 bytes`,
                `${n}`,
            )
    }
})

test("PUBLISH above 268,435,455 bytes is refused before allocating", t => {
    const huge: ByteArray = { length: 268435453 } // never read: the size check comes first
    t.throws(() => encodePublish(kit, { topic: "t", payload: huge, qos: 0, retain: false }), {
        message: "mqtt: PUBLISH is too large: remaining length 268435456 exceeds 268435455",
    })
})

test("string fields: 65,535 UTF-8 bytes fit, one more does not", t => {
    const base = { cleanSession: true, keepAlive: 60 }
    const fits = ["a".repeat(65535), "€".repeat(21845), "😀".repeat(16383) + "abc"]
    for (const clientId of fits) {
        t.is(utf8Length(clientId), 65535)
        const packet = toBuffer(encodeConnect(kit, { ...base, clientId }))
        const at = packet.length - 65535 - 2
        t.deepEqual([...packet.subarray(at, at + 2)], [0xff, 0xff], "client id length prefix")
        t.true(
            packet.equals(
                mqttPacket.generate({
                    cmd: "connect",
                    clientId,
                    clean: true,
                    keepalive: 60,
                    protocolVersion: 4,
                }),
            ),
        )
    }
    const over = ["a".repeat(65536), "€".repeat(21845) + "a", "😀".repeat(16384)]
    for (const clientId of over) {
        t.throws(() => encodeConnect(kit, { ...base, clientId }), {
            message: "mqtt: CONNECT client id is 65536 bytes in UTF-8, more than 65535",
        })
        t.is(topicNameError(clientId), "topic name is 65536 bytes in UTF-8, more than 65535")
    }
    t.throws(
        () => encodeConnect(kit, { ...base, clientId: "a", username: "u", password: Buffer.alloc(65536) }),
        {
            message: "mqtt: CONNECT password is 65536 bytes, more than 65535",
        },
    )
    t.throws(
        () =>
            encodeConnect(kit, {
                ...base,
                clientId: "a",
                will: { topic: "w", payload: Buffer.alloc(65536), qos: 0, retain: false },
            }),
        {
            message: "mqtt: CONNECT will payload is 65536 bytes, more than 65535",
        },
    )
    t.notThrows(() =>
        encodeConnect(kit, { ...base, clientId: "a", username: "u", password: Buffer.alloc(65535) }),
    )
})

test("a PUBLISH with a 65,535-byte topic decodes", t => {
    const topic = "é".repeat(32767) + "a"
    const wire = mqttPacket.generate({
        cmd: "publish",
        topic,
        payload: Buffer.from("p"),
        qos: 0,
        retain: false,
        dup: false,
    })
    const { packets, error } = decodeAll([wire])
    t.is(error, null)
    t.is(packets[0].topic, topic)
})

test("lone surrogates (Node strings only) are refused, pairs are fine", t => {
    t.is(stringError("a\uD800b"), "contains a lone surrogate U+D800")
    t.is(stringError("\uDC00"), "contains a lone surrogate U+DC00")
    t.is(stringError("x\uD83D"), "contains a lone surrogate U+D83D")
    t.is(stringError("\uD83D\uDE00"), null)
    t.is(topicNameError("a/\uDFFF"), "topic name contains a lone surrogate U+DFFF")
    t.throws(() => encodeConnect(kit, { clientId: "\uD83D", cleanSession: true, keepAlive: 1 }), {
        message: "mqtt: CONNECT client id contains a lone surrogate U+D83D",
    })
    t.throws(() => encodePublish(kit, { topic: "t/\uDE00", payload: [], qos: 0, retain: false }), {
        message: "mqtt: PUBLISH topic name contains a lone surrogate U+DE00",
    })
})

test("U+FFFF and other non-characters are allowed (§1.5.3 only says SHOULD NOT)", t => {
    const topic = "\uFFFF/\uFDD0/\u0001/\u007F"
    const wire = toBuffer(encodePublish(kit, { topic, payload: [], qos: 0, retain: false }))
    const { packets, error } = decodeAll([wire])
    t.is(error, null)
    t.is(packets[0].topic, topic)
})

test("utf8Length equals Buffer.byteLength on random well-formed strings", t => {
    let seed = 7
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    for (let k = 0; k < 2000; k++) {
        let s = ""
        const n = Math.floor(next() * 20)
        for (let i = 0; i < n; i++) {
            const range = [0x7f, 0x7ff, 0xd7ff, 0x10ffff][Math.floor(next() * 4)]
            let cp = 1 + Math.floor(next() * range)
            if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xe000
            s += String.fromCodePoint(cp)
        }
        t.is(utf8Length(s), Buffer.byteLength(s), JSON.stringify(s))
        t.is(stringError(s), null)
    }
})

test("mqttUtf8Error agrees with a fatal TextDecoder on 50,000 random byte strings", t => {
    const decoder = new TextDecoder("utf-8", { fatal: true })
    const interesting = [
        0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0x90,
        0xa0, 0x9f,
    ]
    let seed = 99
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648
    let disagreements = 0
    for (let k = 0; k < 50000; k++) {
        const bytes = Array.from({ length: Math.floor(next() * 7) }, () =>
            next() < 0.7 ? interesting[Math.floor(next() * interesting.length)] : Math.floor(next() * 256),
        )
        let valid = !bytes.includes(0)
        try {
            decoder.decode(new Uint8Array(bytes))
        } catch {
            valid = false
        }
        const ours = mqttUtf8Error(bytes, 0, bytes.length) === null
        if (ours !== valid && disagreements++ < 5)
            t.fail(`${Buffer.from(bytes).toString("hex")}: ours ${ours}, TextDecoder ${valid}`)
    }
    t.is(disagreements, 0)
})
