/**
 * A bounded FIFO that drops its oldest entry when full, and counts what it dropped.
 *
 * Telemetry waits here while the broker is unreachable. The newest samples are the most
 * useful after an outage, so overflow evicts from the head. A ring buffer over a plain
 * array: DeviceScript has no typed arrays and shifting a long array costs a copy.
 *
 * Each entry carries a number beside it, its stamp: the telemetry queue keeps there the
 * monotonic time (ds.millis) a sample was taken, so its age can be told when it is sent.
 * A parallel array of numbers rather than an object per entry spares the small heap.
 */
export class DropOldestQueue<T> {
    private items: (T | undefined)[] = []
    private stamps: number[] = []
    private head = 0
    private count = 0
    private droppedSinceReport = 0
    private droppedTotal = 0

    constructor(public readonly capacity: number) {
        if (!(capacity >= 1)) throw new Error("queue: capacity must be at least 1, got " + capacity)
    }

    size(): number {
        return this.count
    }

    /** Appends `item` with its `stamp`; returns true when an older item had to be dropped for it. */
    push(item: T, stamp = 0): boolean {
        let dropped = false
        if (this.count === this.capacity) {
            this.items[this.head] = undefined
            this.head = (this.head + 1) % this.capacity
            this.count--
            this.droppedSinceReport++
            this.droppedTotal++
            dropped = true
        }
        const at = (this.head + this.count) % this.capacity
        this.items[at] = item
        this.stamps[at] = stamp
        this.count++
        return dropped
    }

    /** The oldest item, without removing it; undefined when empty. */
    peek(): T | undefined {
        return this.count === 0 ? undefined : this.items[this.head]
    }

    /** The oldest item's stamp; 0 when empty. */
    peekStamp(): number {
        return this.count === 0 ? 0 : this.stamps[this.head]
    }

    /** Removes and returns the oldest item; undefined when empty. */
    shift(): T | undefined {
        if (this.count === 0) return undefined
        const item = this.items[this.head]
        this.items[this.head] = undefined
        this.head = (this.head + 1) % this.capacity
        this.count--
        return item
    }

    /** Drops not yet reported (for `"dropped"` in the next sample that gets through). */
    unreportedDrops(): number {
        return this.droppedSinceReport
    }

    /** `n` drops were reported in a sample that was sent. */
    dropsReported(n: number): void {
        this.droppedSinceReport = n >= this.droppedSinceReport ? 0 : this.droppedSinceReport - n
    }

    /** Drops since the queue was made. */
    totalDropped(): number {
        return this.droppedTotal
    }
}
