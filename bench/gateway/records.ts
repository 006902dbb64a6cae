/**
 * What journaling a message costs: the journal's records written as bytes from the
 * queue's pages (gateway/queue/records.ts) against the text they replaced, measured in
 * the same run — each record built with a template string and `JSON.stringify` of the
 * payload decoded from its page, the batch turned into bytes with `Buffer.from` (the
 * bytes are the same; units.test.ts checks it). In-process on purpose: this is the one
 * function, not the bridge (bench/gateway/run.ts measures the bridge).
 *
 *   node --import tsx --conditions=source bench/gateway/records.ts [--batch=5000] [--rounds=200]
 *
 * A gateway journals the messages a flush finds unacknowledged: during an outage every
 * line, under a burst most of them.
 */
import { MessageQueue, type OutgoingMessage } from "../../gateway/queue/queue.js"
import { RecordWriter } from "../../gateway/queue/records.js"

const arg = (name: string, fallback: number) =>
    Number(process.argv.find(a => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback)
const BATCH = arg("batch", 5000)
const ROUNDS = arg("rounds", 200)
const TOPIC = "fieldlink/devices/bench-1/telemetry"

/** The text path, as the journal wrote records until 2026-12-05. */
function asText(messages: OutgoingMessage[], topicJson: string): Buffer {
    let text = ""
    for (const m of messages)
        text += `{"s":${m.seq},"t":${topicJson},"p":${JSON.stringify(m.payload)},"r":${m.retain ? 1 : 0},"q":${m.qos},"w":${m.receivedAt}}\n`
    return Buffer.from(text)
}

function measure(encode: (messages: OutgoingMessage[]) => number): number {
    const queue = new MessageQueue({ maxMessages: 1e6, maxBytes: 1e9 })
    let seq = 0
    let ns = 0n
    let bytes = 0
    for (let round = 0; round < ROUNDS; round++) {
        // A burst's lines as the bench's load generator writes them (~60 bytes).
        for (let i = 0; i < BATCH; i++)
            queue.push(TOPIC, `{"run":"bench-1-max","seq":${++seq},"t":1764912345678.123}`, false, 1)
        const t0 = process.hrtime.bigint()
        bytes += encode(queue.takeUnsaved())
        ns += process.hrtime.bigint() - t0
        for (let done = seq - BATCH + 1; done <= seq; done++) queue.ack(done)
    }
    if (bytes === 0) throw new Error("nothing encoded")
    return Number(ns) / ROUNDS / BATCH
}

const writer = new RecordWriter(() => undefined)
const topicJson = JSON.stringify(TOPIC)
const bytesPath = (messages: OutgoingMessage[]) => {
    for (const m of messages) writer.message(m)
    return writer.end()
}
const textPath = (messages: OutgoingMessage[]) => asText(messages, topicJson).length

// Both compiled first, then alternated: the machine's swings fall on both alike.
measure(bytesPath)
measure(textPath)
const results = { bytes: [] as number[], text: [] as number[] }
for (let i = 0; i < 5; i++) {
    results.bytes.push(measure(bytesPath))
    results.text.push(measure(textPath))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]
const [b, t] = [median(results.bytes), median(results.text)]
console.log(`journal records, batches of ${BATCH} messages of ~60 bytes, ${ROUNDS} batches × 5, medians:`)
console.log(`  as bytes from the queue's pages (records.ts)   ${b.toFixed(0)} ns a message`)
console.log(`  as text (JSON.stringify, Buffer.from)           ${t.toFixed(0)} ns a message`)
console.log(`  bytes ÷ text                                   ${(b / t).toFixed(2)}`)
