/**
 * The queues of every device, and their journals in `<stateDir>/queues/<id>.jsonl`.
 * Flushes all journals every `flushMs`; at start, finds the queues left by a previous
 * run so their messages can still be delivered.
 */
import { mkdirSync, readdirSync, rmSync } from "node:fs"
import path from "node:path"
import { idError } from "@fieldlink/protocol/mqtt"
import type { QueueConfig } from "../config/types.js"
import type { Logger } from "../obs/logger.js"
import { LogThrottle } from "../obs/throttle.js"
import { Journal } from "./journal.js"
import { MessageQueue, systemClock, type QueueClock } from "./queue.js"

export interface StoredQueue {
    id: string
    queue: MessageQueue
    journal: Journal
}

export class QueueStore {
    private readonly queues = new Map<string, StoredQueue>()
    private timer: NodeJS.Timeout | undefined
    readonly dir: string
    /** A disk that stays full or read-only is reported once a minute per device, not every flush. */
    private readonly diskErrors = new LogThrottle(60_000)
    private readonly failing = new Set<string>()

    constructor(
        stateDir: string,
        private readonly config: QueueConfig,
        private readonly log: Logger,
        private readonly clock: QueueClock = systemClock,
    ) {
        this.dir = path.join(stateDir, "queues")
    }

    /** Opens the folder and loads every journal; returns the ids that still have messages. */
    start(): string[] {
        mkdirSync(this.dir, { recursive: true, mode: 0o700 })
        const waiting: string[] = []
        for (const name of readdirSync(this.dir)) {
            if (name.endsWith(".tmp")) rmSync(path.join(this.dir, name), { force: true })
            if (!name.endsWith(".jsonl")) continue
            const id = name.slice(0, -".jsonl".length)
            if (idError(id) !== null) continue
            const stored = this.get(id)
            if (stored.queue.depth > 0) waiting.push(id)
        }
        this.timer = setInterval(() => this.flush(), this.config.flushMs)
        return waiting
    }

    has(id: string): boolean {
        return this.queues.has(id)
    }

    /** The queue of device `id`, loaded from its journal on first use. */
    get(id: string): StoredQueue {
        let stored = this.queues.get(id)
        if (stored) return stored
        const journal = new Journal(path.join(this.dir, `${id}.jsonl`), this.config.fsync)
        const loaded = journal.load()
        const queue = new MessageQueue(this.config, loaded.nextSeq, this.clock)
        for (const m of loaded.messages) queue.restore(m)
        if (loaded.messages.length > 0 || loaded.skipped > 0)
            this.log.info(
                { device: id, queued: queue.depth, skipped: loaded.skipped, dropped: queue.dropped },
                "queue loaded from disk",
            )
        stored = { id, queue, journal }
        this.queues.set(id, stored)
        return stored
    }

    /**
     * Device `id` is gone for good and its queue is empty: its journal is closed and its
     * file removed, so ids that come and go leave no files or open descriptors behind.
     * A queue still holding messages is kept. Returns true when it was retired.
     */
    retire(id: string): boolean {
        const s = this.queues.get(id)
        if (s === undefined || s.queue.depth > 0) return false
        this.queues.delete(id)
        this.failing.delete(id)
        this.diskErrors.forget(`${id}\n`)
        try {
            s.journal.close()
            rmSync(s.journal.file, { force: true })
        } catch (e) {
            this.log.warn(
                { device: id, err: (e as Error).message },
                "cannot remove the empty queue file of a device gone; it is harmless and is read as empty next time",
            )
        }
        return true
    }

    all(): StoredQueue[] {
        return [...this.queues.values()]
    }

    /** Writes what each journal lacks (see journal.ts); gives back memory a burst left. */
    flush(): void {
        for (const s of this.queues.values()) {
            this.flushOne(s)
            s.queue.trim()
        }
    }

    private flushOne(s: StoredQueue): void {
        try {
            const rewriteAt = 2 * this.config.maxBytes + 1024 * 1024
            if (s.journal.needsRewrite) {
                // After a failed write the file is rewritten whole from the queue.
                s.queue.takeUnsaved()
                s.journal.rewrite(s.queue.pending(), s.queue.consumedSeq)
                s.queue.markAllSaved()
            } else if (s.journal.write(s.queue.takeUnsaved(), s.queue.consumedSeq, rewriteAt)) {
                s.journal.rewrite(s.queue.pending(), s.queue.consumedSeq)
                s.queue.markAllSaved()
            }
            if (this.failing.delete(s.id)) {
                this.diskErrors.forget(`${s.id}\n`)
                this.log.info({ device: s.id }, "the queue is written to disk again")
            }
        } catch (e) {
            this.failing.add(s.id)
            const verdict = this.diskErrors.check(`${s.id}\n`)
            if (verdict.log)
                this.log.error(
                    {
                        device: s.id,
                        err: (e as Error).message,
                        ...(verdict.suppressed ? { repeated: verdict.suppressed } : {}),
                    },
                    "cannot write the queue to disk (full or read-only?); messages stay in memory within the queue's bounds and are still delivered; retrying at each flush, this error is logged once a minute",
                )
        }
    }

    /** Final flush (everything still queued goes to disk, fsynced) and close. */
    close(): void {
        clearInterval(this.timer)
        for (const s of this.queues.values()) {
            this.flushOne(s)
            s.journal.close()
        }
        this.queues.clear()
    }
}
