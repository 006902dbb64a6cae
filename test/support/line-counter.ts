/**
 * The counting side of the gateway bench and soak, in a process of its own: an MQTT
 * subscriber on the project's own codec (`@fieldlink/protocol/mqtt`) with a persistent
 * QoS 1 session (with a broker that keeps sessions across restarts, an outage loses
 * nothing on its side; it reconnects every 100 ms until the broker is back). It stamps
 * each read from the socket as it arrives and keeps, per run tag (the `run` of the line),
 * the latencies (arrival − the `t` the load generator wrote into the line), the distinct
 * `seq`s, and whether each new `seq` came in order. Ask for a run's figures over IPC
 * (CountRequest; start it with startHelper).
 *
 *   forked with: <broker port> <client id> [<subscription QoS: 1 (default) or 0>]
 *
 * At QoS 0 (the gateway bench's default) nothing is acknowledged; across an outage the
 * broker then keeps what comes for it only with `queue_qos0_messages true`.
 *
 * It sends { kind: "ready" } once the broker has granted its subscription (SUBACK). Its
 * broker must not limit QoS 1 messages in flight to it (mosquitto: `max_inflight_messages
 * 0`), since it acknowledges bursts in batches (ACK_DELAY_MS).
 *
 * Why not `mosquitto_sub` and a reader of its output, as before: on the bench's two cores
 * the pair cost 14–20 µs of CPU a line (mosquitto_sub ~10, the reader 4–8), more than the
 * gateway it was counting, and that CPU is taken from every bridge alike, which squeezes
 * their ratios towards 1. This process costs 3–8 µs a line.
 */
import net from "node:net"
import { nodeBytes } from "@fieldlink/lib/bytes-node"
import {
    PacketParser,
    PacketType,
    SUBACK_FAILURE,
    connackReason,
    encodeConnect,
    encodePingreq,
    encodePuback,
    encodeSubscribe,
    type MqttPacket,
} from "@fieldlink/protocol/mqtt"
import { percentile } from "./stats.js"

/** `latency: false` leaves p50/p99 out (NaN): cheap enough to poll while lines arrive. */
export type CountRequest = { kind: "count"; id: number; run: string; latency?: boolean } | { kind: "stop" }
export interface RunCount {
    received: number
    distinct: number
    /** The highest `seq` seen. */
    max: number
    /**
     * New `seq`s that skipped ahead of the highest seen + 1. With `seq`s 1, 2, 3 … from one
     * device, at-least-once in order means this stays 0: a resent tail repeats what came
     * (a duplicate), it never leaves a gap that a later message fills.
     */
    skips: number
    p50: number
    p99: number
}
export type CountReply = { kind: "ready" } | { kind: "count"; id: number; count: RunCount }

/** Distinct positive integers in a growing bit set: an hour of one device's seqs is 45 KB. */
class SeqSet {
    private bits = new Uint8Array(1024)
    size = 0

    add(seq: number): boolean {
        const byte = seq >>> 3
        if (byte >= this.bits.length) {
            const grown = new Uint8Array(Math.max(byte + 1, this.bits.length * 2))
            grown.set(this.bits)
            this.bits = grown
        }
        const mask = 1 << (seq & 7)
        if ((this.bits[byte] & mask) !== 0) return false
        this.bits[byte] |= mask
        this.size++
        return true
    }
}

interface Run {
    latencies: number[]
    seqs: SeqSet
    max: number
    skips: number
}

const TOPIC = "fieldlink/devices/+/telemetry"
const KEEP_ALIVE_S = 60
const RETRY_MS = 100
/**
 * When PUBACKs leave. A write to a loopback socket does the broker's receiving too, and
 * wakes it; and mosquitto (Nagle's algorithm, on by default) holds a small packet until
 * its last one is acknowledged, so acknowledging each read at once makes the two trade
 * one small packet for one small PUBACK, each a wake-up: under a burst that took half of
 * this process's CPU. So while messages come at BURST_RATE or more (counted over windows
 * of ACK_DELAY_MS), PUBACKs wait up to ACK_DELAY_MS and leave together, and the broker's
 * packets grow to match: ~3 µs a line in all. Below that rate each read is acknowledged
 * at once, because the same holding adds up to ACK_DELAY_MS to every latency measured
 * (seen with every PUBACK batched: p50 at 1,000 lines/s 3.6 ms, 0.9 ms without); the
 * bench measures latency at 1,000 and 5,000 lines/s.
 *
 * The broker's window towards this counter must be unlimited (`max_inflight_messages
 * 0`), or it would wait for the batches. After a broker restart at most ACK_DELAY_MS of
 * messages come again, counted as repeats (`received`), never as new (`distinct`).
 */
const ACK_DELAY_MS = 5
/** Messages a second from which PUBACKs are batched. */
const BURST_RATE = 10_000

const [port, clientId, qosArg = "1"] = process.argv.slice(2)
if (qosArg !== "0" && qosArg !== "1") {
    console.error(`line-counter: the subscription QoS must be 0 or 1, not ${JSON.stringify(qosArg)}`)
    process.exit(2)
}
const SUBSCRIPTION_QOS = Number(qosArg) as 0 | 1
const runs = new Map<string, Run>()

/** The number written after `key` in a line such as {"run":"r1","seq":12,"t":1712345678901.123}. */
function numberAfter(text: string, key: string): number {
    const at = text.indexOf(key)
    if (at < 0) return NaN
    let end = at + key.length
    while (
        end < text.length &&
        ((text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) || text[end] === ".")
    )
        end++
    return Number(text.slice(at + key.length, end))
}

function count(payload: Buffer, arrivedAt: number): void {
    const text = payload.toString("latin1")
    const tagAt = text.indexOf('"run":"')
    const tagEnd = tagAt < 0 ? -1 : text.indexOf('"', tagAt + 7)
    const seq = numberAfter(text, '"seq":')
    const t = numberAfter(text, '"t":')
    if (tagEnd < 0 || !Number.isInteger(seq) || Number.isNaN(t)) return
    const tag = text.slice(tagAt + 7, tagEnd)
    let run = runs.get(tag)
    if (!run) runs.set(tag, (run = { latencies: [], seqs: new SeqSet(), max: 0, skips: 0 }))
    run.latencies.push(arrivedAt - t)
    if (run.seqs.add(seq) && seq > run.max + 1) run.skips++
    run.max = Math.max(run.max, seq)
}

let ready = false
let stopping = false
let socket: net.Socket | undefined
const parser = new PacketParser(nodeBytes)
/**
 * Whether messages come at BURST_RATE or more: the count of the window before decides,
 * and a window that ended a while ago (a pause) counts as slow.
 */
const rate = {
    windowStart: 0,
    count: 0,
    high: false,
    bursting(messages: number): boolean {
        const now = performance.now()
        if (now - this.windowStart >= ACK_DELAY_MS) {
            this.high =
                this.count >= (BURST_RATE * ACK_DELAY_MS) / 1000 && now - this.windowStart < 2 * ACK_DELAY_MS
            this.windowStart = now
            this.count = 0
        }
        this.count += messages
        return this.high
    },
}
/** PUBACKs for `socket` not written yet (packet ids belong to one connection). */
let acks: Buffer[] = []
let ackTimer: NodeJS.Timeout | undefined

function flushAcks(): void {
    if (acks.length > 0 && socket?.writable) socket.write(Buffer.concat(acks))
    dropAcks()
}

function dropAcks(): void {
    clearTimeout(ackTimer)
    ackTimer = undefined
    acks = []
}

function connect(): void {
    const s = net.createConnection({ host: "127.0.0.1", port: Number(port) })
    socket = s
    parser.reset()
    s.setNoDelay(true)
    s.on("connect", () => {
        s.write(
            encodeConnect(nodeBytes, { clientId, cleanSession: false, keepAlive: KEEP_ALIVE_S }) as Buffer,
        )
    })
    s.on("data", (chunk: Buffer) => {
        // One stamp per read: the messages of one read arrived together.
        const arrivedAt = performance.timeOrigin + performance.now()
        const before = acks.length
        const error = parser.feed(chunk, packet => onPacket(s, packet, arrivedAt))
        if (rate.bursting(acks.length - before)) ackTimer ??= setTimeout(flushAcks, ACK_DELAY_MS)
        else if (acks.length > 0) flushAcks()
        if (error) {
            console.error(`line-counter: ${error.message}; connecting again`)
            s.destroy()
        }
    })
    s.on("error", () => undefined) // "close" follows: connect again
    s.on("close", () => {
        dropAcks()
        if (!stopping) setTimeout(connect, RETRY_MS)
    })
}

function onPacket(s: net.Socket, packet: MqttPacket, arrivedAt: number): void {
    if (packet.type === PacketType.PUBLISH) {
        if (packet.payload) count(packet.payload as Buffer, arrivedAt)
        if (packet.qos === 1) acks.push(encodePuback(nodeBytes, packet.packetId!) as Buffer)
    } else if (packet.type === PacketType.CONNACK) {
        if (packet.returnCode !== 0) {
            console.error(
                `line-counter: the broker refused the connection: ${connackReason(packet.returnCode!)}`,
            )
            process.exit(1)
        }
        // The session keeps the subscription; asking again is harmless and covers a broker without persistence.
        s.write(encodeSubscribe(nodeBytes, 1, [{ topic: TOPIC, qos: SUBSCRIPTION_QOS }]) as Buffer)
    } else if (packet.type === PacketType.SUBACK) {
        if (packet.granted?.[0] === SUBACK_FAILURE) {
            console.error(`line-counter: the broker refused the subscription to ${TOPIC}`)
            process.exit(1)
        }
        if (!ready) process.send!({ kind: "ready" } satisfies CountReply)
        ready = true
    }
}

// A PINGREQ twice per keep-alive period keeps the broker from dropping a quiet counter.
setInterval(
    () => {
        if (socket?.writable) socket.write(encodePingreq(nodeBytes) as Buffer)
    },
    (KEEP_ALIVE_S * 1000) / 2,
).unref()

function stop(): never {
    stopping = true
    flushAcks() // what it counted stays counted: the broker must not send it to the next counter
    socket?.destroy()
    process.exit(0)
}

process.on("message", (request: CountRequest) => {
    if (request.kind === "stop") stop()
    const run = runs.get(request.run)
    const sorted = Float64Array.from(request.latency === false ? [] : (run?.latencies ?? [])).sort()
    const count: RunCount = {
        received: run?.latencies.length ?? 0,
        distinct: run?.seqs.size ?? 0,
        max: run?.max ?? 0,
        skips: run?.skips ?? 0,
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
    }
    process.send!({ kind: "count", id: request.id, count } satisfies CountReply)
})
process.on("disconnect", stop)
connect()
