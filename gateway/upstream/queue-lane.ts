/**
 * The device queue's own way onto a connection: its QoS 1 PUBLISHes (MQTT 3.1.1,
 * §3.3) encoded here, a batch in one socket write, with packet ids from the queue's
 * range (message-ids.ts) whose PUBACKs puback-splitter.ts hands back. mqtt.js keeps
 * the connection, the will, subscriptions, pings and its own few publishes; this spares
 * its per-message work (an options object, a packet object, an outgoing entry and a
 * callback per message, and mqtt-packet's parse of every PUBACK).
 *
 * One lane per connection: ids and what they stand for end with it. What was not
 * acknowledged is the queue's to send again on the next connection, as before.
 */
import { remainingLengthSize, topicNameError, writeRemainingLength } from "@fieldlink/protocol/mqtt"
import { QUEUE_ID_COUNT, QUEUE_ID_FIRST } from "./message-ids.js"

/** PUBLISH, QoS 1 (§3.3.1): type 3, flags 0010, RETAIN in bit 0. */
const PUBLISH_QOS1 = 0x32
/** Writes are cut from slabs of this size, as Node pools small Buffers: no copy, few allocations. */
const SLAB_BYTES = 16 * 1024
/** Topics whose bytes are kept; a device uses a handful. */
const MAX_TOPICS = 64

/** A topic's UTF-8 bytes, each built once; `null` for a name MQTT does not allow. */
export class TopicBytes {
    private readonly known = new Map<string, Buffer | null>()

    get(topic: string): Buffer | null {
        let bytes = this.known.get(topic)
        if (bytes === undefined) {
            bytes = topicNameError(topic) === null ? Buffer.from(topic) : null
            if (this.known.size < MAX_TOPICS) this.known.set(topic, bytes)
        }
        return bytes
    }
}

/**
 * Where the lane writes: the connection's stream. `drained` says every byte written so
 * far has left the process (handed to the kernel); a stream without it never is.
 */
export interface LaneSink {
    write(chunk: Buffer): unknown
    readonly drained?: boolean
}

/** A payload already in UTF-8 bytes (a queued message's), copied as it is. */
export interface PayloadBytes {
    readonly byteLength: number
    copyTo(target: Buffer, at: number): number
}

export class QueueLane {
    /** The queue's seq for each id of the range in flight (0: none). */
    private readonly seqs = new Float64Array(QUEUE_ID_COUNT)
    private nextId = 0
    private slab = Buffer.allocUnsafe(SLAB_BYTES)
    /** Where the batch being built starts in the slab, and where it ends. */
    private start = 0
    private end = 0

    constructor(
        private readonly stream: LaneSink,
        private readonly topics: TopicBytes,
        /** A PUBACK came for the message with this seq. */
        private readonly acked: (seq: number) => void,
    ) {}

    /**
     * Adds a QoS 1 PUBLISH to the batch (sent by `flush`). Returns false, adding
     * nothing, when the topic is not a valid MQTT topic name (mqtt.js then says why).
     */
    add(seq: number, topic: string, payload: string | PayloadBytes, retain: boolean): boolean {
        const topicBytes = this.topics.get(topic)
        if (topicBytes === null) return false
        const payloadBytes = typeof payload === "string" ? Buffer.byteLength(payload) : payload.byteLength
        const remaining = 2 + topicBytes.length + 2 + payloadBytes
        const size = 1 + remainingLengthSize(remaining) + remaining
        if (this.end + size > this.slab.length) {
            this.flush() // which may free the slab (see flush)
            if (this.end + size > this.slab.length) {
                this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, size))
                this.start = this.end = 0
            }
        }
        const id = this.claimId(seq)
        const out = this.slab
        let pos = this.end
        out[pos++] = PUBLISH_QOS1 | (retain ? 1 : 0)
        pos = writeRemainingLength(out, pos, remaining)
        pos = out.writeUInt16BE(topicBytes.length, pos)
        pos += topicBytes.copy(out, pos)
        pos = out.writeUInt16BE(id, pos)
        pos += typeof payload === "string" ? out.write(payload, pos) : payload.copyTo(out, pos)
        this.end = pos
        return true
    }

    /**
     * Writes the batch onto the connection's stream, behind whatever mqtt.js wrote before
     * it. When the stream took it through to the kernel at once (the usual case), the slab
     * is written over from its start next time: a slab given up instead outlives the young
     * generation under a burst, and its memory comes back only at the next full collection.
     */
    flush(): void {
        if (this.end === this.start) return
        this.stream.write(this.slab.subarray(this.start, this.end))
        if (this.stream.drained === true) this.end = 0
        this.start = this.end
    }

    /** A PUBACK of the queue's range (puback-splitter.ts). */
    puback(id: number): void {
        const k = id - QUEUE_ID_FIRST
        const seq = k < QUEUE_ID_COUNT ? this.seqs[k] : 0
        if (seq === 0) return // none in flight with that id: a duplicate, or a broker's mistake
        this.seqs[k] = 0
        this.acked(seq)
    }

    /** The next id of the lane's. The send window is far smaller than their number, so it is free. */
    private claimId(seq: number): number {
        const k = this.nextId
        this.nextId = (k + 1) % QUEUE_ID_COUNT
        this.seqs[k] = seq
        return QUEUE_ID_FIRST + k
    }
}

/** Whether a PUBACK's id is in the queue's range. */
export function isQueueId(id: number): boolean {
    return id >= QUEUE_ID_FIRST
}
