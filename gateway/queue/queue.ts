/**
 * One device's bounded message queue: the bookkeeping only (pure, no I/O).
 *
 * Messages get consecutive sequence numbers and leave from the head, either acknowledged
 * by the broker (PUBACK, in order) or dropped when a bound is hit (oldest first). A
 * window of them may be in flight at once; when a connection is lost every unacknowledged
 * one is sent again from the head, so delivery is at least once and in order (a resent
 * tail may repeat). ON_DISK marks the ones the journal holds.
 *
 * Each message keeps when it was received, twice: `receivedAt` on the wall clock (it goes
 * to the journal, so a restarted gateway still knows) and `heldSince` on the monotonic
 * clock (what its age is counted from while the gateway runs, immune to clock steps).
 * A message loaded from disk gets `heldSince` from the wall clock: see `heldSinceOf`.
 *
 * Kept as columns, not as an object per message: a burst can leave tens of thousands
 * waiting (a 50,000-line burst on 16 ports: ~30,000 at its peak), and each object — its
 * fields, two boxed times, its payload string and the serial read that string was cut
 * from — outlived the young generation, so the garbage collector promoted, traced and
 * compacted it: ~560 bytes of the gateway's memory per queued message at the peak. Now
 * a message is its payload's UTF-8 bytes (pages.ts) and ~50 bytes in typed arrays.
 */
import { PayloadPages } from "./pages.js"

/** A message as the journal keeps it. */
export interface StoredMessage {
    seq: number
    topic: string
    payload: string
    retain: boolean
    qos: 0 | 1
    /** Wall-clock time the gateway received it, ms since the epoch. */
    receivedAt: number
}

export interface QueuedMessage extends StoredMessage {
    /** Monotonic time (QueueClock.mono) from which its wait counts. */
    heldSince: number
}

/**
 * A message as the queue has it (nextToSend, takeUnsaved, pending): its payload is also
 * there as the UTF-8 bytes the queue keeps, to be copied or escaped as they are (the
 * queue lane, the journal). Read them before the message leaves the queue; never keep or
 * change them.
 */
export interface OutgoingMessage extends QueuedMessage {
    /** The page that holds the payload's UTF-8 bytes, from byteOffset. */
    readonly bytes: Buffer
    readonly byteOffset: number
    /** The payload's length in UTF-8 bytes. */
    readonly byteLength: number
    /** Copies the payload's bytes into `target` at `at`; returns how many. */
    copyTo(target: Buffer, at: number): number
}

/** An OutgoingMessage whose payload is decoded only if asked for. */
class Outgoing implements OutgoingMessage {
    constructor(
        readonly seq: number,
        readonly topic: string,
        readonly retain: boolean,
        readonly qos: 0 | 1,
        readonly receivedAt: number,
        readonly heldSince: number,
        readonly bytes: Buffer,
        readonly byteOffset: number,
        readonly byteLength: number,
    ) {}

    get payload(): string {
        return this.bytes.toString("utf8", this.byteOffset, this.byteOffset + this.byteLength)
    }

    copyTo(target: Buffer, at: number): number {
        return this.bytes.copy(target, at, this.byteOffset, this.byteOffset + this.byteLength)
    }
}

export interface QueueClock {
    /** Wall clock, ms since the epoch: may step (NTP, a person, an RTC-less boot). */
    wall(): number
    /** Monotonic ms: never steps, but means nothing across a restart. */
    mono(): number
}

export const systemClock: QueueClock = { wall: () => Date.now(), mono: () => performance.now() }

/**
 * When a message read back from disk started waiting, on this run's monotonic clock: the
 * time since it was received is the wall clock's now − `receivedAt`, which counts the
 * time the gateway was down. If the wall clock went backwards meanwhile that difference
 * can be negative: it is clamped to 0 (the message is as young as now). If it jumped
 * forwards, the age over-estimates by the jump.
 */
export function heldSinceOf(m: StoredMessage, clock: QueueClock): number {
    return clock.mono() - Math.max(0, clock.wall() - m.receivedAt)
}

export interface QueueLimits {
    maxMessages: number
    maxBytes: number
}

type TypedColumn = Float64Array | Uint32Array | Uint8Array

const RETAIN = 1
const QOS1 = 2
const ACKED = 4
const ON_DISK = 8

/** Column length of a new queue; they double as it grows, and shrink again in `trim`. */
const MIN_CAPACITY = 64

export class MessageQueue {
    // One column per field; message k (head ≤ k < tail, numbered as they came; renumbered
    // from 0 when the columns are resized or the queue empties) sits at row k % capacity.
    // No object per message: see the file's comment.
    private capacity = MIN_CAPACITY
    private seqs = new Float64Array(MIN_CAPACITY)
    private topics: (string | undefined)[] = new Array(MIN_CAPACITY).fill(undefined)
    private flags = new Uint8Array(MIN_CAPACITY)
    private receivedAts = new Float64Array(MIN_CAPACITY)
    private heldSinces = new Float64Array(MIN_CAPACITY)
    /** Topic and payload bytes (UTF-8), counted against maxBytes. */
    private sizes = new Uint32Array(MIN_CAPACITY)
    /** Where the payload is in `payloads`: page number, offset, length. */
    private pageNos = new Float64Array(MIN_CAPACITY)
    private offsets = new Uint32Array(MIN_CAPACITY)
    private lengths = new Uint32Array(MIN_CAPACITY)
    private readonly payloads = new PayloadPages()
    /** The last topic added and its length in bytes: a device sends most lines to one. */
    private lastTopic = ""
    private lastTopicBytes = 0

    /** The most rows held since the last trim. */
    private rowsNeeded = 0

    private head = 0
    private tail = 0
    /** The next message to send. */
    private sendIndex = 0
    /** The first message the journal has not looked at. */
    private saveIndex = 0
    private byteCount = 0
    /** Sizes of the rows from head to sendIndex (in flight, or acknowledged behind the head). */
    private sentBytes = 0
    private nextSeq: number
    /** Messages dropped because a bound was hit, since start. */
    dropped = 0

    constructor(
        readonly limits: QueueLimits,
        firstSeq = 1,
        readonly clock: QueueClock = systemClock,
    ) {
        this.nextSeq = firstSeq
    }

    get depth(): number {
        return this.tail - this.head
    }

    get bytes(): number {
        return this.byteCount
    }

    get inFlight(): number {
        return this.sendIndex - this.head
    }

    /** Topic and payload bytes of the messages in flight (counted as inFlight counts them). */
    get inFlightBytes(): number {
        return this.sentBytes
    }

    /** What its storage holds now: bytes of payload pages, rows of the columns. */
    get memory(): { payloadBytes: number; rows: number } {
        return { payloadBytes: this.payloads.capacity, rows: this.capacity }
    }

    /** Sequence number of the last message that left the queue (acked or dropped). */
    get consumedSeq(): number {
        return this.depth > 0 ? this.seqs[this.row(this.head)] - 1 : this.nextSeq - 1
    }

    /** Adds a message received now at the tail; drops from the head past the bounds. Returns how many were dropped. */
    push(topic: string, payload: string, retain: boolean, qos: 0 | 1): number {
        return this.add(
            this.nextSeq,
            topic,
            payload,
            retain,
            qos,
            this.clock.wall(),
            this.clock.mono(),
            false,
        )
    }

    /** Adds a message read back from the journal, with its own seq and receive time. */
    restore(m: StoredMessage): number {
        return this.add(
            m.seq,
            m.topic,
            m.payload,
            m.retain,
            m.qos,
            m.receivedAt,
            heldSinceOf(m, this.clock),
            true,
        )
    }

    /** How long `m` has waited so far, ms. */
    waited(m: QueuedMessage): number {
        return this.clock.mono() - m.heldSince
    }

    // Fields as arguments, no object built: this runs for every line.
    private add(
        seq: number,
        topic: string,
        payload: string,
        retain: boolean,
        qos: 0 | 1,
        receivedAt: number,
        heldSince: number,
        onDisk: boolean,
    ): number {
        if (this.depth === this.capacity) this.resize(this.capacity * 2)
        if (this.depth >= this.rowsNeeded) this.rowsNeeded = this.depth + 1
        const r = this.row(this.tail)
        const length = this.payloads.append(payload)
        if (topic !== this.lastTopic) {
            this.lastTopic = topic
            this.lastTopicBytes = Buffer.byteLength(topic)
        }
        const size = this.lastTopicBytes + length
        this.seqs[r] = seq
        this.topics[r] = topic
        this.flags[r] = (retain ? RETAIN : 0) | (qos === 1 ? QOS1 : 0) | (onDisk ? ON_DISK : 0)
        this.receivedAts[r] = receivedAt
        this.heldSinces[r] = heldSince
        this.sizes[r] = size
        this.pageNos[r] = this.payloads.lastPage
        this.offsets[r] = this.payloads.lastOffset
        this.lengths[r] = length
        this.tail++
        this.nextSeq = seq + 1
        this.byteCount += size
        let dropped = 0
        while (
            this.depth > 1 &&
            (this.depth > this.limits.maxMessages || this.byteCount > this.limits.maxBytes)
        ) {
            this.removeHead()
            dropped++
        }
        if (dropped > 0) {
            this.dropped += dropped
            this.headMoved()
        }
        return dropped
    }

    /** The next message to publish (marked in flight), or undefined. */
    nextToSend(): OutgoingMessage | undefined {
        while (this.sendIndex < this.tail && this.has(this.sendIndex, ACKED))
            this.sentBytes += this.sizes[this.row(this.sendIndex++)]
        if (this.sendIndex >= this.tail) return undefined
        const k = this.sendIndex++
        this.sentBytes += this.sizes[this.row(k)]
        return this.message(k)
    }

    /** The broker acknowledged `seq`. Returns the messages that left the head with it. */
    ack(seq: number): number {
        const k = this.indexOf(seq)
        if (k < 0) return 0 // dropped meanwhile, or unknown
        this.flags[this.row(k)] |= ACKED
        let consumed = 0
        while (this.depth > 0 && this.has(this.head, ACKED)) {
            this.removeHead()
            consumed++
        }
        if (consumed > 0) this.headMoved()
        return consumed
    }

    /** The connection was lost: everything not acknowledged will be sent again, in order. */
    resendUnacked(): void {
        this.sendIndex = this.head
        this.sentBytes = 0
    }

    /** Unacknowledged messages the journal has not written yet; marks them as written. */
    takeUnsaved(): OutgoingMessage[] {
        const out: OutgoingMessage[] = []
        for (let k = Math.max(this.saveIndex, this.head); k < this.tail; k++) {
            if (!this.has(k, ACKED) && !this.has(k, ON_DISK)) {
                this.flags[this.row(k)] |= ON_DISK
                out.push(this.message(k))
            }
        }
        this.saveIndex = this.tail
        return out
    }

    /** Every message still queued, oldest first (for compaction and shutdown). */
    pending(): OutgoingMessage[] {
        const out: OutgoingMessage[] = []
        for (let k = this.head; k < this.tail; k++) if (!this.has(k, ACKED)) out.push(this.message(k))
        return out
    }

    /** Marks every queued message as written (after the journal was rewritten from pending()). */
    markAllSaved(): void {
        for (let k = this.head; k < this.tail; k++) this.flags[this.row(k)] |= ON_DISK
        this.saveIndex = this.tail
    }

    private row(k: number): number {
        return k % this.capacity
    }

    private has(k: number, flag: number): boolean {
        return (this.flags[this.row(k)] & flag) !== 0
    }

    private message(k: number): OutgoingMessage {
        const r = this.row(k)
        const flags = this.flags[r]
        return new Outgoing(
            this.seqs[r],
            this.topics[r]!,
            (flags & RETAIN) !== 0,
            (flags & QOS1) !== 0 ? 1 : 0,
            this.receivedAts[r],
            this.heldSinces[r],
            this.payloads.page(this.pageNos[r]),
            this.offsets[r],
            this.lengths[r],
        )
    }

    /**
     * Where message `seq` is, or -1. Seqs rise along the queue; they are consecutive but
     * where a journal left gaps (messages acknowledged out of order before a restart).
     */
    private indexOf(seq: number): number {
        if (this.depth === 0) return -1
        const guess = this.head + (seq - this.seqs[this.row(this.head)])
        if (guess >= this.head && guess < this.tail && this.seqs[this.row(guess)] === seq) return guess
        let low = this.head
        let high = this.tail - 1
        while (low <= high) {
            const mid = Math.floor((low + high) / 2)
            const at = this.seqs[this.row(mid)]
            if (at === seq) return mid
            if (at < seq) low = mid + 1
            else high = mid - 1
        }
        return -1
    }

    private removeHead(): void {
        const r = this.row(this.head)
        this.byteCount -= this.sizes[r]
        if (this.head < this.sendIndex) this.sentBytes -= this.sizes[r]
        this.topics[r] = undefined
        this.head++
        if (this.sendIndex < this.head) this.sendIndex = this.head
    }

    /** After messages left the head: let go of their payloads' pages, and of spare rows once empty. */
    private headMoved(): void {
        if (this.depth > 0) {
            this.payloads.releaseBefore(this.pageNos[this.row(this.head)])
            return
        }
        this.payloads.clear()
        this.head = this.tail = this.sendIndex = this.saveIndex = 0
    }

    /**
     * Gives back rows and payload pages a burst needed and the time since the last trim
     * did not (called every journal flush). Not when the queue empties: under a burst a
     * device's queue empties and fills again many times a second, and shrinking and
     * growing the columns each time cost more than the rest of the queue's work.
     */
    trim(): void {
        const rows = Math.max(MIN_CAPACITY, 2 ** Math.ceil(Math.log2(2 * this.rowsNeeded || 1)))
        if (rows < this.capacity) this.resize(rows)
        this.rowsNeeded = this.depth
        this.payloads.trim()
    }

    /**
     * Moves the queued rows, in order, to the start of columns of `capacity` rows, and
     * numbers the messages from 0 again. Typed columns move by block copies: element by
     * element through one function for every column type, this was the most expensive
     * part of a burst.
     */
    private resize(capacity: number): void {
        const first = this.row(this.head)
        const firstRun = Math.min(this.depth, this.capacity - first)
        const move = <T extends TypedColumn>(from: T, to: T): T => {
            to.set(from.subarray(first, first + firstRun), 0)
            to.set(from.subarray(0, this.depth - firstRun), firstRun)
            return to
        }
        const topics = new Array<string | undefined>(capacity).fill(undefined)
        for (let i = 0; i < this.depth; i++) topics[i] = this.topics[this.row(this.head + i)]
        this.topics = topics
        this.seqs = move(this.seqs, new Float64Array(capacity))
        this.flags = move(this.flags, new Uint8Array(capacity))
        this.receivedAts = move(this.receivedAts, new Float64Array(capacity))
        this.heldSinces = move(this.heldSinces, new Float64Array(capacity))
        this.sizes = move(this.sizes, new Uint32Array(capacity))
        this.pageNos = move(this.pageNos, new Float64Array(capacity))
        this.offsets = move(this.offsets, new Uint32Array(capacity))
        this.lengths = move(this.lengths, new Uint32Array(capacity))
        this.capacity = capacity
        this.tail -= this.head
        this.sendIndex -= this.head
        this.saveIndex = Math.max(0, this.saveIndex - this.head)
        this.head = 0
    }
}
