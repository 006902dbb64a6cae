/**
 * Incremental MQTT 3.1.1 parser for the client side of a connection.
 *
 * A state machine (header → length → body) that accepts any chunk boundary: one byte
 * at a time or many packets per chunk. Every malformed input ends in a named
 * ParseError, reported as early as the bytes allow (type and flags on the first byte,
 * size as soon as the length is known). After an error the parser is sticky: it refuses
 * input until reset(), because the stream position is lost [MQTT-4.8.0-1].
 *
 * A PUBLISH bigger than maxPacketSize is either fatal ("too-large", the default) or, with
 * `skipOversize`, skipped: the parser keeps only its head (topic and packet id), discards
 * the rest as it streams past, counted by the Remaining Length so it stays in step with
 * the stream, and hands on a PUBLISH with `oversize` set and no payload. The caller can
 * then acknowledge it (QoS 1) and say so, and the connection lives on. Nothing is
 * buffered while skipping, so a 1 MB packet in a thousand chunks costs a few
 * instructions per chunk (DeviceScript's per-step budget holds).
 *
 * A PUBLISH payload may share memory with the chunk it came in (Node: a subarray), so a
 * caller that reuses its read buffer must copy payloads it keeps. On DeviceScript keep
 * maxPacketSize modest: the VM allows only ~128 Ki instructions between awaits, and
 * bodies split across chunks are assembled with ByteKit.copy (see protocol/bytes.ts).
 */
import type { ByteArray, ByteKit } from "../bytes.js"
import { decodePacket } from "./decode.js"
import type { ParseError } from "./errors.js"
import { parseError } from "./errors.js"
import { hexByte } from "./format.js"
import type { MqttPacket } from "./packets.js"
import { MAX_PACKET_SIZE, PacketType, packetTypeName } from "./packets.js"
import { topicNameError } from "./topics.js"
import { mqttUtf8Error } from "./utf8.js"

export type { ParseError, ParseErrorCode } from "./errors.js"

const enum State {
    Header,
    Length,
    Body,
    /** Discarding the body of an oversize PUBLISH, keeping its head. */
    Skip,
}

/** Head bytes kept from a skipped PUBLISH: the topic length and a topic of up to 256 bytes. */
const SKIP_HEAD_BYTES = 258

/**
 * The fixed-header flags a server-to-client packet must carry, §2.2.2 Table 2.2, or -1
 * for PUBLISH (checked separately), or -2 for types a client never receives.
 */
const REQUIRED_FLAGS = [
    -2, // 0 reserved
    -2, // CONNECT
    0, // CONNACK
    -1, // PUBLISH
    0, // PUBACK
    0, // PUBREC
    2, // PUBREL
    0, // PUBCOMP
    -2, // SUBSCRIBE
    0, // SUBACK
    -2, // UNSUBSCRIBE
    0, // UNSUBACK
    -2, // PINGREQ
    0, // PINGRESP
    -2, // DISCONNECT
    -2, // 15 reserved
]

/** Checks the first byte of a packet; null when it may start a packet to a client. */
export function headerError(header: number): ParseError | null {
    const type = header >> 4
    const flags = header & 0x0f
    const required = REQUIRED_FLAGS[type]
    if (type === 0 || type === 15) return parseError("unexpected-type", `Packet type ${type} is reserved`)
    if (required === -2)
        return parseError("unexpected-type", `${packetTypeName(type)} is never sent to a client`)
    if (required === -1) {
        const qos = (flags >> 1) & 0x03
        if (qos === 3) return parseError("bad-flags", "PUBLISH QoS must be 0, 1 or 2, got 3") // [MQTT-3.3.1-4]
        if (qos === 0 && (flags & 0x08) !== 0)
            return parseError("bad-flags", "PUBLISH with QoS 0 must not set DUP") // [MQTT-3.3.1-2]
        return null
    }
    // [MQTT-2.2.2-1], [MQTT-2.2.2-2]
    if (flags !== required)
        return parseError(
            "bad-flags",
            `${packetTypeName(type)} fixed-header flags must be ${hexByte(required)}, got ${hexByte(flags)}`,
        )
    return null
}

export class PacketParser {
    /** The sticky error, or null while the stream is fine. */
    error: ParseError | null
    /** Largest whole packet (fixed header included) this parser accepts, in bytes. */
    maxPacketSize: number

    private kit: ByteKit
    private state: State = State.Header
    private header = 0
    /** Remaining Length of the packet being read, §2.2.3. */
    private remaining = 0
    private lengthBytes = 0
    private multiplier = 1
    /** Body being assembled across chunks; null while none is. */
    private body: ByteArray | null = null
    private filled = 0
    /** Skip an oversize PUBLISH instead of failing (see the file comment). */
    private skipOversize: boolean
    /** While skipping: the first bytes of the body, and the packet id once seen. */
    private head: ByteArray | null = null
    private skipId = 0

    /**
     * `maxPacketSize` defaults to the protocol maximum, 268,435,460 bytes. With
     * `skipOversize` a PUBLISH over it is skipped and reported instead of fatal.
     */
    constructor(kit: ByteKit, maxPacketSize?: number, skipOversize?: boolean) {
        const max = maxPacketSize === undefined || maxPacketSize === null ? MAX_PACKET_SIZE : maxPacketSize
        if (!(max >= 2 && max <= MAX_PACKET_SIZE))
            throw new Error(`mqtt: maxPacketSize must be from 2 to ${MAX_PACKET_SIZE}, got ${maxPacketSize}`)
        this.kit = kit
        this.maxPacketSize = max
        this.skipOversize = skipOversize === true
        this.error = null
        this.reset()
    }

    /** Forgets any partial packet and any error, ready for a new connection. */
    reset() {
        this.error = null
        this.state = State.Header
        this.header = 0
        this.remaining = 0
        this.lengthBytes = 0
        this.multiplier = 1
        this.body = null
        this.filled = 0
        this.head = null
        this.skipId = 0
    }

    /**
     * Parses `chunk`, calling `onPacket` for each complete packet in order. Returns null
     * when all is well (a partial packet waits for the next chunk), else the error,
     * which also stays in `error`. If `onPacket` throws, the parser becomes sticky with
     * code "callback" and the exception propagates.
     */
    feed(chunk: ByteArray, onPacket: (packet: MqttPacket) => void): ParseError | null {
        if (this.error !== null) return this.error
        const n = chunk.length
        let i = 0
        while (i < n) {
            if (this.state === State.Header) {
                const header = chunk[i++]
                const bad = headerError(header)
                if (bad !== null) return this.fail(bad)
                this.header = header
                this.remaining = 0
                this.lengthBytes = 0
                this.multiplier = 1
                this.state = State.Length
            } else if (this.state === State.Length) {
                const b = chunk[i++]
                this.remaining += (b & 0x7f) * this.multiplier
                this.multiplier *= 128
                this.lengthBytes++
                if ((b & 0x80) !== 0) {
                    // §2.2.3: at most 4 bytes, so the 4th may not announce a 5th
                    if (this.lengthBytes === 4)
                        return this.fail(
                            parseError(
                                "bad-length",
                                `Invalid variable byte integer: ${this.typeName()} remaining length has more than 4 bytes`,
                            ),
                        )
                    continue
                }
                const size = 1 + this.lengthBytes + this.remaining
                if (
                    size > this.maxPacketSize &&
                    this.skipOversize &&
                    this.header >> 4 === PacketType.PUBLISH
                ) {
                    this.state = State.Skip
                    this.head = this.kit.alloc(
                        this.remaining < SKIP_HEAD_BYTES ? this.remaining : SKIP_HEAD_BYTES,
                    )
                    this.skipId = 0
                    this.filled = 0
                    continue
                }
                if (size > this.maxPacketSize)
                    return this.fail(
                        parseError(
                            "too-large",
                            `${this.typeName()} of ${size} bytes exceeds the maximum packet size of ${this.maxPacketSize} bytes`,
                        ),
                    )
                if (this.remaining === 0) {
                    const err = this.emit(chunk, i, i, onPacket)
                    if (err !== null) return err
                } else {
                    this.state = State.Body
                    this.body = null
                    this.filled = 0
                }
            } else if (this.state === State.Skip) {
                const need = this.remaining - this.filled
                const avail = n - i
                const take = avail < need ? avail : need
                this.skipPart(chunk, i, take)
                i += take
                if (this.filled === this.remaining) {
                    const err = this.emitSkipped(onPacket)
                    if (err !== null) return err
                }
            } else {
                const need = this.remaining - this.filled
                const avail = n - i
                if (this.filled === 0 && avail >= need) {
                    // Whole body in this chunk: decode in place, no copy
                    const start = i
                    i += need
                    const err = this.emit(chunk, start, i, onPacket)
                    if (err !== null) return err
                } else {
                    if (this.body === null) this.body = this.kit.alloc(this.remaining)
                    const body = this.body
                    const take = avail < need ? avail : need
                    this.kit.copy(chunk, i, body, this.filled, take)
                    this.filled += take
                    i += take
                    if (this.filled === this.remaining) {
                        const err = this.emit(body, 0, this.remaining, onPacket)
                        if (err !== null) return err
                    }
                }
            }
        }
        return null
    }

    /** Consumes chunk[at, at + take) of a skipped body: the head is kept, the id picked out. */
    private skipPart(chunk: ByteArray, at: number, take: number) {
        const head = this.head as ByteArray
        const from = this.filled
        if (from < head.length) {
            const keep = take < head.length - from ? take : head.length - from
            this.kit.copy(chunk, at, head, from, keep)
        }
        this.filled = from + take
        if (((this.header >> 1) & 0x03) === 0 || head.length < 2 || this.filled < 2) return
        // §3.3.2.2: the packet id follows the topic; it may lie past the kept head.
        const idAt = 2 + head[0] * 256 + head[1]
        if (idAt >= from && idAt < this.filled) this.skipId += chunk[at + idAt - from] * 256
        if (idAt + 1 >= from && idAt + 1 < this.filled) this.skipId += chunk[at + idAt + 1 - from]
    }

    /** The skipped PUBLISH as a packet without payload, `oversize` set to its size. */
    private emitSkipped(onPacket: (packet: MqttPacket) => void): ParseError | null {
        const head = this.head as ByteArray
        const flags = this.header & 0x0f
        const qos = (flags >> 1) & 0x03
        const p: MqttPacket = {
            type: PacketType.PUBLISH,
            dup: (flags & 0x08) !== 0,
            qos: qos,
            retain: (flags & 0x01) !== 0,
        }
        p.oversize = 1 + this.lengthBytes + this.remaining
        this.state = State.Header
        this.head = null
        this.filled = 0
        if (head.length < 2)
            return this.fail(
                parseError(
                    "truncated",
                    `PUBLISH topic length runs past the end of the packet (remaining length ${this.remaining})`,
                ),
            )
        const topicEnd = 2 + head[0] * 256 + head[1]
        if (topicEnd > this.remaining)
            return this.fail(
                parseError(
                    "truncated",
                    `PUBLISH topic runs past the end of the packet (remaining length ${this.remaining})`,
                ),
            )
        if (topicEnd <= head.length) {
            // Same rules as a whole PUBLISH: [MQTT-1.5.3-1], [MQTT-1.5.3-2], §4.7
            const bad = mqttUtf8Error(head, 2, topicEnd)
            if (bad !== null)
                return this.fail(parseError("bad-utf8", `PUBLISH topic is not valid MQTT UTF-8: ${bad}`))
            const topic = this.kit.decodeUtf8(head, 2, topicEnd)
            const badTopic = topicNameError(topic)
            if (badTopic !== null) return this.fail(parseError("bad-topic", `PUBLISH ${badTopic}`))
            p.topic = topic
        }
        if (qos > 0) {
            if (topicEnd + 2 > this.remaining)
                return this.fail(
                    parseError(
                        "truncated",
                        `PUBLISH packet id runs past the end of the packet (remaining length ${this.remaining})`,
                    ),
                )
            if (this.skipId === 0)
                return this.fail(parseError("malformed", "PUBLISH packet id must not be 0")) // [MQTT-2.3.1-1]
            p.packetId = this.skipId
        }
        try {
            onPacket(p)
        } catch (e) {
            this.fail(parseError("callback", "onPacket threw while handling PUBLISH"))
            throw e
        }
        return null
    }

    private typeName(): string {
        return packetTypeName(this.header >> 4)
    }

    private fail(error: ParseError): ParseError {
        this.error = error
        this.body = null
        return error
    }

    private emit(
        buf: ByteArray,
        start: number,
        end: number,
        onPacket: (packet: MqttPacket) => void,
    ): ParseError | null {
        const result = decodePacket(this.kit, this.header, buf, start, end)
        // Ready for the next packet before the callback runs
        this.state = State.Header
        this.body = null
        this.filled = 0
        const error = result.error
        if (error) return this.fail(error)
        const packet = result.packet as MqttPacket
        try {
            onPacket(packet)
        } catch (e) {
            this.fail(parseError("callback", `onPacket threw while handling ${this.typeName()}`))
            throw e
        }
        return null
    }
}
