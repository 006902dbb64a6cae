/**
 * Pure readings of a recorded MQTT byte stream: telemetry cost per sample, keep-alive
 * cost per exchange and its period, the keep-alive a CONNECT carries; and the MQTT 3.1.1
 * floor each is compared with.
 */
import type { WirePacket } from "./wire-tap.js"

/** Bytes of a Remaining Length field (§2.2.3): 1 to 4. */
export function remainingLengthBytes(value: number): number {
    return value < 128 ? 1 : value < 16384 ? 2 : value < 2097152 ? 3 : 4
}

/**
 * The smallest QoS 0 PUBLISH that can carry `topicBytes` of topic and `payloadBytes` of
 * payload (§3.3): fixed header byte, Remaining Length, 2-byte topic length, topic, payload.
 * A 30-byte topic with a 40-byte payload: 1 + 1 + 2 + 30 + 40 = 74.
 */
export function publishFloorBytes(topicBytes: number, payloadBytes: number): number {
    const remaining = 2 + topicBytes + payloadBytes
    return 1 + remainingLengthBytes(remaining) + remaining
}

/** PINGREQ (2 bytes) + PINGRESP (2 bytes): the least one keep-alive period can cost. */
export const KEEPALIVE_FLOOR_BYTES = 4

function headerLength(bytes: Buffer): number {
    let i = 1
    while (bytes[i] & 0x80) i++
    return i + 1
}

export interface PublishParts {
    topic: string
    topicBytes: number
    payloadBytes: number
}

export function publishParts(bytes: Buffer): PublishParts {
    const start = headerLength(bytes)
    const topicBytes = bytes.readUInt16BE(start)
    const qos = (bytes[0] >> 1) & 3
    const payloadStart = start + 2 + topicBytes + (qos > 0 ? 2 : 0)
    return {
        topic: bytes.subarray(start + 2, start + 2 + topicBytes).toString("utf8"),
        topicBytes,
        payloadBytes: bytes.length - payloadStart,
    }
}

/** The keep-alive (seconds) a CONNECT packet carries (§3.1.2.10). */
export function connectKeepAlive(bytes: Buffer): number {
    const start = headerLength(bytes)
    const nameLength = bytes.readUInt16BE(start)
    // protocol name, then level (1 byte) and flags (1 byte), then keep-alive.
    return bytes.readUInt16BE(start + 2 + nameLength + 2)
}

export interface TelemetryCost {
    samples: number
    /** Every byte of the telemetry PUBLISH packets. */
    wireBytes: number
    /** The floor for the same topics and payloads. */
    floorBytes: number
    meanTopicBytes: number
    meanPayloadBytes: number
    /** Socket writes per telemetry PUBLISH, on average. */
    writesPerPublish: number
}

export function telemetryCost(packets: readonly WirePacket[]): TelemetryCost {
    const publishes = packets.filter(
        p =>
            p.direction === "up" &&
            p.name === "publish" &&
            publishParts(p.bytes).topic.endsWith("/telemetry"),
    )
    let wire = 0
    let floor = 0
    let topic = 0
    let payload = 0
    let writes = 0
    for (const p of publishes) {
        const parts = publishParts(p.bytes)
        wire += p.bytes.length
        floor += publishFloorBytes(parts.topicBytes, parts.payloadBytes)
        topic += parts.topicBytes
        payload += parts.payloadBytes
        writes += p.chunks
    }
    const n = publishes.length
    return {
        samples: n,
        wireBytes: wire,
        floorBytes: floor,
        meanTopicBytes: n ? topic / n : NaN,
        meanPayloadBytes: n ? payload / n : NaN,
        writesPerPublish: n ? writes / n : NaN,
    }
}

export interface KeepAliveCost {
    /** PINGREQs the board sent. */
    pings: number
    /** Bytes of one PINGREQ and the PINGRESP that answered it (mean over answered pings). */
    exchangeBytes: number
    /** Mean time between consecutive PINGREQs (ms); NaN with fewer than two. */
    periodMs: number
    /** When the first PINGREQ went out (ms on the tap's clock); NaN when none did. */
    firstPingAt: number
}

export function keepAliveCost(packets: readonly WirePacket[]): KeepAliveCost {
    const requests = packets.filter(p => p.direction === "up" && p.name === "pingreq")
    let exchange = 0
    let answered = 0
    for (const req of requests) {
        const resp = packets.find(p => p.direction === "down" && p.name === "pingresp" && p.at >= req.at)
        if (!resp) continue
        exchange += req.bytes.length + resp.bytes.length
        answered++
    }
    const gaps = requests.slice(1).map((req, i) => req.at - requests[i].at)
    return {
        pings: requests.length,
        exchangeBytes: answered ? exchange / answered : NaN,
        periodMs: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : NaN,
        firstPingAt: requests.length ? requests[0].at : NaN,
    }
}

/** Bytes per hour of `bytesPerPeriod` spent every `periodMs`. */
export function perHour(bytesPerPeriod: number, periodMs: number): number {
    return (bytesPerPeriod * 3600_000) / periodMs
}
