/**
 * Decoding of one complete packet body (the bytes its Remaining Length covers) into an
 * MqttPacket, §3. Reads go through a bounds-checked Reader that records the first error
 * instead of throwing, so no malformed input can escape as an exception.
 */
import type { ByteArray, ByteKit } from "../bytes.js"
import type { ParseError, ParseErrorCode } from "./errors.js"
import { parseError } from "./errors.js"
import { count, hexByte } from "./format.js"
import type { MqttPacket } from "./packets.js"
import { PacketType, SUBACK_FAILURE, packetTypeName } from "./packets.js"
import { topicNameError } from "./topics.js"
import { mqttUtf8Error } from "./utf8.js"

/** Result of decoding one body: exactly one of the two is set. */
export interface DecodeResult {
    packet?: MqttPacket
    error?: ParseError
}

class Reader {
    kit: ByteKit
    buf: ByteArray
    pos: number
    start: number
    end: number
    what: string
    error: ParseError | null

    constructor(kit: ByteKit, buf: ByteArray, start: number, end: number, what: string) {
        this.kit = kit
        this.buf = buf
        this.pos = start
        this.start = start
        this.end = end
        this.what = what
        this.error = null
    }

    fail(code: ParseErrorCode, message: string) {
        if (this.error === null) this.error = parseError(code, message)
    }

    /** False (and an error) unless `n` more bytes exist before the end of the packet. */
    has(n: number, field: string): boolean {
        if (this.error !== null) return false
        if (this.pos + n <= this.end) return true
        this.fail(
            "truncated",
            `${this.what} ${field} runs past the end of the packet (remaining length ${this.end - this.start})`,
        )
        return false
    }

    u8(field: string): number {
        if (!this.has(1, field)) return 0
        return this.buf[this.pos++]
    }

    u16(field: string): number {
        if (!this.has(2, field)) return 0
        const v = this.buf[this.pos] * 256 + this.buf[this.pos + 1]
        this.pos += 2
        return v
    }

    /** A packet identifier, never 0 [MQTT-2.3.1-1]. */
    packetId(): number {
        const id = this.u16("packet id")
        if (this.error === null && id === 0) this.fail("malformed", `${this.what} packet id must not be 0`)
        return id
    }

    /** A length-prefixed UTF-8 string, §1.5.3. */
    utf8(field: string): string {
        const n = this.u16(`${field} length`)
        if (!this.has(n, field)) return ""
        const bad = mqttUtf8Error(this.buf, this.pos, this.pos + n)
        if (bad !== null) {
            this.fail("bad-utf8", `${this.what} ${field} is not valid MQTT UTF-8: ${bad}`)
            return ""
        }
        const text = this.kit.decodeUtf8(this.buf, this.pos, this.pos + n)
        this.pos += n
        return text
    }

    /** Everything up to the end of the packet. */
    rest(): ByteArray {
        const bytes = this.kit.slice(this.buf, this.pos, this.end)
        this.pos = this.end
        return bytes
    }

    /** The error, if any; else a `trailing` error when bytes are left over. */
    finish(): ParseError | null {
        if (this.error === null && this.pos < this.end) {
            const left = this.end - this.pos
            this.fail(
                "trailing",
                `${this.what} has ${count(left, "byte")} after its last field (remaining length ${this.end - this.start})`,
            )
        }
        return this.error
    }
}

function connack(r: Reader, p: MqttPacket) {
    const ack = r.u8("acknowledge-flags byte")
    const code = r.u8("return-code byte")
    if (r.error !== null) return
    // §3.2.2.1: bits 7-1 of the acknowledge flags are reserved and must be 0
    if ((ack & 0xfe) !== 0)
        return r.fail("bad-flags", `CONNACK acknowledge flags must be 0x00 or 0x01, got ${hexByte(ack)}`)
    if (code > 5) return r.fail("malformed", `CONNACK return code ${code} is reserved`) // §3.2.2.3 Table 3.1
    // [MQTT-3.2.2-4]: a refused connection has no session
    if (code !== 0 && ack !== 0)
        return r.fail("malformed", `CONNACK with return code ${code} must not set session present`)
    p.sessionPresent = ack === 1
    p.returnCode = code
}

function publish(r: Reader, p: MqttPacket, flags: number) {
    p.dup = (flags & 0x08) !== 0
    p.qos = (flags >> 1) & 0x03
    p.retain = (flags & 0x01) !== 0
    const topic = r.utf8("topic")
    if (r.error !== null) return
    const bad = topicNameError(topic) // [MQTT-3.3.2-1], [MQTT-3.3.2-2], [MQTT-4.7.3-1]
    if (bad !== null) return r.fail("bad-topic", `PUBLISH ${bad}`)
    p.topic = topic
    if (p.qos > 0) p.packetId = r.packetId() // §3.3.2.2: only QoS 1 and 2 carry one
    if (r.error !== null) return
    p.payload = r.rest() // §3.3.3: zero length is allowed
}

function suback(r: Reader, p: MqttPacket) {
    p.packetId = r.packetId()
    if (r.error !== null) return
    if (r.pos === r.end) return r.fail("malformed", "SUBACK must carry at least one return code") // §3.9.3
    const granted: number[] = []
    while (r.pos < r.end) {
        const code = r.u8("return code")
        // [MQTT-3.9.3-2]: 0x00, 0x01, 0x02 or 0x80; the rest are reserved
        if (code > 2 && code !== SUBACK_FAILURE)
            return r.fail("malformed", `SUBACK return code ${hexByte(code)} must be 0x00, 0x01, 0x02 or 0x80`)
        granted.push(code)
    }
    p.granted = granted
}

/**
 * Decodes the body buf[start..end) of a packet whose first header byte is `header`.
 * The parser has already checked the type and the fixed-header flags.
 */
export function decodePacket(
    kit: ByteKit,
    header: number,
    buf: ByteArray,
    start: number,
    end: number,
): DecodeResult {
    const type: PacketType = header >> 4
    const r = new Reader(kit, buf, start, end, packetTypeName(type))
    const p: MqttPacket = { type: type }
    switch (type) {
        case PacketType.CONNACK:
            connack(r, p)
            break
        case PacketType.PUBLISH:
            publish(r, p, header & 0x0f)
            break
        case PacketType.PUBACK:
        case PacketType.PUBREC:
        case PacketType.PUBREL:
        case PacketType.PUBCOMP:
        case PacketType.UNSUBACK:
            p.packetId = r.packetId()
            break
        case PacketType.SUBACK:
            suback(r, p)
            break
        case PacketType.PINGRESP:
            break
        default:
            r.fail("unexpected-type", `${packetTypeName(type)} is never sent to a client`)
    }
    const error = r.finish()
    if (error !== null) return { error: error }
    return { packet: p }
}
