// The device queue's storage (gateway/queue/queue.ts, pages.ts): messages kept as columns
// and payload bytes, checked against a plain list of objects doing the same bookkeeping.
import test from "ava"
import { MessageQueue, type QueuedMessage, type StoredMessage } from "../../gateway/queue/queue.js"
import { PayloadPages } from "../../gateway/queue/pages.js"

const clock = { wall: () => 1_764_750_000_000, mono: () => 0 }

/** The queue's rules over an array of objects: what the columns must agree with. */
class ListQueue {
    items: (StoredMessage & { acked: boolean; onDisk: boolean; size: number })[] = []
    next = 1
    send = 0
    dropped = 0

    constructor(readonly limits: { maxMessages: number; maxBytes: number }) {}

    push(topic: string, payload: string, retain: boolean, qos: 0 | 1): number {
        const size = Buffer.byteLength(topic) + Buffer.byteLength(payload)
        this.items.push({
            seq: this.next++,
            topic,
            payload,
            retain,
            qos,
            receivedAt: 0,
            acked: false,
            onDisk: false,
            size,
        })
        let dropped = 0
        while (
            this.items.length > 1 &&
            (this.items.length > this.limits.maxMessages || this.bytes > this.limits.maxBytes)
        ) {
            this.shift()
            dropped++
        }
        this.dropped += dropped
        return dropped
    }

    get bytes(): number {
        return this.items.reduce((sum, m) => sum + m.size, 0)
    }

    get inFlightBytes(): number {
        return this.items.slice(0, this.send).reduce((sum, m) => sum + m.size, 0)
    }

    nextToSend(): StoredMessage | undefined {
        while (this.send < this.items.length && this.items[this.send].acked) this.send++
        return this.send < this.items.length ? this.items[this.send++] : undefined
    }

    ack(seq: number): number {
        const m = this.items.find(i => i.seq === seq)
        if (m === undefined) return 0
        m.acked = true
        let consumed = 0
        while (this.items[0]?.acked) {
            this.shift()
            consumed++
        }
        return consumed
    }

    takeUnsaved(): StoredMessage[] {
        const out = this.items.filter(m => !m.acked && !m.onDisk)
        for (const m of out) m.onDisk = true
        return out
    }

    private shift(): void {
        this.items.shift()
        this.send = Math.max(0, this.send - 1)
    }
}

/** A small deterministic generator, so a failure can be run again. */
function random(seed: number): () => number {
    let s = seed
    return () => {
        s = (s * 1103515245 + 12345) % 2147483648
        return s / 2147483648
    }
}

const fields = (m: StoredMessage | QueuedMessage | undefined) =>
    m && { seq: m.seq, topic: m.topic, payload: m.payload, retain: m.retain, qos: m.qos }

test("queue: the columns keep what a list of objects keeps, through growth, wrap-around, trims, drops, acks in any order and resends", t => {
    const texts = ["", "{}", '{"v":"ünï 😀"}', "x".repeat(3000), "y".repeat(9000), "\u2028\u0000"]
    for (const seed of [1, 2, 3, 4, 5]) {
        const next = random(seed)
        const limits = { maxMessages: 300, maxBytes: 60_000 }
        const q = new MessageQueue(limits, 1, clock)
        const list = new ListQueue(limits)
        const sent: number[] = []
        for (let step = 0; step < 4000; step++) {
            const roll = next()
            if (roll < 0.45) {
                const payload = `${texts[Math.floor(next() * texts.length)]}#${step}`
                const topic = `t/${Math.floor(next() * 3)}`
                const retain = next() < 0.2
                const qos = next() < 0.5 ? 0 : 1
                t.is(
                    q.push(topic, payload, retain, qos),
                    list.push(topic, payload, retain, qos),
                    `push at ${step}`,
                )
            } else if (roll < 0.75) {
                const m = q.nextToSend()
                t.deepEqual(fields(m), fields(list.nextToSend()), `send at ${step}`)
                if (m) sent.push(m.seq)
            } else if (roll < 0.93 && sent.length > 0) {
                const seq = sent.splice(Math.floor(next() * sent.length), 1)[0]
                t.is(q.ack(seq), list.ack(seq), `ack ${seq} at ${step}`)
            } else if (roll < 0.95) {
                q.trim() // a journal flush: may move the rows to smaller columns
            } else if (roll < 0.97) {
                q.resendUnacked()
                list.send = 0
                sent.length = 0
            } else {
                t.deepEqual(q.takeUnsaved().map(fields), list.takeUnsaved().map(fields), `journal at ${step}`)
            }
            t.deepEqual(
                [q.depth, q.bytes, q.dropped, q.inFlight, q.inFlightBytes],
                [list.items.length, list.bytes, list.dropped, list.send, list.inFlightBytes],
                `at ${step}`,
            )
        }
        t.deepEqual(q.pending().map(fields), list.items.filter(m => !m.acked).map(fields))
    }
})

test("queue: after a restart, seqs with gaps (acknowledged out of order before it) are acknowledged as themselves", t => {
    const q = new MessageQueue({ maxMessages: 10, maxBytes: 10_000 }, 9, clock)
    for (const seq of [5, 7, 8])
        q.restore({ seq, topic: "t", payload: `m${seq}`, retain: false, qos: 1, receivedAt: 0 })
    t.deepEqual([q.nextToSend()?.seq, q.nextToSend()?.seq, q.nextToSend()?.seq], [5, 7, 8])
    t.is(q.ack(7), 0) // 5 still holds the head
    q.resendUnacked() // the connection went before 5 and 8 were acknowledged
    t.deepEqual([q.nextToSend()?.payload, q.nextToSend()?.payload, q.nextToSend()], ["m5", "m8", undefined])
    t.is(q.ack(6), 0) // never queued
    t.is(q.ack(5), 2)
    t.is(q.push("t", "new", false, 1), 0)
    t.is(q.nextToSend()?.seq, 9)
})

test("queue: a burst's memory is let go at the second trim after it is delivered (a journal flush each)", t => {
    const q = new MessageQueue({ maxMessages: 100_000, maxBytes: 100_000_000 }, 1, clock)
    const line = '{"seq":12345,"t":21.5,"h":40.25,"p":1013.2,"pad":"0123456789"}'
    for (let i = 0; i < 30_000; i++) q.push("fieldlink/devices/d/telemetry", line, false, 1)
    const burst = q.memory
    t.true(burst.payloadBytes >= 30_000 * line.length)
    for (let m = q.nextToSend(); m !== undefined; m = q.nextToSend()) q.ack(m.seq)
    t.is(q.depth, 0)
    q.trim() // the burst was since the last one: all is kept, for the next
    t.true(q.memory.payloadBytes >= burst.payloadBytes && q.memory.rows === burst.rows)
    q.trim()
    const after = q.memory
    t.true(after.payloadBytes <= 16 * 1024, `payload pages kept: ${after.payloadBytes} bytes`)
    t.true(after.rows <= 64, `rows kept: ${after.rows}`)
})

test("payload pages: text across page ends, a payload larger than a page, and reuse after clearing", t => {
    const pages = new PayloadPages()
    const read = (page: number, offset: number, length: number) =>
        pages.page(page).toString("utf8", offset, offset + length)
    const stored: [number, number, number, string][] = []
    const texts = ["a".repeat(5000), "é".repeat(2000), "😀".repeat(700), "b".repeat(20_000), ""]
    for (const text of [...texts, ...texts]) {
        const length = pages.append(text)
        t.is(length, Buffer.byteLength(text))
        stored.push([pages.lastPage, pages.lastOffset, length, text])
    }
    for (const [page, offset, length, text] of stored) t.is(read(page, offset, length), text)
    const [lastPage] = stored.at(-1)!
    pages.releaseBefore(lastPage)
    const [page, offset, length, text] = stored.at(-1)!
    t.is(read(page, offset, length), text)
    pages.clear()
    t.is(pages.append("again"), 5)
    t.is(read(pages.lastPage, pages.lastOffset, 5), "again")
})
