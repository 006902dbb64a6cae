/**
 * MQTT 3.1.1 packet shapes shared by the encoder, the parser and their callers.
 *
 * One flat interface per concept with optional fields, not discriminated unions:
 * DeviceScript compiles with strictNullChecks off, where union narrowing does not
 * typecheck, and this file is compiled by both DeviceScript and Node TypeScript.
 */
import type { ByteArray } from "../bytes.js"

/** Control packet types, §2.2.1 Table 2.1 (0 and 15 are reserved). */
export const enum PacketType {
    CONNECT = 1,
    CONNACK,
    PUBLISH,
    PUBACK,
    PUBREC,
    PUBREL,
    PUBCOMP,
    SUBSCRIBE,
    SUBACK,
    UNSUBSCRIBE,
    UNSUBACK,
    PINGREQ,
    PINGRESP,
    DISCONNECT,
}

/** Largest Remaining Length a 4-byte variable byte integer can carry, §2.2.3. */
export const MAX_REMAINING_LENGTH = 268435455

/** Fixed header (1) + longest length field (4) + MAX_REMAINING_LENGTH. */
export const MAX_PACKET_SIZE = 268435460

/** UTF-8 strings and binary fields carry a 16-bit length prefix, §1.5.3. */
export const MAX_FIELD_BYTES = 65535

/** Packet identifiers are non-zero 16-bit numbers [MQTT-2.3.1-1]. */
export const MAX_PACKET_ID = 65535

/** SUBACK return code for a refused subscription, §3.9.3. */
export const SUBACK_FAILURE = 0x80

/**
 * A decoded packet. Which fields are set depends on `type`:
 * - CONNACK: sessionPresent, returnCode
 * - PUBLISH: topic, payload, qos, retain, dup, packetId (QoS 1 and 2 only); a PUBLISH the
 *   parser skipped for its size has `oversize` (its size in bytes) and no payload, and no
 *   topic when the topic was longer than 256 bytes
 * - PUBACK, PUBREC, PUBREL, PUBCOMP, UNSUBACK: packetId
 * - SUBACK: packetId, granted (0, 1, 2 or 0x80 per filter)
 * - PINGRESP: nothing else
 */
export interface MqttPacket {
    type: PacketType
    sessionPresent?: boolean
    returnCode?: number
    topic?: string
    /** May share memory with the chunk the parser was fed; never mutate it. */
    payload?: ByteArray
    qos?: number
    retain?: boolean
    dup?: boolean
    packetId?: number
    granted?: number[]
    /** Set on a PUBLISH skipped for exceeding the parser's maximum: its size in bytes. */
    oversize?: number
}

/** The will message the server publishes when the connection ends abnormally, §3.1.2.5. */
export interface WillOptions {
    topic: string
    payload: ByteArray
    qos: number
    retain: boolean
}

export interface ConnectOptions {
    /** May be empty only with cleanSession true [MQTT-3.1.3-7]. */
    clientId: string
    cleanSession: boolean
    /** Seconds, 0..65535; 0 turns keep-alive off, §3.1.2.10. */
    keepAlive: number
    will?: WillOptions
    username?: string
    /** Needs a username [MQTT-3.1.2-22]. */
    password?: ByteArray
}

export interface PublishOptions {
    topic: string
    payload: ByteArray
    qos: number
    retain: boolean
    /** Re-delivery flag; QoS 1 and 2 only [MQTT-3.3.1-2]. */
    dup?: boolean
    /** Required for QoS 1 and 2, absent for QoS 0 [MQTT-2.3.1-5]. */
    packetId?: number
}

export interface Subscription {
    topic: string
    qos: number
}

const TYPE_NAMES = [
    "reserved type 0",
    "CONNECT",
    "CONNACK",
    "PUBLISH",
    "PUBACK",
    "PUBREC",
    "PUBREL",
    "PUBCOMP",
    "SUBSCRIBE",
    "SUBACK",
    "UNSUBSCRIBE",
    "UNSUBACK",
    "PINGREQ",
    "PINGRESP",
    "DISCONNECT",
    "reserved type 15",
]

/** "PUBLISH", "CONNACK", … for messages and logs. */
export function packetTypeName(type: number): string {
    if (type >= 0 && type < TYPE_NAMES.length && Math.floor(type) === type) return TYPE_NAMES[type]
    return `unknown type ${type}`
}

const CONNACK_REASONS = [
    "connection accepted",
    "unacceptable protocol version",
    "identifier rejected",
    "server unavailable",
    "bad user name or password",
    "not authorized",
]

/** The meaning of a CONNACK return code, §3.2.2.3 Table 3.1 (6..255 are reserved). */
export function connackReason(code: number): string {
    if (code >= 0 && code < CONNACK_REASONS.length && Math.floor(code) === code) return CONNACK_REASONS[code]
    return `reserved return code ${code}`
}
