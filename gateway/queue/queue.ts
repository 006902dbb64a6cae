/**
 * One device's bounded message queue: the bookkeeping only (pure, no I/O).
 *
 * Messages get consecutive sequence numbers and leave from the head, either acknowledged
 * by the broker (PUBACK, in order) or dropped when a bound is hit (oldest first). A
 * window of them may be in flight at once; when a connection is lost every unacknowledged
 * one is sent again from the head, so delivery is at least once and in order (a resent
 * tail may repeat). `onDisk` marks the ones the journal holds.
 *
 * Each message keeps when it was received, twice: `receivedAt` on the wall clock (it goes
 * to the journal, so a restarted gateway still knows) and `heldSince` on the monotonic
 * clock (what its age is counted from while the gateway runs, immune to clock steps).
 * A message loaded from disk gets `heldSince` from the wall clock: see `heldSinceOf`.
 */

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

export interface Slot extends QueuedMessage {
    /** Topic and payload bytes (UTF-8), counted against maxBytes. */
    size: number
    acked: boolean
    onDisk: boolean
}

export interface QueueLimits {
    maxMessages: number
    maxBytes: number
}

export function messageSize(topic: string, payload: string): number {
    return Buffer.byteLength(topic) + Buffer.byteLength(payload)
}

export class MessageQueue {
    private slots: Slot[] = []
    private head = 0
    /** Index of the next slot to send. */
    private sendIndex = 0
    /** Index of the first slot the journal has not looked at. */
    private saveIndex = 0
    private byteCount = 0
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
        return this.slots.length - this.head
    }

    get bytes(): number {
        return this.byteCount
    }

    get inFlight(): number {
        return this.sendIndex - this.head
    }

    /** Sequence number of the last message that left the queue (acked or dropped). */
    get consumedSeq(): number {
        return this.depth > 0 ? this.slots[this.head].seq - 1 : this.nextSeq - 1
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

    // Fields as arguments, one object built: this runs for every line.
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
        const size = messageSize(topic, payload)
        this.slots.push({
            seq,
            topic,
            payload,
            retain,
            qos,
            receivedAt,
            heldSince,
            size,
            acked: false,
            onDisk,
        })
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
        this.dropped += dropped
        this.compact()
        return dropped
    }

    /** The next message to publish (marked in flight), or undefined. */
    nextToSend(): QueuedMessage | undefined {
        while (this.sendIndex < this.slots.length && this.slots[this.sendIndex].acked) this.sendIndex++
        if (this.sendIndex >= this.slots.length) return undefined
        return this.slots[this.sendIndex++]
    }

    /** The broker acknowledged `seq`. Returns the messages that left the head with it. */
    ack(seq: number): number {
        if (this.depth === 0) return 0
        const index = this.head + (seq - this.slots[this.head].seq)
        if (index < this.head || index >= this.slots.length) return 0 // dropped meanwhile, or unknown
        this.slots[index].acked = true
        let consumed = 0
        while (this.depth > 0 && this.slots[this.head].acked) {
            this.removeHead()
            consumed++
        }
        this.compact()
        return consumed
    }

    /** The connection was lost: everything not acknowledged will be sent again, in order. */
    resendUnacked(): void {
        this.sendIndex = this.head
    }

    /** Unacknowledged messages the journal has not written yet; marks them as written. */
    takeUnsaved(): QueuedMessage[] {
        const out: QueuedMessage[] = []
        for (let i = Math.max(this.saveIndex, this.head); i < this.slots.length; i++) {
            const s = this.slots[i]
            if (!s.acked && !s.onDisk) {
                s.onDisk = true
                out.push(s)
            }
        }
        this.saveIndex = this.slots.length
        return out
    }

    /** Every message still queued, oldest first (for compaction and shutdown). */
    pending(): QueuedMessage[] {
        return this.slots.slice(this.head).filter(s => !s.acked)
    }

    /** Marks every queued message as written (after the journal was rewritten from pending()). */
    markAllSaved(): void {
        for (let i = this.head; i < this.slots.length; i++) this.slots[i].onDisk = true
        this.saveIndex = this.slots.length
    }

    private removeHead(): void {
        const s = this.slots[this.head]
        this.byteCount -= s.size
        this.slots[this.head] = undefined as unknown as Slot
        this.head++
        if (this.sendIndex < this.head) this.sendIndex = this.head
    }

    private compact(): void {
        if (this.head > 1024 && this.head * 2 > this.slots.length) {
            this.slots = this.slots.slice(this.head)
            this.sendIndex -= this.head
            this.saveIndex = Math.max(0, this.saveIndex - this.head)
            this.head = 0
        }
    }
}
