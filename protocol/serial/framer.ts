/**
 * Splits a serial byte stream into lines (DESIGN §4): a line ends at `\n`, one `\r`
 * before it is dropped, and a line longer than `maxLineBytes` is discarded up to the
 * next `\n` and reported once with its length. Accepts any chunk boundary.
 *
 * Memory is bounded by `maxLineBytes + 1` whatever arrives: an endless line without a
 * `\n` is counted, never buffered. Pure: bytes in, events out.
 */

export type FrameEvent =
    /** One complete line, without its `\n` and `\r`. Shares memory with the input when it can. */
    | { kind: "line"; bytes: Uint8Array }
    /** A line past the limit was dropped; `length` is how many bytes it had (without `\r\n`). */
    | { kind: "too-long"; length: number }

export const DEFAULT_MAX_LINE_BYTES = 1024
const LF = 0x0a
const CR = 0x0d

export class LineFramer {
    /** Bytes of the line being received (only while it still fits). */
    private pending: Uint8Array
    private pendingLength = 0
    /** Bytes counted since the line overflowed; -1 while not discarding. */
    private discarded = -1
    /** The last byte discarded, to leave a final `\r` out of the reported length. */
    private lastDiscarded = 0

    constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
        if (!Number.isInteger(maxLineBytes) || maxLineBytes < 1)
            throw new RangeError(`maxLineBytes must be a whole number of at least 1, got ${maxLineBytes}`)
        // One more than the limit: a line of exactly the limit may still be followed by `\r`.
        this.pending = new Uint8Array(maxLineBytes + 1)
    }

    /** Bytes held for an unfinished line (for tests and metrics). */
    get bufferedBytes(): number {
        return this.pendingLength
    }

    /** Feeds one chunk; returns the events it completes, in order. */
    push(chunk: Uint8Array): FrameEvent[] {
        const events: FrameEvent[] = []
        let start = 0
        while (start < chunk.length) {
            const lf = chunk.indexOf(LF, start)
            const end = lf < 0 ? chunk.length : lf
            this.take(chunk, start, end)
            if (lf < 0) break
            events.push(this.finish(chunk, start, end))
            start = lf + 1
        }
        return events
    }

    /** Forgets any unfinished line (the port closed). */
    reset(): void {
        this.pendingLength = 0
        this.discarded = -1
    }

    private take(chunk: Uint8Array, start: number, end: number): void {
        const n = end - start
        if (n === 0) return
        if (this.discarded >= 0) {
            this.discarded += n
            this.lastDiscarded = chunk[end - 1]
            return
        }
        if (this.pendingLength + n > this.pending.length) {
            this.discarded = this.pendingLength + n
            this.lastDiscarded = chunk[end - 1]
            this.pendingLength = 0
            return
        }
        // Whole lines inside one chunk are not copied here: finish() slices the chunk.
        if (this.pendingLength > 0 || end === chunk.length) {
            this.pending.set(chunk.subarray(start, end), this.pendingLength)
            this.pendingLength += n
        }
    }

    private finish(chunk: Uint8Array, start: number, end: number): FrameEvent {
        if (this.discarded >= 0) {
            const seen = this.discarded
            this.discarded = -1
            return { kind: "too-long", length: this.lastDiscarded === CR ? seen - 1 : seen }
        }
        let line: Uint8Array
        if (this.pendingLength > 0) {
            line = this.pending.slice(0, this.pendingLength)
            this.pendingLength = 0
        } else {
            line = chunk.subarray(start, end)
        }
        if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, line.length - 1)
        if (line.length > this.maxLineBytes) return { kind: "too-long", length: line.length }
        return { kind: "line", bytes: line }
    }
}
