/**
 * A device queue's copy on disk: one append-only file of JSON lines per device,
 *
 *   {"s":17,"t":"fieldlink/devices/a/telemetry","p":"{\"seq\":3}","r":0,"q":1,"w":1764750000000}   message 17
 *   {"c":17}                                        every message up to 17 has left the queue
 *
 * `w` is when the gateway received the message (wall clock, ms since the epoch), so its
 * age is still known after a restart (queue.ts, heldSinceOf). Journals written before
 * `w` existed are still read: their messages count as received when the file was last
 * written (its mtime), which is no earlier than the truth, so their age is a lower bound.
 *
 * Writes are lazy and batched: every `flushMs` the messages still unacknowledged are
 * appended, then a `c` record for those that left. With a healthy broker almost nothing
 * is written (messages are acknowledged within milliseconds), which spares SD cards;
 * during an outage the file grows by whole batches. When everything on disk has left the
 * queue the file is truncated; when it grows past twice the queue's bound it is rewritten
 * (write to a temporary file, fsync, rename). A torn last line (crash mid-write) is
 * skipped on load. Synchronous on purpose: a batch is one small write, and order matters.
 */
import {
    closeSync,
    fsyncSync,
    ftruncateSync,
    fstatSync,
    openSync,
    readFileSync,
    renameSync,
    writeSync,
} from "node:fs"
import type { OutgoingMessage, StoredMessage } from "./queue.js"
import { RecordWriter } from "./records.js"

interface MessageRecord {
    s: number
    t: string
    p: string
    r: 0 | 1
    q: 0 | 1
    /** Received at, wall-clock ms; absent in journals of earlier versions. */
    w?: number
}

export interface LoadedJournal {
    messages: StoredMessage[]
    /** The next sequence number to use. */
    nextSeq: number
    /** Lines that could not be read (a torn write). */
    skipped: number
}

/**
 * Reads a journal's text back into the messages still queued, in order. A record without
 * a receive time (an older journal) gets `writtenAt`, when the file was last written.
 */
export function parseJournal(text: string, writtenAt: number): LoadedJournal {
    const bySeq = new Map<number, StoredMessage>()
    let consumed = 0
    let maxSeq = 0
    let skipped = 0
    for (const line of text.split("\n")) {
        if (line === "") continue
        let r: Partial<MessageRecord> & { c?: number }
        try {
            r = JSON.parse(line)
        } catch {
            skipped++
            continue
        }
        if (typeof r.c === "number") {
            consumed = Math.max(consumed, r.c)
            maxSeq = Math.max(maxSeq, r.c)
        } else if (typeof r.s === "number" && typeof r.t === "string" && typeof r.p === "string") {
            const receivedAt = typeof r.w === "number" && Number.isFinite(r.w) ? r.w : writtenAt
            bySeq.set(r.s, {
                seq: r.s,
                topic: r.t,
                payload: r.p,
                retain: r.r === 1,
                qos: r.q === 0 ? 0 : 1,
                receivedAt,
            })
            maxSeq = Math.max(maxSeq, r.s)
        } else {
            skipped++
        }
    }
    const messages = [...bySeq.values()].filter(m => m.seq > consumed).sort((a, b) => a.seq - b.seq)
    return { messages, nextSeq: maxSeq + 1, skipped }
}

/** writeSync until all is written: a short write (the disk filling up) is retried, so it ends in the error. */
function writeAll(fd: number, buffer: Buffer): void {
    let done = 0
    while (done < buffer.length) done += writeSync(fd, buffer, done, buffer.length - done)
}

export class Journal {
    private fd: number
    /** Highest sequence number written as a message record. */
    private savedSeq = 0
    /** Highest consumed sequence number written (or implied by a truncation). */
    private consumedWritten = 0
    private size: number
    /** Records go to the file in chunks as a batch is built (records.ts). */
    private readonly records = new RecordWriter(bytes => writeAll(this.fd, bytes))

    constructor(
        readonly file: string,
        private readonly fsync: boolean,
    ) {
        this.fd = openSync(file, "a+", 0o600)
        this.size = fstatSync(this.fd).size
    }

    /** The file's messages, read once at start. */
    load(): LoadedJournal {
        const loaded = parseJournal(readFileSync(this.file, "utf8"), fstatSync(this.fd).mtimeMs)
        this.savedSeq = loaded.messages.at(-1)?.seq ?? 0
        this.consumedWritten = (loaded.messages[0]?.seq ?? loaded.nextSeq) - 1
        return loaded
    }

    get bytes(): number {
        return this.size
    }

    /**
     * One batch: `unsaved` messages, then how far the queue has been consumed. Returns
     * true when the file should be rewritten (it outgrew `rewriteAt` bytes).
     */
    write(unsaved: OutgoingMessage[], consumedSeq: number, rewriteAt: number): boolean {
        if (unsaved.length === 0 && consumedSeq >= this.savedSeq && this.size > 0) {
            // Everything on disk has left the queue: start the file over.
            ftruncateSync(this.fd, 0)
            this.size = 0
            this.consumedWritten = consumedSeq
            if (this.fsync) fsyncSync(this.fd)
            return false
        }
        const records = this.records
        let written: number
        try {
            for (const m of unsaved) {
                records.message(m)
                this.savedSeq = Math.max(this.savedSeq, m.seq)
            }
            if (consumedSeq > this.consumedWritten && this.size + records.length > 0) {
                records.consumed(consumedSeq)
                this.consumedWritten = consumedSeq
            }
            written = records.end()
        } catch (e) {
            // Part of the batch may be on disk, torn: only a rewrite makes the file true again.
            records.discard()
            this.needsRewrite = true
            throw e
        }
        if (written === 0) return false
        this.size += written
        if (this.fsync) fsyncSync(this.fd)
        return this.size > rewriteAt
    }

    /**
     * A write failed (disk full, read-only, a file size limit): the file may hold a torn
     * batch and lacks messages the queue thinks saved, so the next flush must rewrite it.
     */
    needsRewrite = false

    /** Replaces the file with exactly `pending` (atomic: temporary file + rename). */
    rewrite(pending: OutgoingMessage[], consumedSeq: number): void {
        const temporary = `${this.file}.tmp`
        const fd = openSync(temporary, "w", 0o600)
        try {
            const records = new RecordWriter(bytes => writeAll(fd, bytes))
            for (const m of pending) records.message(m)
            records.consumed(consumedSeq)
            const written = records.end()
            fsyncSync(fd)
            this.size = written
        } finally {
            closeSync(fd)
        }
        renameSync(temporary, this.file)
        closeSync(this.fd)
        this.fd = openSync(this.file, "a+", 0o600)
        this.savedSeq = pending.at(-1)?.seq ?? 0
        this.consumedWritten = consumedSeq
        this.needsRewrite = false
    }

    close(): void {
        try {
            fsyncSync(this.fd)
        } catch {
            // nothing more can be done at close
        }
        closeSync(this.fd)
    }
}
