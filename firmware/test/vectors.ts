/**
 * MQTT 3.1.1 codec vectors: the one source of truth for the Node suite
 * (test/protocol/*.test.ts) and the DeviceScript VM suite (firmware/test/codec.test.ts).
 *
 * Plain data (byte arrays commented field by field, as in mqtt-packet's test.js) plus a
 * few small helpers both suites use to run and compare them. Everything here must stay
 * inside the DeviceScript subset, and small: the DeviceScript test heap is about 64 KB,
 * so long payloads are described by `fill` (that many FILL bytes) and never stored, and
 * each table is a function that builds its data on demand, for one test to use and drop.
 */
import type { ByteArray, ByteKit } from "@fieldlink/protocol/bytes"
import {
    encodeConnect,
    encodeDisconnect,
    encodePingreq,
    encodePuback,
    encodePublish,
    encodeSubscribe,
    encodeUnsubscribe,
} from "@fieldlink/protocol/mqtt"
import type { ParseError } from "@fieldlink/protocol/mqtt"
import type { ConnectOptions, MqttPacket, PublishOptions, Subscription } from "@fieldlink/protocol/mqtt"
import { PacketType } from "@fieldlink/protocol/mqtt"

/** The byte long payloads are made of ("x"). */
export const FILL = 0x78

/** Wire bytes: `bytes`, then `fill` FILL bytes, then `tail`. */
export interface Wire {
    bytes: number[]
    fill?: number
    tail?: number[]
}

/** The fields a decoded packet must have; any field not named here must be absent. */
export interface ExpectedPacket {
    type: PacketType
    sessionPresent?: boolean
    returnCode?: number
    topic?: string
    payload?: number[]
    /** The payload is this many FILL bytes (instead of `payload`). */
    payloadFill?: number
    qos?: number
    retain?: boolean
    dup?: boolean
    packetId?: number
    granted?: number[]
    oversize?: number
}

export interface ExpectedError {
    code: string
    message: string
}

/** Bytes a server sends; the parser must produce `packets`, then `error` if set. */
export interface DecodeVector extends Wire {
    name: string
    packets: ExpectedPacket[]
    error?: ExpectedError
    maxPacketSize?: number
    /** Build the parser with skipOversize. */
    skipOversize?: boolean
}

/** One encoder call: exactly one of the packet fields is set. */
export interface EncodeCall {
    connect?: ConnectOptions
    publish?: PublishOptions
    /** Replaces publish.payload with this many FILL bytes. */
    publishFill?: number
    puback?: number
    subscribe?: { packetId: number; subscriptions: Subscription[] }
    unsubscribe?: { packetId: number; topics: string[] }
    pingreq?: boolean
    disconnect?: boolean
}

export interface EncodeVector extends EncodeCall, Wire {
    name: string
}

export interface EncodeErrorVector extends EncodeCall {
    name: string
    message: string
}

const NOTHING: number[] = []

// ---------------------------------------------------------------- client → server

export function encodeVectors(): EncodeVector[] {
    return [
        {
            name: "CONNECT minimal",
            connect: { clientId: "abc", cleanSession: true, keepAlive: 60 },
            bytes: [
                16, 15, // Header: CONNECT, remaining length 15
                0, 4, 77, 81, 84, 84, // Protocol name "MQTT"
                4, // Protocol level 4 (3.1.1)
                2, // Connect flags: clean session
                0, 60, // Keep-alive 60 s
                0, 3, 97, 98, 99, // Client id "abc"
            ],
        },
        {
            name: "CONNECT with will, user name and password",
            connect: {
                clientId: "sensor-01",
                cleanSession: false,
                keepAlive: 30,
                will: { topic: "fieldlink/devices/sensor-01/status", payload: [111, 102, 102, 108, 105, 110, 101], qos: 1, retain: true },
                username: "user",
                password: [112, 97, 115, 115],
            },
            bytes: [
                16, 78, // Header: CONNECT, remaining length 78
                0, 4, 77, 81, 84, 84, // Protocol name "MQTT"
                4, // Protocol level 4
                236, // Connect flags: user name, password, will retain, will QoS 1, will
                0, 30, // Keep-alive 30 s
                0, 9, 115, 101, 110, 115, 111, 114, 45, 48, 49, // Client id "sensor-01"
                0, 34, 102, 105, 101, 108, 100, 108, 105, 110, 107, 47, 100, 101, 118, 105, 99, 101, 115, 47, 115, 101, 110, 115,
                111, 114, 45, 48, 49, 47, 115, 116, 97, 116, 117, 115, // Will topic "fieldlink/devices/sensor-01/status"
                0, 7, 111, 102, 102, 108, 105, 110, 101, // Will payload "offline"
                0, 4, 117, 115, 101, 114, // User name "user"
                0, 4, 112, 97, 115, 115, // Password "pass"
            ],
        },
        {
            name: "CONNECT empty client id, keep-alive off",
            connect: { clientId: "", cleanSession: true, keepAlive: 0 },
            bytes: [
                16, 12, // Header: CONNECT, remaining length 12
                0, 4, 77, 81, 84, 84, // Protocol name "MQTT"
                4, // Protocol level 4
                2, // Connect flags: clean session
                0, 0, // Keep-alive 0 (off)
                0, 0, // Client id "" (server assigns one)
            ],
        },
        {
            name: "CONNECT will QoS 2 with empty payload, UTF-8 user name, no password",
            connect: {
                clientId: "dev",
                cleanSession: true,
                keepAlive: 65535,
                will: { topic: "a/b", payload: NOTHING, qos: 2, retain: false },
                username: "üser",
            },
            bytes: [
                16, 29, // Header: CONNECT, remaining length 29
                0, 4, 77, 81, 84, 84, // Protocol name "MQTT"
                4, // Protocol level 4
                150, // Connect flags: user name, will QoS 2, will, clean session
                255, 255, // Keep-alive 65535 s
                0, 3, 100, 101, 118, // Client id "dev"
                0, 3, 97, 47, 98, // Will topic "a/b"
                0, 0, // Will payload (empty)
                0, 5, 195, 188, 115, 101, 114, // User name "üser"
            ],
        },
        {
            name: "PUBLISH QoS 0",
            publish: { topic: "a/b", payload: [104, 105], qos: 0, retain: false },
            bytes: [
                48, 7, // Header: PUBLISH, QoS 0, remaining length 7
                0, 3, 97, 47, 98, // Topic "a/b"
                104, 105, // Payload "hi"
            ],
        },
        {
            name: "PUBLISH retained birth",
            publish: { topic: "fieldlink/devices/sensor-01/status", payload: [111, 110, 108, 105, 110, 101], qos: 0, retain: true },
            bytes: [
                49, 42, // Header: PUBLISH, QoS 0, retain, remaining length 42
                0, 34, 102, 105, 101, 108, 100, 108, 105, 110, 107, 47, 100, 101, 118, 105, 99, 101, 115, 47, 115, 101, 110, 115,
                111, 114, 45, 48, 49, 47, 115, 116, 97, 116, 117, 115, // Topic "fieldlink/devices/sensor-01/status"
                111, 110, 108, 105, 110, 101, // Payload "online"
            ],
        },
        {
            name: "PUBLISH QoS 1 dup",
            publish: { topic: "t", payload: [1, 2, 3], qos: 1, retain: false, dup: true, packetId: 10 },
            bytes: [
                58, 8, // Header: PUBLISH, dup, QoS 1, remaining length 8
                0, 1, 116, // Topic "t"
                0, 10, // Packet id 10
                1, 2, 3, // Payload
            ],
        },
        {
            name: "PUBLISH QoS 1 retained, packet id 65535, empty payload",
            publish: { topic: "t", payload: NOTHING, qos: 1, retain: true, packetId: 65535 },
            bytes: [
                51, 5, // Header: PUBLISH, QoS 1, retain, remaining length 5
                0, 1, 116, // Topic "t"
                255, 255, // Packet id 65535
            ],
        },
        {
            name: "PUBLISH QoS 2",
            publish: { topic: "q", payload: [0], qos: 2, retain: false, packetId: 300 },
            bytes: [
                52, 6, // Header: PUBLISH, QoS 2, remaining length 6
                0, 1, 113, // Topic "q"
                1, 44, // Packet id 300
                0, // Payload
            ],
        },
        {
            name: "PUBLISH topic with 2-, 3- and 4-byte UTF-8",
            publish: { topic: "é/€/😀", payload: NOTHING, qos: 0, retain: false },
            bytes: [
                48, 13, // Header: PUBLISH, QoS 0, remaining length 13
                0, 11, // Topic length 11
                195, 169, 47, 226, 130, 172, 47, 240, 159, 152, 128, // Topic "é/€/😀"
            ],
        },
        {
            name: "PUBLISH remaining length 127",
            publish: { topic: "t", payload: NOTHING, qos: 0, retain: false },
            publishFill: 124,
            bytes: [
                48, 127, // Header: PUBLISH, remaining length 127 (1 byte)
                0, 1, 116, // Topic "t"
            ],
            fill: 124, // Payload
        },
        {
            name: "PUBLISH remaining length 128",
            publish: { topic: "t", payload: NOTHING, qos: 0, retain: false },
            publishFill: 125,
            bytes: [
                48, 128, 1, // Header: PUBLISH, remaining length 128 (2 bytes)
                0, 1, 116, // Topic "t"
            ],
            fill: 125, // Payload
        },
        {
            name: "PUBLISH remaining length 16383",
            publish: { topic: "t", payload: NOTHING, qos: 0, retain: false },
            publishFill: 16380,
            bytes: [
                48, 255, 127, // Header: PUBLISH, remaining length 16383 (2 bytes)
                0, 1, 116, // Topic "t"
            ],
            fill: 16380, // Payload
        },
        {
            name: "PUBLISH remaining length 16384",
            publish: { topic: "t", payload: NOTHING, qos: 0, retain: false },
            publishFill: 16381,
            bytes: [
                48, 128, 128, 1, // Header: PUBLISH, remaining length 16384 (3 bytes)
                0, 1, 116, // Topic "t"
            ],
            fill: 16381, // Payload
        },
        {
            name: "PUBACK",
            puback: 1,
            bytes: [
                64, 2, // Header: PUBACK, remaining length 2
                0, 1, // Packet id 1
            ],
        },
        {
            name: "PUBACK packet id 65535",
            puback: 65535,
            bytes: [
                64, 2, // Header: PUBACK, remaining length 2
                255, 255, // Packet id 65535
            ],
        },
        {
            name: "SUBSCRIBE one filter",
            subscribe: { packetId: 1, subscriptions: [{ topic: "fieldlink/devices/sensor-01/cmd/+", qos: 0 }] },
            bytes: [
                130, 38, // Header: SUBSCRIBE, flags 0010, remaining length 38
                0, 1, // Packet id 1
                0, 33, 102, 105, 101, 108, 100, 108, 105, 110, 107, 47, 100, 101, 118, 105, 99, 101, 115, 47, 115, 101, 110, 115,
                111, 114, 45, 48, 49, 47, 99, 109, 100, 47, 43, // Topic filter "fieldlink/devices/sensor-01/cmd/+"
                0, // Requested QoS 0
            ],
        },
        {
            name: "SUBSCRIBE three filters",
            subscribe: {
                packetId: 2,
                subscriptions: [
                    { topic: "a/#", qos: 1 },
                    { topic: "+/b", qos: 2 },
                    { topic: "#", qos: 0 },
                ],
            },
            bytes: [
                130, 18, // Header: SUBSCRIBE, flags 0010, remaining length 18
                0, 2, // Packet id 2
                0, 3, 97, 47, 35, // Topic filter "a/#"
                1, // Requested QoS 1
                0, 3, 43, 47, 98, // Topic filter "+/b"
                2, // Requested QoS 2
                0, 1, 35, // Topic filter "#"
                0, // Requested QoS 0
            ],
        },
        {
            name: "UNSUBSCRIBE two filters",
            unsubscribe: { packetId: 3, topics: ["a/#", "c"] },
            bytes: [
                162, 10, // Header: UNSUBSCRIBE, flags 0010, remaining length 10
                0, 3, // Packet id 3
                0, 3, 97, 47, 35, // Topic filter "a/#"
                0, 1, 99, // Topic filter "c"
            ],
        },
        {
            name: "PINGREQ",
            pingreq: true,
            bytes: [192, 0], // Header: PINGREQ, remaining length 0
        },
        {
            name: "DISCONNECT",
            disconnect: true,
            bytes: [224, 0], // Header: DISCONNECT, remaining length 0
        },
    ]
}

const T = "t"

export function encodeErrorVectors(): EncodeErrorVector[] {
    return [
        {
            name: "keep-alive above 16 bits",
            connect: { clientId: "a", cleanSession: true, keepAlive: 65536 },
            message: "mqtt: CONNECT keep-alive must be an integer from 0 to 65535 seconds, got 65536",
        },
        {
            name: "negative keep-alive",
            connect: { clientId: "a", cleanSession: true, keepAlive: -1 },
            message: "mqtt: CONNECT keep-alive must be an integer from 0 to 65535 seconds, got -1",
        },
        {
            name: "fractional keep-alive",
            connect: { clientId: "a", cleanSession: true, keepAlive: 1.5 },
            message: "mqtt: CONNECT keep-alive must be an integer from 0 to 65535 seconds, got 1.5",
        },
        {
            name: "empty client id without clean session",
            connect: { clientId: "", cleanSession: false, keepAlive: 60 },
            message: "mqtt: CONNECT with an empty client id must set cleanSession",
        },
        {
            name: "client id with U+0000",
            connect: { clientId: "a\u0000b", cleanSession: true, keepAlive: 60 },
            message: "mqtt: CONNECT client id contains U+0000",
        },
        {
            name: "password without user name",
            connect: { clientId: "a", cleanSession: true, keepAlive: 60, password: [1] },
            message: "mqtt: CONNECT password needs a user name",
        },
        {
            name: "user name with U+0000",
            connect: { clientId: "a", cleanSession: true, keepAlive: 60, username: "\u0000" },
            message: "mqtt: CONNECT user name contains U+0000",
        },
        {
            name: "will QoS 3",
            connect: { clientId: "a", cleanSession: true, keepAlive: 60, will: { topic: T, payload: NOTHING, qos: 3, retain: false } },
            message: "mqtt: CONNECT will QoS must be 0, 1 or 2, got 3",
        },
        {
            name: "will topic with a wildcard",
            connect: { clientId: "a", cleanSession: true, keepAlive: 60, will: { topic: "a/+", payload: NOTHING, qos: 0, retain: false } },
            message: 'mqtt: CONNECT will topic name must not contain the wildcard "+" (level 2)',
        },
        {
            name: "empty will topic",
            connect: { clientId: "a", cleanSession: true, keepAlive: 60, will: { topic: "", payload: NOTHING, qos: 0, retain: false } },
            message: "mqtt: CONNECT will topic name is empty",
        },
        {
            name: "PUBLISH QoS 3",
            publish: { topic: T, payload: NOTHING, qos: 3, retain: false },
            message: "mqtt: PUBLISH QoS must be 0, 1 or 2, got 3",
        },
        {
            name: "PUBLISH QoS 1 without packet id",
            publish: { topic: T, payload: NOTHING, qos: 1, retain: false },
            message: "mqtt: PUBLISH with QoS 1 needs a packet id",
        },
        {
            name: "PUBLISH packet id 0",
            publish: { topic: T, payload: NOTHING, qos: 1, retain: false, packetId: 0 },
            message: "mqtt: PUBLISH packet id must be an integer from 1 to 65535, got 0",
        },
        {
            name: "PUBLISH packet id 65536",
            publish: { topic: T, payload: NOTHING, qos: 2, retain: false, packetId: 65536 },
            message: "mqtt: PUBLISH packet id must be an integer from 1 to 65535, got 65536",
        },
        {
            name: "PUBLISH QoS 0 with packet id",
            publish: { topic: T, payload: NOTHING, qos: 0, retain: false, packetId: 5 },
            message: "mqtt: PUBLISH with QoS 0 must not carry a packet id, got 5",
        },
        {
            name: "PUBLISH QoS 0 with dup",
            publish: { topic: T, payload: NOTHING, qos: 0, retain: false, dup: true },
            message: "mqtt: PUBLISH with QoS 0 must not set dup",
        },
        {
            name: "PUBLISH to a filter",
            publish: { topic: "a/#", payload: NOTHING, qos: 0, retain: false },
            message: 'mqtt: PUBLISH topic name must not contain the wildcard "#" (level 2)',
        },
        {
            name: "PUBLISH to an empty topic",
            publish: { topic: "", payload: NOTHING, qos: 0, retain: false },
            message: "mqtt: PUBLISH topic name is empty",
        },
        {
            name: "PUBLISH topic with U+0000",
            publish: { topic: "a\u0000b", payload: NOTHING, qos: 0, retain: false },
            message: "mqtt: PUBLISH topic name contains U+0000",
        },
        { name: "PUBACK packet id 0", puback: 0, message: "mqtt: PUBACK packet id must be an integer from 1 to 65535, got 0" },
        { name: "PUBACK packet id 65536", puback: 65536, message: "mqtt: PUBACK packet id must be an integer from 1 to 65535, got 65536" },
        {
            name: "SUBSCRIBE nothing",
            subscribe: { packetId: 1, subscriptions: [] },
            message: "mqtt: SUBSCRIBE needs at least one topic filter",
        },
        {
            name: "SUBSCRIBE packet id 0",
            subscribe: { packetId: 0, subscriptions: [{ topic: T, qos: 0 }] },
            message: "mqtt: SUBSCRIBE packet id must be an integer from 1 to 65535, got 0",
        },
        {
            name: "SUBSCRIBE with # inside",
            subscribe: { packetId: 1, subscriptions: [{ topic: T, qos: 0 }, { topic: "a/#/b", qos: 0 }] },
            message: 'mqtt: SUBSCRIBE (subscription 2) topic filter may use "#" only as the whole last level (level 2)',
        },
        {
            name: "SUBSCRIBE with + inside a level",
            subscribe: { packetId: 1, subscriptions: [{ topic: "a+", qos: 0 }] },
            message: 'mqtt: SUBSCRIBE (subscription 1) topic filter may use "+" only as a whole level (level 1)',
        },
        {
            name: "SUBSCRIBE QoS 3",
            subscribe: { packetId: 1, subscriptions: [{ topic: T, qos: 3 }] },
            message: "mqtt: SUBSCRIBE (subscription 1) QoS must be 0, 1 or 2, got 3",
        },
        {
            name: "UNSUBSCRIBE nothing",
            unsubscribe: { packetId: 1, topics: [] },
            message: "mqtt: UNSUBSCRIBE needs at least one topic filter",
        },
        {
            name: "UNSUBSCRIBE empty filter",
            unsubscribe: { packetId: 1, topics: ["a", ""] },
            message: "mqtt: UNSUBSCRIBE (filter 2) topic filter is empty",
        },
    ]
}

// ---------------------------------------------------------------- server → client

export function decodeVectors(): DecodeVector[] {
    return [
        {
            name: "CONNACK accepted",
            bytes: [
                32, 2, // Header: CONNACK, remaining length 2
                0, // Acknowledge flags: no session present
                0, // Return code 0: accepted
            ],
            packets: [{ type: PacketType.CONNACK, sessionPresent: false, returnCode: 0 }],
        },
        {
            name: "CONNACK session present",
            bytes: [
                32, 2, // Header: CONNACK, remaining length 2
                1, // Acknowledge flags: session present
                0, // Return code 0: accepted
            ],
            packets: [{ type: PacketType.CONNACK, sessionPresent: true, returnCode: 0 }],
        },
        {
            name: "CONNACK not authorized",
            bytes: [
                32, 2, // Header: CONNACK, remaining length 2
                0, // Acknowledge flags
                5, // Return code 5: not authorized
            ],
            packets: [{ type: PacketType.CONNACK, sessionPresent: false, returnCode: 5 }],
        },
        {
            name: "PUBLISH QoS 0",
            bytes: [
                48, 7, // Header: PUBLISH, QoS 0, remaining length 7
                0, 3, 97, 47, 98, // Topic "a/b"
                104, 105, // Payload "hi"
            ],
            packets: [{ type: PacketType.PUBLISH, topic: "a/b", payload: [104, 105], qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH QoS 1 retained",
            bytes: [
                51, 9, // Header: PUBLISH, QoS 1, retain, remaining length 9
                0, 3, 97, 47, 98, // Topic "a/b"
                0, 42, // Packet id 42
                1, 2, // Payload
            ],
            packets: [{ type: PacketType.PUBLISH, topic: "a/b", payload: [1, 2], qos: 1, retain: true, dup: false, packetId: 42 }],
        },
        {
            name: "PUBLISH QoS 2 dup",
            bytes: [
                60, 6, // Header: PUBLISH, dup, QoS 2, remaining length 6
                0, 1, 113, // Topic "q"
                1, 44, // Packet id 300
                0, // Payload
            ],
            packets: [{ type: PacketType.PUBLISH, topic: "q", payload: [0], qos: 2, retain: false, dup: true, packetId: 300 }],
        },
        {
            name: "PUBLISH empty payload",
            bytes: [
                48, 3, // Header: PUBLISH, QoS 0, remaining length 3
                0, 1, 116, // Topic "t"
            ],
            packets: [{ type: PacketType.PUBLISH, topic: "t", payload: NOTHING, qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH topic with 2-, 3- and 4-byte UTF-8",
            bytes: [
                48, 13, // Header: PUBLISH, QoS 0, remaining length 13
                0, 11, // Topic length 11
                195, 169, 47, 226, 130, 172, 47, 240, 159, 152, 128, // Topic "é/€/😀"
            ],
            packets: [{ type: PacketType.PUBLISH, topic: "é/€/😀", payload: NOTHING, qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH topic of 3-byte characters",
            bytes: [
                48, 9, // Header: PUBLISH, QoS 0, remaining length 9
                0, 6, 230, 184, 169, 229, 186, 166, // Topic "温度"
                55, // Payload "7"
            ],
            packets: [{ type: PacketType.PUBLISH, topic: "温度", payload: [55], qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH topic at UTF-8 range edges",
            bytes: [
                48, 26, // Header: PUBLISH, QoS 0, remaining length 26
                0, 24, // Topic length 24
                194, 128, // U+0080 (first 2-byte)
                223, 191, // U+07FF (last 2-byte)
                224, 160, 128, // U+0800 (first 3-byte)
                237, 159, 191, // U+D7FF (last before the surrogates)
                238, 128, 128, // U+E000 (first after the surrogates)
                239, 191, 189, // U+FFFD
                240, 144, 128, 128, // U+10000 (first 4-byte)
                244, 143, 191, 191, // U+10FFFF (last code point)
            ],
            packets: [
                {
                    type: PacketType.PUBLISH,
                    topic: "\u0080\u07FF\u0800\uD7FF\uE000\uFFFD\u{10000}\u{10FFFF}",
                    payload: NOTHING,
                    qos: 0,
                    retain: false,
                    dup: false,
                },
            ],
        },
        {
            name: "PUBACK",
            bytes: [
                64, 2, // Header: PUBACK, remaining length 2
                0, 7, // Packet id 7
            ],
            packets: [{ type: PacketType.PUBACK, packetId: 7 }],
        },
        {
            name: "PUBREC",
            bytes: [80, 2, 0, 8], // Header: PUBREC, remaining length 2; packet id 8
            packets: [{ type: PacketType.PUBREC, packetId: 8 }],
        },
        {
            name: "PUBREL",
            bytes: [98, 2, 0, 9], // Header: PUBREL, flags 0010, remaining length 2; packet id 9
            packets: [{ type: PacketType.PUBREL, packetId: 9 }],
        },
        {
            name: "PUBCOMP",
            bytes: [112, 2, 255, 255], // Header: PUBCOMP, remaining length 2; packet id 65535
            packets: [{ type: PacketType.PUBCOMP, packetId: 65535 }],
        },
        {
            name: "SUBACK three return codes",
            bytes: [
                144, 5, // Header: SUBACK, remaining length 5
                0, 1, // Packet id 1
                0, 1, 128, // Granted QoS 0, QoS 1, failure
            ],
            packets: [{ type: PacketType.SUBACK, packetId: 1, granted: [0, 1, 128] }],
        },
        {
            name: "SUBACK QoS 2",
            bytes: [
                144, 3, // Header: SUBACK, remaining length 3
                0, 2, // Packet id 2
                2, // Granted QoS 2
            ],
            packets: [{ type: PacketType.SUBACK, packetId: 2, granted: [2] }],
        },
        {
            name: "UNSUBACK",
            bytes: [
                176, 2, // Header: UNSUBACK, remaining length 2
                0, 3, // Packet id 3
            ],
            packets: [{ type: PacketType.UNSUBACK, packetId: 3 }],
        },
        {
            name: "PINGRESP (remaining length 0)",
            bytes: [208, 0], // Header: PINGRESP, remaining length 0
            packets: [{ type: PacketType.PINGRESP }],
        },
        {
            name: "PINGRESP at a 2-byte maximum packet size",
            bytes: [208, 0], // Header: PINGRESP, remaining length 0
            maxPacketSize: 2,
            packets: [{ type: PacketType.PINGRESP }],
        },
        {
            name: "PINGRESP with a non-minimal length (3.1.1 does not forbid it)",
            bytes: [208, 128, 0], // Header: PINGRESP, remaining length 0 in 2 bytes
            packets: [{ type: PacketType.PINGRESP }],
        },
        {
            name: "three packets in one chunk",
            bytes: [
                208, 0, // PINGRESP
                64, 2, 0, 7, // PUBACK, packet id 7
                48, 5, 0, 1, 97, 255, 238, // PUBLISH topic "a", payload ff ee
            ],
            packets: [
                { type: PacketType.PINGRESP },
                { type: PacketType.PUBACK, packetId: 7 },
                { type: PacketType.PUBLISH, topic: "a", payload: [255, 238], qos: 0, retain: false, dup: false },
            ],
        },
        {
            name: "PUBLISH remaining length 127",
            bytes: [48, 127, 0, 1, 116], // Header: PUBLISH, remaining length 127; topic "t"
            fill: 124, // Payload
            packets: [{ type: PacketType.PUBLISH, topic: "t", payloadFill: 124, qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH remaining length 127 at the maximum packet size",
            bytes: [48, 127, 0, 1, 116], // Header: PUBLISH, remaining length 127; topic "t"
            fill: 124, // Payload
            maxPacketSize: 129,
            packets: [{ type: PacketType.PUBLISH, topic: "t", payloadFill: 124, qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH remaining length 128",
            bytes: [48, 128, 1, 0, 1, 116], // Header: PUBLISH, remaining length 128; topic "t"
            fill: 125, // Payload
            packets: [{ type: PacketType.PUBLISH, topic: "t", payloadFill: 125, qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH remaining length 16383",
            bytes: [48, 255, 127, 0, 1, 116], // Header: PUBLISH, remaining length 16383; topic "t"
            fill: 16380, // Payload
            packets: [{ type: PacketType.PUBLISH, topic: "t", payloadFill: 16380, qos: 0, retain: false, dup: false }],
        },
        {
            name: "PUBLISH remaining length 16384",
            bytes: [48, 128, 128, 1, 0, 1, 116], // Header: PUBLISH, remaining length 16384; topic "t"
            fill: 16381, // Payload
            packets: [{ type: PacketType.PUBLISH, topic: "t", payloadFill: 16381, qos: 0, retain: false, dup: false }],
        },
    ]
}

function err(code: string, message: string): ExpectedError {
    return { code: code, message: message }
}

/** A PUBLISH whose topic field holds `topic` (any bytes), QoS 0, empty payload. */
function publishTopic(topic: number[]): number[] {
    const out = [48, 2 + topic.length, 0, topic.length] // Header, remaining length; topic length
    for (let i = 0; i < topic.length; i++) out.push(topic[i])
    return out
}

function badTopic(name: string, topic: number[], message: string): DecodeVector {
    return { name: name, bytes: publishTopic(topic), packets: [], error: err("bad-utf8", "PUBLISH topic is not valid MQTT UTF-8: " + message) }
}

export function decodeErrorVectors(): DecodeVector[] {
    return [
        // unexpected-type: reserved types, and packets only a client sends (checked on the first byte)
        { name: "reserved type 0", bytes: [0, 0], packets: [], error: err("unexpected-type", "Packet type 0 is reserved") },
        { name: "reserved type 15", bytes: [240, 0], packets: [], error: err("unexpected-type", "Packet type 15 is reserved") },
        { name: "CONNECT", bytes: [16, 12], packets: [], error: err("unexpected-type", "CONNECT is never sent to a client") },
        { name: "CONNECT with bad flags", bytes: [17], packets: [], error: err("unexpected-type", "CONNECT is never sent to a client") },
        { name: "SUBSCRIBE", bytes: [130, 5], packets: [], error: err("unexpected-type", "SUBSCRIBE is never sent to a client") },
        { name: "UNSUBSCRIBE", bytes: [162, 5], packets: [], error: err("unexpected-type", "UNSUBSCRIBE is never sent to a client") },
        { name: "PINGREQ", bytes: [192, 0], packets: [], error: err("unexpected-type", "PINGREQ is never sent to a client") },
        { name: "DISCONNECT", bytes: [224, 0], packets: [], error: err("unexpected-type", "DISCONNECT is never sent to a client") },
        {
            name: "PINGRESP then reserved type 0",
            bytes: [208, 0, 0],
            packets: [{ type: PacketType.PINGRESP }],
            error: err("unexpected-type", "Packet type 0 is reserved"),
        },
        // bad-flags: fixed-header flags, §2.2.2 Table 2.2 [MQTT-2.2.2-2]
        { name: "CONNACK flags 1", bytes: [33, 2, 0, 0], packets: [], error: err("bad-flags", "CONNACK fixed-header flags must be 0x00, got 0x01") },
        { name: "PUBACK flags 2", bytes: [66, 2, 0, 1], packets: [], error: err("bad-flags", "PUBACK fixed-header flags must be 0x00, got 0x02") },
        { name: "PUBREL flags 0", bytes: [96, 2, 0, 1], packets: [], error: err("bad-flags", "PUBREL fixed-header flags must be 0x02, got 0x00") },
        { name: "SUBACK flags 8", bytes: [152, 3, 0, 1, 0], packets: [], error: err("bad-flags", "SUBACK fixed-header flags must be 0x00, got 0x08") },
        { name: "UNSUBACK flags 8", bytes: [184, 2, 0, 1], packets: [], error: err("bad-flags", "UNSUBACK fixed-header flags must be 0x00, got 0x08") },
        { name: "PINGRESP flags 15", bytes: [223, 0], packets: [], error: err("bad-flags", "PINGRESP fixed-header flags must be 0x00, got 0x0F") },
        { name: "PUBLISH QoS 3", bytes: [54, 3, 0, 1, 116], packets: [], error: err("bad-flags", "PUBLISH QoS must be 0, 1 or 2, got 3") },
        { name: "PUBLISH dup QoS 3 retain", bytes: [63], packets: [], error: err("bad-flags", "PUBLISH QoS must be 0, 1 or 2, got 3") },
        { name: "PUBLISH QoS 0 with DUP", bytes: [56, 3, 0, 1, 116], packets: [], error: err("bad-flags", "PUBLISH with QoS 0 must not set DUP") },
        {
            name: "CONNACK reserved acknowledge flag",
            bytes: [32, 2, 2, 0],
            packets: [],
            error: err("bad-flags", "CONNACK acknowledge flags must be 0x00 or 0x01, got 0x02"),
        },
        {
            name: "CONNACK all acknowledge flags",
            bytes: [32, 2, 255, 0],
            packets: [],
            error: err("bad-flags", "CONNACK acknowledge flags must be 0x00 or 0x01, got 0xFF"),
        },
        // bad-length: a variable byte integer has at most 4 bytes, §2.2.3
        {
            name: "5th length byte",
            bytes: [48, 255, 255, 255, 255],
            packets: [],
            error: err("bad-length", "Invalid variable byte integer: PUBLISH remaining length has more than 4 bytes"),
        },
        {
            name: "5th length byte on PINGRESP",
            bytes: [208, 128, 128, 128, 128, 1],
            packets: [],
            error: err("bad-length", "Invalid variable byte integer: PINGRESP remaining length has more than 4 bytes"),
        },
        // too-large: decoded lengths at every length-field boundary, without the bodies
        {
            name: "too large by one byte",
            bytes: [48, 127],
            maxPacketSize: 128,
            packets: [],
            error: err("too-large", "PUBLISH of 129 bytes exceeds the maximum packet size of 128 bytes"),
        },
        {
            name: "too large: remaining length 128",
            bytes: [48, 128, 1],
            maxPacketSize: 130,
            packets: [],
            error: err("too-large", "PUBLISH of 131 bytes exceeds the maximum packet size of 130 bytes"),
        },
        {
            name: "too large: remaining length 16383",
            bytes: [48, 255, 127],
            maxPacketSize: 1000,
            packets: [],
            error: err("too-large", "PUBLISH of 16386 bytes exceeds the maximum packet size of 1000 bytes"),
        },
        {
            name: "too large: remaining length 16384",
            bytes: [48, 128, 128, 1],
            maxPacketSize: 1000,
            packets: [],
            error: err("too-large", "PUBLISH of 16388 bytes exceeds the maximum packet size of 1000 bytes"),
        },
        {
            name: "too large: remaining length 2097151",
            bytes: [48, 255, 255, 127],
            maxPacketSize: 1000,
            packets: [],
            error: err("too-large", "PUBLISH of 2097155 bytes exceeds the maximum packet size of 1000 bytes"),
        },
        {
            name: "too large: remaining length 2097152",
            bytes: [48, 128, 128, 128, 1],
            maxPacketSize: 1000,
            packets: [],
            error: err("too-large", "PUBLISH of 2097157 bytes exceeds the maximum packet size of 1000 bytes"),
        },
        {
            name: "too large: remaining length 268435455",
            bytes: [48, 255, 255, 255, 127],
            maxPacketSize: 268435459,
            packets: [],
            error: err("too-large", "PUBLISH of 268435460 bytes exceeds the maximum packet size of 268435459 bytes"),
        },
        // truncated: a field runs past the remaining length
        {
            name: "CONNACK without body",
            bytes: [32, 0],
            packets: [],
            error: err("truncated", "CONNACK acknowledge-flags byte runs past the end of the packet (remaining length 0)"),
        },
        {
            name: "CONNACK without return code",
            bytes: [32, 1, 0],
            packets: [],
            error: err("truncated", "CONNACK return-code byte runs past the end of the packet (remaining length 1)"),
        },
        {
            name: "PUBLISH without topic",
            bytes: [48, 0],
            packets: [],
            error: err("truncated", "PUBLISH topic length runs past the end of the packet (remaining length 0)"),
        },
        {
            name: "PUBLISH topic longer than the packet",
            bytes: [48, 2, 0, 5],
            packets: [],
            error: err("truncated", "PUBLISH topic runs past the end of the packet (remaining length 2)"),
        },
        {
            name: "PUBLISH QoS 1 without packet id",
            bytes: [50, 3, 0, 1, 116],
            packets: [],
            error: err("truncated", "PUBLISH packet id runs past the end of the packet (remaining length 3)"),
        },
        {
            name: "PUBACK with half a packet id",
            bytes: [64, 1, 0],
            packets: [],
            error: err("truncated", "PUBACK packet id runs past the end of the packet (remaining length 1)"),
        },
        {
            name: "SUBACK with half a packet id",
            bytes: [144, 1, 0],
            packets: [],
            error: err("truncated", "SUBACK packet id runs past the end of the packet (remaining length 1)"),
        },
        // trailing: bytes left inside the packet
        {
            name: "CONNACK with a 3rd byte",
            bytes: [32, 3, 0, 0, 0],
            packets: [],
            error: err("trailing", "CONNACK has 1 byte after its last field (remaining length 3)"),
        },
        {
            name: "PINGRESP with a body",
            bytes: [208, 1, 0],
            packets: [],
            error: err("trailing", "PINGRESP has 1 byte after its last field (remaining length 1)"),
        },
        {
            name: "UNSUBACK with 2 extra bytes",
            bytes: [176, 4, 0, 1, 0, 0],
            packets: [],
            error: err("trailing", "UNSUBACK has 2 bytes after its last field (remaining length 4)"),
        },
        // bad-utf8: every class §1.5.3 rules out, in a PUBLISH topic
        badTopic("lone continuation byte", [97, 128], "unexpected continuation byte 0x80 at byte 1"),
        badTopic("byte 0xFF", [255], "invalid byte 0xFF at byte 0"),
        badTopic("byte 0xF5", [245, 128, 128, 128], "invalid byte 0xF5 at byte 0"),
        badTopic("truncated 3-byte sequence", [226, 130], "truncated sequence at byte 0"),
        badTopic("missing continuation byte", [226, 65, 65], "missing continuation byte at byte 1"),
        badTopic("overlong 2-byte '/'", [192, 175], "overlong encoding at byte 0"),
        badTopic("overlong 2-byte U+007F", [193, 191], "overlong encoding at byte 0"),
        badTopic("overlong U+0000 (modified UTF-8)", [192, 128], "overlong encoding at byte 0"),
        badTopic("overlong 3-byte '/'", [224, 128, 175], "overlong encoding at byte 0"),
        badTopic("overlong 4-byte '/'", [240, 128, 128, 175], "overlong encoding at byte 0"),
        badTopic("surrogate U+D800", [237, 160, 128], "surrogate U+D800 at byte 0"),
        badTopic("surrogate U+DFFF", [97, 237, 191, 191], "surrogate U+DFFF at byte 1"),
        badTopic("above U+10FFFF", [244, 144, 128, 128], "code point above U+10FFFF at byte 0"),
        badTopic("U+0000 inside", [97, 0, 98], "U+0000 at byte 1"),
        badTopic("U+0000 alone", [0], "U+0000 at byte 0"),
        {
            name: "sequence cut by the topic length",
            bytes: [
                48, 5, // Header: PUBLISH, remaining length 5
                0, 1, 226, // Topic length 1: half of "€"
                130, 172, // Payload: the rest of "€"
            ],
            packets: [],
            error: err("bad-utf8", "PUBLISH topic is not valid MQTT UTF-8: truncated sequence at byte 0"),
        },
        // bad-topic: a PUBLISH topic must be a topic name, §4.7
        { name: "PUBLISH empty topic", bytes: [48, 2, 0, 0], packets: [], error: err("bad-topic", "PUBLISH topic name is empty") },
        {
            name: "PUBLISH to +",
            bytes: [48, 5, 0, 3, 97, 47, 43], // Topic "a/+"
            packets: [],
            error: err("bad-topic", 'PUBLISH topic name must not contain the wildcard "+" (level 2)'),
        },
        {
            name: "PUBLISH to #",
            bytes: [48, 3, 0, 1, 35], // Topic "#"
            packets: [],
            error: err("bad-topic", 'PUBLISH topic name must not contain the wildcard "#" (level 1)'),
        },
        // malformed: other broken fields
        { name: "PUBACK packet id 0", bytes: [64, 2, 0, 0], packets: [], error: err("malformed", "PUBACK packet id must not be 0") },
        { name: "PUBREC packet id 0", bytes: [80, 2, 0, 0], packets: [], error: err("malformed", "PUBREC packet id must not be 0") },
        { name: "UNSUBACK packet id 0", bytes: [176, 2, 0, 0], packets: [], error: err("malformed", "UNSUBACK packet id must not be 0") },
        { name: "PUBLISH packet id 0", bytes: [50, 5, 0, 1, 116, 0, 0], packets: [], error: err("malformed", "PUBLISH packet id must not be 0") },
        { name: "SUBACK without return codes", bytes: [144, 2, 0, 1], packets: [], error: err("malformed", "SUBACK must carry at least one return code") },
        {
            name: "SUBACK return code 3",
            bytes: [144, 4, 0, 1, 0, 3],
            packets: [],
            error: err("malformed", "SUBACK return code 0x03 must be 0x00, 0x01, 0x02 or 0x80"),
        },
        {
            name: "SUBACK return code 0x81",
            bytes: [144, 3, 0, 1, 129],
            packets: [],
            error: err("malformed", "SUBACK return code 0x81 must be 0x00, 0x01, 0x02 or 0x80"),
        },
        { name: "CONNACK return code 6", bytes: [32, 2, 0, 6], packets: [], error: err("malformed", "CONNACK return code 6 is reserved") },
        { name: "CONNACK return code 255", bytes: [32, 2, 0, 255], packets: [], error: err("malformed", "CONNACK return code 255 is reserved") },
        {
            name: "CONNACK refused with session present",
            bytes: [32, 2, 1, 5],
            packets: [],
            error: err("malformed", "CONNACK with return code 5 must not set session present"),
        },
    ]
}

// ---------------------------------------------------------------- lengths, UTF-8, topics

/** Remaining Length encodings at every size boundary, §2.2.3 Table 2.4. */
export function remainingLengthCases(): [number, number[]][] {
    return [
        [0, [0]],
        [127, [127]],
        [128, [128, 1]],
        [16383, [255, 127]],
        [16384, [128, 128, 1]],
        [2097151, [255, 255, 127]],
        [2097152, [128, 128, 128, 1]],
        [268435455, [255, 255, 255, 127]],
    ]
}

/** mqttUtf8Error(bytes, start, end) → expected. */
export function utf8Cases(): [number[], number, number, string | null][] {
    return [
        [[], 0, 0, null],
        [[226, 130, 172], 0, 3, null],
        [[226, 130, 172], 0, 2, "truncated sequence at byte 0"],
        [[97, 0], 1, 2, "U+0000 at byte 0"],
        [[0, 97], 1, 2, null],
        [[97, 98, 237, 160, 128], 1, 5, "surrogate U+D800 at byte 1"],
    ]
}

/** [filter, name, matches]: the examples of §4.7.1.2, §4.7.1.3, §4.7.2 and §4.7.3, and more. */
export function topicMatchCases(): [string, string, boolean][] {
    return [
        // §4.7.1.2 multi-level wildcard
        ["sport/tennis/player1/#", "sport/tennis/player1", true],
        ["sport/tennis/player1/#", "sport/tennis/player1/ranking", true],
        ["sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true],
        ["sport/#", "sport", true],
        ["#", "sport/tennis/player1", true],
        ["#", "/", true],
        ["sport/tennis/#", "sport/tennisX", false],
        ["sport/tennis/#", "sport/tennis", true],
        // §4.7.1.3 single-level wildcard
        ["sport/tennis/+", "sport/tennis/player1", true],
        ["sport/tennis/+", "sport/tennis/player2", true],
        ["sport/tennis/+", "sport/tennis/player1/ranking", false],
        ["sport/+", "sport", false],
        ["sport/+", "sport/", true],
        ["+/+", "/finance", true],
        ["/+", "/finance", true],
        ["+", "/finance", false],
        ["+", "sport", true],
        ["+/tennis/#", "sport/tennis/player1/ranking", true],
        ["sport/+/player1", "sport/tennis/player1", true],
        ["sport/+/player1", "sport/tennis/player2", false],
        ["a/+/b", "a//b", true],
        ["+/+/+", "a//b", true],
        // §4.7.2 topics beginning with $ [MQTT-4.7.2-1]
        ["#", "$SYS/monitor/Clients", false],
        ["+/monitor/Clients", "$SYS/monitor/Clients", false],
        ["$SYS/#", "$SYS/monitor/Clients", true],
        ["$SYS/#", "$SYS", true],
        ["$SYS/monitor/+", "$SYS/monitor/Clients", true],
        ["+", "$SYS", false],
        ["#", "$", false],
        ["a/#", "a/$b", true],
        // §4.7.3 case, spaces, leading "/"
        ["ACCOUNTS", "Accounts", false],
        ["Accounts payable", "Accounts payable", true],
        ["/finance", "finance", false],
        ["finance", "/finance", false],
        ["/#", "/", true],
        // UTF-8 levels
        ["é/+/😀", "é/€/😀", true],
        ["温度/#", "温度", true],
        // fieldlink topics
        ["fieldlink/devices/+/status", "fieldlink/devices/sensor-01/status", true],
        ["fieldlink/devices/+/cmd/#", "fieldlink/devices/sensor-01/cmd/interval", true],
        ["fieldlink/devices/sensor-01/cmd/+", "fieldlink/devices/sensor-02/cmd/interval", false],
        // invalid filters or names never match
        ["sport/tennis#", "sport/tennis#", false],
        ["sport+", "sport+", false],
        ["a", "a/+", false],
        ["", "", false],
    ]
}

/** [filter, topicFilterError]. */
export function topicFilterCases(): [string, string | null][] {
    return [
        ["sport/tennis/player1/#", null],
        ["#", null],
        ["+", null],
        ["+/tennis/#", null],
        ["sport/+/player1", null],
        ["/+", null],
        ["/", null],
        ["$SYS/#", null],
        ["", "topic filter is empty"],
        ["sport/tennis#", 'topic filter may use "#" only as the whole last level (level 2)'],
        ["sport/tennis/#/ranking", 'topic filter may use "#" only as the whole last level (level 3)'],
        ["##", 'topic filter may use "#" only as the whole last level (level 1)'],
        ["+#", 'topic filter may use "#" only as the whole last level (level 1)'],
        ["sport+", 'topic filter may use "+" only as a whole level (level 1)'],
        ["a/b+c/d", 'topic filter may use "+" only as a whole level (level 2)'],
        ["a\u0000", "topic filter contains U+0000"],
    ]
}

/** [name, topicNameError]. */
export function topicNameCases(): [string, string | null][] {
    return [
        ["sport/tennis", null],
        ["/", null],
        ["//", null],
        ["$SYS/broker", null],
        ["Accounts payable", null],
        ["é/€/😀", null],
        ["", "topic name is empty"],
        ["a/+", 'topic name must not contain the wildcard "+" (level 2)'],
        ["#", 'topic name must not contain the wildcard "#" (level 1)'],
        ["a/b#", 'topic name must not contain the wildcard "#" (level 2)'],
        ["a\u0000b", "topic name contains U+0000"],
    ]
}

/** [id, idError] for DESIGN's `[A-Za-z0-9_-]{1,64}`. */
export function idCases(): [string, string | null][] {
    return [
        ["sensor-01", null],
        ["a", null],
        ["A_z-9", null],
        ["0123456789012345678901234567890123456789012345678901234567890123", null],
        ["", "id is empty"],
        ["01234567890123456789012345678901234567890123456789012345678901234", "id is 65 characters long, more than 64"],
        ["a/b", 'id may contain only A-Z, a-z, 0-9, "_" and "-" (character 2 is not one of them)'],
        ["+", 'id may contain only A-Z, a-z, 0-9, "_" and "-" (character 1 is not one of them)'],
        ["#", 'id may contain only A-Z, a-z, 0-9, "_" and "-" (character 1 is not one of them)'],
        ["$SYS", 'id may contain only A-Z, a-z, 0-9, "_" and "-" (character 1 is not one of them)'],
        ["a b", 'id may contain only A-Z, a-z, 0-9, "_" and "-" (character 2 is not one of them)'],
        ["..", 'id may contain only A-Z, a-z, 0-9, "_" and "-" (character 1 is not one of them)'],
        ["ab😀", 'id may contain only A-Z, a-z, 0-9, "_" and "-" (character 3 is not one of them)'],
    ]
}

/** [code, connackReason(code)], §3.2.2.3 Table 3.1. */
export function connackReasonCases(): [number, string][] {
    return [
        [0, "connection accepted"],
        [1, "unacceptable protocol version"],
        [2, "identifier rejected"],
        [3, "server unavailable"],
        [4, "bad user name or password"],
        [5, "not authorized"],
        [6, "reserved return code 6"],
    ]
}

// ---------------------------------------------------------------- oversize PUBLISH, skipped

const PINGRESP = [208, 0]

/**
 * A parser built with skipOversize passes a too-large PUBLISH on as `oversize` (no
 * payload), keeps its topic and packet id, and reads the packet after it normally.
 * The topic is "fieldlink/devices/b/cmd/note" (28 bytes).
 */
export function skipVectors(): DecodeVector[] {
    const topic = [0, 28, 102, 105, 101, 108, 100, 108, 105, 110, 107, 47, 100, 101, 118, 105, 99, 101, 115, 47, 98, 47, 99, 109, 100, 47, 110, 111, 116, 101]
    const note = "fieldlink/devices/b/cmd/note"
    const qos1 = join([50, 0xc4, 0x17], topic, [0x12, 0x34]) // Header: PUBLISH QoS 1, remaining length 3012; topic; packet id 0x1234
    const qos0Retained = join([49, 0xc4, 0x17], topic, NOTHING) // Header: PUBLISH QoS 0 retain, remaining length 3012; topic
    const long = [50, 0xba, 0x02, 1, 44] // PUBLISH QoS 1, remaining length 314, topic length 300: too long to keep
    return [
        {
            name: "QoS 1 PUBLISH of 3015 bytes skipped, PINGRESP after it parsed",
            skipOversize: true,
            maxPacketSize: 2048,
            bytes: qos1,
            fill: 3012 - 32,
            tail: PINGRESP,
            packets: [
                { type: PacketType.PUBLISH, topic: note, qos: 1, retain: false, dup: false, packetId: 0x1234, oversize: 3015 },
                { type: PacketType.PINGRESP },
            ],
        },
        {
            name: "retained QoS 0 PUBLISH skipped, no packet id",
            skipOversize: true,
            maxPacketSize: 2048,
            bytes: qos0Retained,
            fill: 3012 - 30,
            tail: PINGRESP,
            packets: [
                { type: PacketType.PUBLISH, topic: note, qos: 0, retain: true, dup: false, oversize: 3015 },
                { type: PacketType.PINGRESP },
            ],
        },
        {
            name: "topic past the kept head: no topic, the packet id still found",
            skipOversize: true,
            maxPacketSize: 300,
            bytes: long,
            fill: 300,
            tail: join([0, 7], [120, 120, 120, 120, 120, 120, 120, 120, 120, 120], PINGRESP), // packet id 7, 10 payload bytes
            packets: [
                { type: PacketType.PUBLISH, qos: 1, retain: false, dup: false, packetId: 7, oversize: 317 },
                { type: PacketType.PINGRESP },
            ],
        },
        {
            name: "a packet of exactly the maximum is not skipped",
            skipOversize: true,
            maxPacketSize: 6,
            bytes: [48, 4, 0, 1, 97, 120], // PUBLISH QoS 0, topic "a", payload "x"
            packets: [{ type: PacketType.PUBLISH, topic: "a", qos: 0, retain: false, dup: false, payload: [120] }],
        },
        {
            name: "only PUBLISH is skipped: an oversize SUBACK is still fatal",
            skipOversize: true,
            maxPacketSize: 4,
            bytes: [144, 3, 0, 1, 0],
            packets: [],
            error: err("too-large", "SUBACK of 5 bytes exceeds the maximum packet size of 4 bytes"),
        },
        {
            name: "skipped PUBLISH with packet id 0",
            skipOversize: true,
            maxPacketSize: 8,
            bytes: [50, 8, 0, 1, 97, 0, 0, 120, 120, 120],
            packets: [],
            error: err("malformed", "PUBLISH packet id must not be 0"),
        },
        {
            name: "skipped PUBLISH with ill-formed UTF-8 in its topic",
            skipOversize: true,
            maxPacketSize: 8,
            bytes: [48, 8, 0, 2, 0xc3, 0x28, 120, 120, 120, 120],
            packets: [],
            error: err("bad-utf8", "PUBLISH topic is not valid MQTT UTF-8: missing continuation byte at byte 1"),
        },
        {
            name: "skipped PUBLISH whose topic runs past the packet",
            skipOversize: true,
            maxPacketSize: 8,
            bytes: [48, 8, 0, 9, 97, 97, 97, 97, 97, 97],
            packets: [],
            error: err("truncated", "PUBLISH topic runs past the end of the packet (remaining length 8)"),
        },
    ]
}

/** a, b and c in one array (DeviceScript arrays have no concat). */
function join(a: number[], b: number[], c: number[]): number[] {
    const out: number[] = []
    for (let i = 0; i < a.length; i++) out.push(a[i])
    for (let i = 0; i < b.length; i++) out.push(b[i])
    for (let i = 0; i < c.length; i++) out.push(c[i])
    return out
}

// ---------------------------------------------------------------- helpers both suites use

export function wireLength(w: Wire): number {
    return w.bytes.length + (w.fill === undefined ? 0 : w.fill) + (w.tail === undefined ? 0 : w.tail.length)
}

/** Byte `i` of the wire, without building it. */
export function wireByte(w: Wire, i: number): number {
    if (i < w.bytes.length) return w.bytes[i]
    const tailAt = w.bytes.length + (w.fill === undefined ? 0 : w.fill)
    return i < tailAt ? FILL : (w.tail as number[])[i - tailAt]
}

/**
 * The whole wire as one allocation. The fill doubles by bulk copies, so DeviceScript
 * stays within its per-step instruction budget (see ByteKit.copy in protocol/bytes.ts).
 */
export function makeWire(kit: ByteKit, w: Wire): ByteArray {
    const out = kit.alloc(wireLength(w))
    const head = w.bytes.length
    for (let i = 0; i < head; i++) out[i] = w.bytes[i]
    const fill = w.fill === undefined ? 0 : w.fill
    if (fill > 0) out[head] = FILL
    let done = 1
    while (done < fill) {
        const n = done < fill - done ? done : fill - done
        kit.copy(out, head, out, head + done, n)
        done += n
    }
    const tail = w.tail === undefined ? NOTHING : w.tail
    for (let i = 0; i < tail.length; i++) out[head + fill + i] = tail[i]
    return out
}

const WINDOW = 256
let fillText = ""

/** Where bytes[start, start + count) differ from FILL, or null; compares natively, window by window. */
export function fillMismatch(kit: ByteKit, name: string, bytes: ByteArray, start: number, count: number): string | null {
    if (fillText.length === 0) {
        fillText = "x" // FILL as text
        while (fillText.length < WINDOW) fillText = fillText + fillText
    }
    for (let at = 0; at < count; at += WINDOW) {
        const n = count - at < WINDOW ? count - at : WINDOW
        if (kit.decodeUtf8(bytes, start + at, start + at + n) === fillText.slice(0, n)) continue
        for (let i = at; i < at + n; i++) if (bytes[start + i] !== FILL) return `${name}[${i}] is ${bytes[start + i]}, expected ${FILL}`
    }
    return null
}

/** Where `actual` differs from the wire, or null. */
export function wireMismatch(kit: ByteKit, actual: ByteArray, w: Wire): string | null {
    const n = wireLength(w)
    if (actual.length !== n) return `length ${actual.length}, expected ${n}`
    for (let i = 0; i < w.bytes.length; i++) {
        if (actual[i] !== w.bytes[i]) return `byte ${i} is ${actual[i]}, expected ${w.bytes[i]}`
    }
    return fillMismatch(kit, "byte", actual, w.bytes.length, n - w.bytes.length)
}

function fieldMismatch(name: string, actual: any, expected: any): string | null {
    if (expected === undefined) return actual === undefined ? null : `${name} is ${actual}, expected absent`
    return actual === expected ? null : `${name} is ${actual}, expected ${expected}`
}

function bytesMismatch(name: string, actual: ByteArray, expected: number[]): string | null {
    if (actual === undefined || actual === null) return `${name} is absent`
    if (actual.length !== expected.length) return `${name} length is ${actual.length}, expected ${expected.length}`
    for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) return `${name}[${i}] is ${actual[i]}, expected ${expected[i]}`
    return null
}

/** Where a decoded packet differs from the expectation, or null. */
export function packetMismatch(kit: ByteKit, actual: MqttPacket, expected: ExpectedPacket): string | null {
    const checks = [
        fieldMismatch("type", actual.type, expected.type),
        fieldMismatch("sessionPresent", actual.sessionPresent, expected.sessionPresent),
        fieldMismatch("returnCode", actual.returnCode, expected.returnCode),
        fieldMismatch("topic", actual.topic, expected.topic),
        fieldMismatch("qos", actual.qos, expected.qos),
        fieldMismatch("retain", actual.retain, expected.retain),
        fieldMismatch("dup", actual.dup, expected.dup),
        fieldMismatch("packetId", actual.packetId, expected.packetId),
        fieldMismatch("oversize", actual.oversize, expected.oversize),
    ]
    for (let i = 0; i < checks.length; i++) if (checks[i] !== null) return checks[i]
    const payload = actual.payload
    if (expected.payloadFill !== undefined) {
        if (payload === undefined || payload.length !== expected.payloadFill) return `payload is not ${expected.payloadFill} fill bytes`
        const bad = fillMismatch(kit, "payload", payload, 0, payload.length)
        if (bad !== null) return bad
    } else if (expected.payload !== undefined) {
        const bad = bytesMismatch("payload", payload as ByteArray, expected.payload)
        if (bad !== null) return bad
    } else if (payload !== undefined) return "payload is set, expected absent"
    if (expected.granted !== undefined) return bytesMismatch("granted", actual.granted as number[], expected.granted)
    if (actual.granted !== undefined) return "granted is set, expected absent"
    return null
}

/** Where a parser's output (packets, then the error feed returned) differs from `v`, or null. */
export function decodeMismatch(kit: ByteKit, v: DecodeVector, packets: MqttPacket[], error: ParseError | null): string | null {
    const n = packets.length < v.packets.length ? packets.length : v.packets.length
    for (let i = 0; i < n; i++) {
        const bad = packetMismatch(kit, packets[i], v.packets[i])
        if (bad !== null) return `packet ${i + 1}: ${bad}`
    }
    if (packets.length !== v.packets.length) return `${packets.length} packets, expected ${v.packets.length}`
    const expected = v.error
    if (expected === undefined) return error === null ? null : `unexpected error ${error.code}: ${error.message}`
    if (error === null) return `no error, expected ${expected.code}: ${expected.message}`
    if (error.code !== expected.code || error.message !== expected.message)
        return `error ${error.code}: ${error.message}, expected ${expected.code}: ${expected.message}`
    return null
}

/** Runs the one encoder `call` names. */
export function encodeCall(kit: ByteKit, call: EncodeCall): ByteArray {
    if (call.connect !== undefined) return encodeConnect(kit, call.connect)
    if (call.publish !== undefined) {
        const p = call.publish
        if (call.publishFill === undefined) return encodePublish(kit, p)
        const payload = makeWire(kit, { bytes: NOTHING, fill: call.publishFill })
        return encodePublish(kit, { topic: p.topic, payload: payload, qos: p.qos, retain: p.retain, dup: p.dup, packetId: p.packetId })
    }
    if (call.puback !== undefined) return encodePuback(kit, call.puback)
    if (call.subscribe !== undefined) return encodeSubscribe(kit, call.subscribe.packetId, call.subscribe.subscriptions)
    if (call.unsubscribe !== undefined) return encodeUnsubscribe(kit, call.unsubscribe.packetId, call.unsubscribe.topics)
    if (call.pingreq) return encodePingreq(kit)
    if (call.disconnect) return encodeDisconnect(kit)
    throw new Error("vector names no encoder")
}
