// Splits an MQTT byte stream into whole control packets by their fixed header alone
// (MQTT 3.1.1 §2.2: type nibble, flags nibble, Remaining Length as a variable byte
// integer of at most 4 bytes, §2.2.3). It never decodes a body, so it works for MQTT
// 3.1.1 and 5 alike and hands back each packet's original bytes untouched.

export const PACKET_NAMES = [
    "reserved",
    "connect",
    "connack",
    "publish",
    "puback",
    "pubrec",
    "pubrel",
    "pubcomp",
    "subscribe",
    "suback",
    "unsubscribe",
    "unsuback",
    "pingreq",
    "pingresp",
    "disconnect",
    "auth",
] as const

export type PacketName = (typeof PACKET_NAMES)[number]

export interface FramedPacket {
    /** Control packet type, 1..15 (§2.2.1). */
    type: number
    name: PacketName
    /** The low nibble of the first byte (for PUBLISH: DUP, QoS, RETAIN). */
    flags: number
    /** The whole packet as it was on the wire: fixed header and remaining bytes. */
    bytes: Buffer
}

/** Incremental framer: push() any chunk boundary, get back the packets it completes. */
export class MqttFramer {
    private buffered: Buffer = Buffer.alloc(0)

    push(chunk: Buffer): FramedPacket[] {
        this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
        const packets: FramedPacket[] = []
        for (;;) {
            const header = readFixedHeader(this.buffered)
            if (header === undefined) break
            const total = header.headerLength + header.remainingLength
            if (this.buffered.length < total) break
            const bytes = this.buffered.subarray(0, total)
            const type = bytes[0] >> 4
            packets.push({ type, name: PACKET_NAMES[type], flags: bytes[0] & 0x0f, bytes })
            this.buffered = this.buffered.subarray(total)
        }
        return packets
    }

    /** Bytes received that do not yet form a whole packet. */
    get pendingBytes(): number {
        return this.buffered.length
    }
}

/**
 * Reads the fixed header at the start of `buf`; undefined when more bytes are needed.
 * Throws on a Remaining Length longer than 4 bytes (§2.2.3).
 */
export function readFixedHeader(buf: Buffer): { headerLength: number; remainingLength: number } | undefined {
    if (buf.length < 2) return undefined
    let value = 0
    let multiplier = 1
    for (let i = 1; i <= 4; i++) {
        if (i >= buf.length) return undefined
        const byte = buf[i]
        value += (byte & 0x7f) * multiplier
        if ((byte & 0x80) === 0) return { headerLength: i + 1, remainingLength: value }
        multiplier *= 128
    }
    throw new Error(
        "Invalid variable byte integer: the Remaining Length has a continuation bit in its 4th byte",
    )
}
