/**
 * The journal's records as bytes (journal.ts has the format), written straight into a
 * buffer: the same bytes as `Buffer.from(JSON.stringify(record) + "\n")`, without the
 * strings in between.
 *
 * Why by hand: under a burst most lines are journaled (the backlog outlives a flush), and
 * during an outage every one. Built as text, a record cost ~1 µs (decoding the payload
 * from the queue's pages, `JSON.stringify` of it, `Buffer.from` of the batch); here a
 * payload's UTF-8 bytes are escaped from the page they are kept in and everything else
 * is ASCII the writer puts down itself: ~0.6 µs (bench/gateway/records.ts).
 */
import type { OutgoingMessage } from "./queue.js"

/** Topics kept as JSON bytes per journal; a device uses a handful. */
const MAX_TOPICS = 32

/**
 * Bytes a writer gathers before they go to its sink: a burst's batch (thousands of
 * records) goes in writes of this size, from one buffer, instead of a buffer grown (and
 * copied) to the whole batch. Allocated at a journal's first write.
 */
const CHUNK_BYTES = 32 * 1024

const QUOTE = 0x22
const BACKSLASH = 0x5c
const HEX = "0123456789abcdef"
/** JSON.stringify's short escapes: \b \t \n \f \r (the other control bytes: \u00XX). */
const SHORT_ESCAPE: Record<number, number> = { 0x08: 0x62, 0x09: 0x74, 0x0a: 0x6e, 0x0c: 0x66, 0x0d: 0x72 }

const ascii = (text: string) => Uint8Array.from(text, c => c.charCodeAt(0))
const SEQ = ascii('{"s":')
const RETAIN = ascii(',"r":')
const QOS = ascii(',"q":')
const RECEIVED = ascii(',"w":')
const END = ascii("}\n")
const CONSUMED = ascii('{"c":')

// The writing itself: functions of the buffer and a position that return the next
// position, so that the position lives in a register, not in an object, as bytes go down.

function put(b: Buffer, at: number, bytes: Uint8Array): number {
    for (let i = 0; i < bytes.length; i++) b[at++] = bytes[i]
    return at
}

/** A non-negative integer below 2^31 in decimal, zero-padded to `width` digits. */
function digits(b: Buffer, at: number, n: number, width: number): number {
    let count = 1
    for (let rest = n; rest >= 10; rest = (rest / 10) | 0) count++
    if (count < width) count = width
    const end = at + count
    for (let i = end - 1; i >= at; i--) {
        const tenth = (n / 10) | 0
        b[i] = 0x30 + (n - tenth * 10)
        n = tenth
    }
    return end
}

/**
 * A number as JSON writes it: integers digit by digit, anything else through JSON.
 * Integers past 2^31 (a receive time in ms) go as two halves below it: the digits of a
 * double need a floating-point remainder each, several times slower.
 */
function number(b: Buffer, at: number, n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) return at + b.write(JSON.stringify(n), at, "latin1")
    if (n < 0x80000000) return digits(b, at, n, 0)
    const high = Math.floor(n / 1e8)
    return digits(b, digits(b, at, high, 0), n - high * 1e8, 8)
}

/**
 * UTF-8 bytes as a JSON string, escaped as JSON.stringify escapes their text: `"` and
 * `\` by a backslash, control bytes as \b \t \n \f \r or \u00XX; every other byte as it
 * is (the queue's bytes are well-formed UTF-8: Buffer.write made them).
 */
function jsonString(b: Buffer, at: number, source: Buffer, start: number, end: number): number {
    b[at++] = QUOTE
    for (let i = start; i < end; i++) {
        const byte = source[i]
        if (byte >= 0x20 && byte !== QUOTE && byte !== BACKSLASH) {
            b[at++] = byte
            continue
        }
        b[at++] = BACKSLASH
        const short = byte === QUOTE || byte === BACKSLASH ? byte : SHORT_ESCAPE[byte]
        if (short !== undefined) {
            b[at++] = short
        } else {
            b[at++] = 0x75 // u
            b[at++] = 0x30
            b[at++] = 0x30
            b[at++] = HEX.charCodeAt(byte >> 4)
            b[at++] = HEX.charCodeAt(byte & 15)
        }
    }
    b[at++] = QUOTE
    return at
}

/**
 * Builds batches of records and hands their bytes to `sink` (a write to the journal's
 * file) in chunks of CHUNK_BYTES and at `end()`. The bytes are the writer's own buffer:
 * valid during the call only.
 */
export class RecordWriter {
    private buffer = Buffer.alloc(0)
    private used = 0
    /** Bytes of this batch already handed to the sink. */
    private sunk = 0
    /** Per topic, the bytes between the seq and the payload: `,"t":<topic as JSON>,"p":`. */
    private readonly topics = new Map<string, Buffer>()

    constructor(private readonly sink: (bytes: Buffer) => void) {}

    /** Bytes of the batch so far. */
    get length(): number {
        return this.sunk + this.used
    }

    /** `{"s":…,"t":…,"p":…,"r":…,"q":…,"w":…}` and a newline. */
    message(m: OutgoingMessage): void {
        const topic = this.topicPart(m.topic)
        // At most 6 bytes per payload byte (\u00XX), 24 per number, the keys.
        this.reserve(6 * m.byteLength + topic.length + 128)
        const b = this.buffer
        let at = put(b, this.used, SEQ)
        at = number(b, at, m.seq)
        at = put(b, at, topic)
        at = jsonString(b, at, m.bytes, m.byteOffset, m.byteOffset + m.byteLength)
        at = put(b, at, RETAIN)
        b[at++] = m.retain ? 0x31 : 0x30
        at = put(b, at, QOS)
        b[at++] = m.qos === 1 ? 0x31 : 0x30
        at = put(b, at, RECEIVED)
        at = number(b, at, m.receivedAt)
        this.used = put(b, at, END)
    }

    /** `{"c":…}` and a newline: every message up to `seq` has left the queue. */
    consumed(seq: number): void {
        this.reserve(32)
        const b = this.buffer
        this.used = put(b, number(b, put(b, this.used, CONSUMED), seq), END)
    }

    /** Hands the rest of the batch to the sink; returns the batch's length in bytes. */
    end(): number {
        this.drain()
        const length = this.sunk
        this.sunk = 0
        return length
    }

    /** Forgets what is not handed over yet (the sink failed: the batch is void). */
    discard(): void {
        this.used = 0
        this.sunk = 0
    }

    /** Room for `bytes` more: what is gathered goes to the sink first if they would not fit. */
    private reserve(bytes: number): void {
        if (this.used + bytes <= this.buffer.length) return
        this.drain()
        // One record larger than a chunk (a long payload) gets a buffer of its own.
        if (bytes > this.buffer.length) this.buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, bytes))
    }

    private drain(): void {
        if (this.used === 0) return
        const bytes = this.buffer.subarray(0, this.used)
        this.used = 0
        this.sunk += bytes.length
        if (this.buffer.length > CHUNK_BYTES) this.buffer = Buffer.alloc(0)
        this.sink(bytes)
    }

    private topicPart(topic: string): Buffer {
        let part = this.topics.get(topic)
        if (part === undefined) {
            part = Buffer.from(`,"t":${JSON.stringify(topic)},"p":`)
            if (this.topics.size < MAX_TOPICS) this.topics.set(topic, part)
        }
        return part
    }
}
