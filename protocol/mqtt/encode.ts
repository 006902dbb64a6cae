/**
 * MQTT 3.1.1 packets a client sends, §3. Each encoder computes the size first and
 * fills ONE ByteArray, so a packet goes out in one socket write. Bad arguments throw
 * `Error("mqtt: …")` naming the packet, the field and the value.
 */
import type { ByteArray, ByteKit } from "../bytes.js"
import { remainingLengthSize, writeRemainingLength } from "./length.js"
import type { ConnectOptions, PublishOptions, Subscription } from "./packets.js"
import {
    MAX_FIELD_BYTES,
    MAX_PACKET_ID,
    MAX_REMAINING_LENGTH,
    PacketType,
    packetTypeName,
} from "./packets.js"
import { topicFilterError, topicNameError } from "./topics.js"
import { stringError } from "./utf8.js"

/** Placeholder for an absent field. */
const NONE: ByteArray = []

/** Sequential writer over one pre-sized allocation. */
class Writer {
    kit: ByteKit
    buf: ByteArray
    pos: number

    constructor(kit: ByteKit, type: PacketType, flags: number, remaining: number) {
        this.kit = kit
        if (remaining > MAX_REMAINING_LENGTH)
            throw new Error(
                `mqtt: ${packetTypeName(type)} is too large: remaining length ${remaining} exceeds ${MAX_REMAINING_LENGTH}`,
            )
        this.buf = kit.alloc(1 + remainingLengthSize(remaining) + remaining)
        this.buf[0] = (type << 4) | flags
        this.pos = writeRemainingLength(this.buf, 1, remaining)
    }

    u8(value: number) {
        this.buf[this.pos++] = value
    }

    u16(value: number) {
        this.buf[this.pos++] = value >> 8
        this.buf[this.pos++] = value & 0xff
    }

    raw(bytes: ByteArray) {
        this.kit.copy(bytes, 0, this.buf, this.pos, bytes.length)
        this.pos += bytes.length
    }

    /** A length-prefixed field: §1.5.3 strings, §3.1.3.3 will message, §3.1.3.5 password. */
    field(bytes: ByteArray) {
        this.u16(bytes.length)
        this.raw(bytes)
    }
}

/** Present (DeviceScript has no `!` non-null assertion, so this guard narrows instead). */
function isSet<T>(value: T | null | undefined): value is T {
    return value !== undefined && value !== null
}

function isInt(value: number, min: number, max: number): boolean {
    return value >= min && value <= max && Math.floor(value) === value
}

function checkPacketId(what: string, id: number) {
    if (!isInt(id, 1, MAX_PACKET_ID))
        throw new Error(`mqtt: ${what} packet id must be an integer from 1 to ${MAX_PACKET_ID}, got ${id}`) // [MQTT-2.3.1-1]
}

function checkQos(what: string, qos: number) {
    if (!isInt(qos, 0, 2)) throw new Error(`mqtt: ${what} QoS must be 0, 1 or 2, got ${qos}`) // [MQTT-3.3.1-4], [MQTT-3.1.2-14], [MQTT-3-8.3-4]
}

/** UTF-8 bytes of a string field, checked against §1.5.3 (which includes its length). */
function utf8Field(kit: ByteKit, what: string, text: string): ByteArray {
    const bad = stringError(text)
    if (bad !== null) throw new Error(`mqtt: ${what} ${bad}`)
    return kit.encodeUtf8(text)
}

function binaryField(what: string, bytes: ByteArray): ByteArray {
    if (bytes.length > MAX_FIELD_BYTES)
        throw new Error(`mqtt: ${what} is ${bytes.length} bytes, more than ${MAX_FIELD_BYTES}`)
    return bytes
}

function topicName(kit: ByteKit, what: string, topic: string): ByteArray {
    const bad = topicNameError(topic)
    if (bad !== null) throw new Error(`mqtt: ${what} ${bad}`)
    return kit.encodeUtf8(topic)
}

function topicFilter(kit: ByteKit, what: string, filter: string): ByteArray {
    const bad = topicFilterError(filter)
    if (bad !== null) throw new Error(`mqtt: ${what} ${bad}`)
    return kit.encodeUtf8(filter)
}

/** CONNECT, §3.1: protocol name "MQTT", level 4, flags, keep-alive, then the payload fields in order. */
export function encodeConnect(kit: ByteKit, opts: ConnectOptions): ByteArray {
    if (!isInt(opts.keepAlive, 0, 65535))
        throw new Error(
            `mqtt: CONNECT keep-alive must be an integer from 0 to 65535 seconds, got ${opts.keepAlive}`,
        )
    // [MQTT-3.1.3-7]: a server may assign an id only to a clean session
    if (opts.clientId.length === 0 && !opts.cleanSession)
        throw new Error("mqtt: CONNECT with an empty client id must set cleanSession")
    const clientId = utf8Field(kit, "CONNECT client id", opts.clientId)
    let flags = opts.cleanSession ? 0x02 : 0
    let remaining = 10 + 2 + clientId.length // §3.1.2: 6 protocol name + 1 level + 1 flags + 2 keep-alive
    const will = opts.will
    let willTopic = NONE
    let willPayload = NONE
    if (isSet(will)) {
        checkQos("CONNECT will", will.qos)
        willTopic = topicName(kit, "CONNECT will", will.topic)
        willPayload = binaryField("CONNECT will payload", will.payload)
        flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0) // §3.1.2.5-7
        remaining += 2 + willTopic.length + 2 + willPayload.length
    }
    const username = opts.username
    const password = opts.password
    let usernameBytes = NONE
    // [MQTT-3.1.2-22]: no password without a user name
    if (isSet(password) && !isSet(username)) throw new Error("mqtt: CONNECT password needs a user name")
    if (isSet(username)) {
        usernameBytes = utf8Field(kit, "CONNECT user name", username)
        flags |= 0x80
        remaining += 2 + usernameBytes.length
    }
    if (isSet(password)) {
        binaryField("CONNECT password", password)
        flags |= 0x40
        remaining += 2 + password.length
    }
    const w = new Writer(kit, PacketType.CONNECT, 0, remaining)
    w.u16(4)
    w.u8(0x4d) // M
    w.u8(0x51) // Q
    w.u8(0x54) // T
    w.u8(0x54) // T
    w.u8(4) // protocol level 4 = 3.1.1 [MQTT-3.1.2-2]
    w.u8(flags)
    w.u16(opts.keepAlive)
    w.field(clientId) // [MQTT-3.1.3-1]: client id, will topic, will message, user name, password
    if (isSet(will)) {
        w.field(willTopic)
        w.field(willPayload)
    }
    if (isSet(username)) w.field(usernameBytes)
    if (isSet(password)) w.field(password)
    return w.buf
}

/** PUBLISH, §3.3. */
export function encodePublish(kit: ByteKit, opts: PublishOptions): ByteArray {
    checkQos("PUBLISH", opts.qos)
    const packetId = opts.packetId
    let id = 0
    if (opts.qos > 0) {
        if (!isSet(packetId)) throw new Error(`mqtt: PUBLISH with QoS ${opts.qos} needs a packet id`)
        checkPacketId("PUBLISH", packetId)
        id = packetId
    } else if (isSet(packetId))
        throw new Error(`mqtt: PUBLISH with QoS 0 must not carry a packet id, got ${opts.packetId}`) // [MQTT-2.3.1-5]
    if (opts.dup && opts.qos === 0) throw new Error("mqtt: PUBLISH with QoS 0 must not set dup") // [MQTT-3.3.1-2]
    const topic = topicName(kit, "PUBLISH", opts.topic)
    const remaining = 2 + topic.length + (opts.qos > 0 ? 2 : 0) + opts.payload.length
    const flags = (opts.dup ? 0x08 : 0) | (opts.qos << 1) | (opts.retain ? 0x01 : 0)
    const w = new Writer(kit, PacketType.PUBLISH, flags, remaining)
    w.field(topic)
    if (opts.qos > 0) w.u16(id)
    w.raw(opts.payload) // §3.3.3: the rest of the packet, no length prefix
    return w.buf
}

/** PUBACK, §3.4: the client's answer to an incoming QoS 1 PUBLISH [MQTT-4.3.2-2]. */
export function encodePuback(kit: ByteKit, packetId: number): ByteArray {
    checkPacketId("PUBACK", packetId)
    const w = new Writer(kit, PacketType.PUBACK, 0, 2)
    w.u16(packetId)
    return w.buf
}

/** SUBSCRIBE, §3.8: fixed-header flags 0010 [MQTT-3.8.1-1]. */
export function encodeSubscribe(kit: ByteKit, packetId: number, subscriptions: Subscription[]): ByteArray {
    checkPacketId("SUBSCRIBE", packetId)
    if (subscriptions.length === 0) throw new Error("mqtt: SUBSCRIBE needs at least one topic filter") // [MQTT-3.8.3-3]
    const filters: ByteArray[] = []
    let remaining = 2
    for (let i = 0; i < subscriptions.length; i++) {
        const what = `SUBSCRIBE (subscription ${i + 1})`
        checkQos(what, subscriptions[i].qos)
        const filter = topicFilter(kit, what, subscriptions[i].topic)
        filters.push(filter)
        remaining += 2 + filter.length + 1
    }
    const w = new Writer(kit, PacketType.SUBSCRIBE, 0x02, remaining)
    w.u16(packetId)
    for (let i = 0; i < filters.length; i++) {
        w.field(filters[i])
        w.u8(subscriptions[i].qos) // requested QoS; upper 6 bits reserved 0 [MQTT-3-8.3-4] (sic)
    }
    return w.buf
}

/** UNSUBSCRIBE, §3.10: fixed-header flags 0010 [MQTT-3.10.1-1]. */
export function encodeUnsubscribe(kit: ByteKit, packetId: number, topics: string[]): ByteArray {
    checkPacketId("UNSUBSCRIBE", packetId)
    if (topics.length === 0) throw new Error("mqtt: UNSUBSCRIBE needs at least one topic filter") // [MQTT-3.10.3-2]
    const filters: ByteArray[] = []
    let remaining = 2
    for (let i = 0; i < topics.length; i++) {
        const filter = topicFilter(kit, `UNSUBSCRIBE (filter ${i + 1})`, topics[i])
        filters.push(filter)
        remaining += 2 + filter.length
    }
    const w = new Writer(kit, PacketType.UNSUBSCRIBE, 0x02, remaining)
    w.u16(packetId)
    for (let i = 0; i < filters.length; i++) w.field(filters[i])
    return w.buf
}

/** PINGREQ, §3.12. */
export function encodePingreq(kit: ByteKit): ByteArray {
    return new Writer(kit, PacketType.PINGREQ, 0, 0).buf
}

/** DISCONNECT, §3.14. */
export function encodeDisconnect(kit: ByteKit): ByteArray {
    return new Writer(kit, PacketType.DISCONNECT, 0, 0).buf
}
