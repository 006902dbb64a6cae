/**
 * The counting side of the gateway bench and soak, in a process of its own: a
 * `mosquitto_sub` (QoS 1, persistent session: with a broker that keeps sessions across
 * restarts, an outage loses nothing on its side) stamps each message as it arrives (`%U`,
 * its own clock), and this process reads its output and keeps, per run tag (the `run` of
 * the line), the latencies (arrival − the `t` the load generator wrote into the line), the
 * distinct `seq`s, and whether each new `seq` came in order. Ask for a run's figures over
 * IPC (CountRequest; start it with startHelper).
 *
 *   forked with: <broker port> <client id>
 *
 * It sends { kind: "ready" } once mosquitto_sub is running; its subscription is made
 * when the broker logs `Received SUBSCRIBE from <client id>`.
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"

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

const [port, clientId] = process.argv.slice(2)
const sub = spawn(
    "mosquitto_sub",
    [
        "-h",
        "127.0.0.1",
        "-p",
        port,
        "-i",
        clientId,
        "-c",
        "-q",
        "1",
        "-t",
        "fieldlink/devices/+/telemetry",
        "-F",
        "%U %p",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
)
const runs = new Map<string, Run>()

createInterface({ input: sub.stdout }).on("line", text => {
    const space = text.indexOf(" ")
    const tag = /"run":"([^"]+)"/.exec(text)?.[1]
    const t = /"t":([0-9.]+)/.exec(text)?.[1]
    const seqText = /"seq":(\d+)/.exec(text)?.[1]
    if (space < 0 || tag === undefined || t === undefined || seqText === undefined) return
    let run = runs.get(tag)
    if (!run) runs.set(tag, (run = { latencies: [], seqs: new SeqSet(), max: 0, skips: 0 }))
    run.latencies.push(Number(text.slice(0, space)) * 1000 - Number(t))
    const seq = Number(seqText)
    if (run.seqs.add(seq) && seq > run.max + 1) run.skips++
    run.max = Math.max(run.max, seq)
})

function percentile(sorted: Float64Array, p: number): number {
    return sorted.length === 0
        ? NaN
        : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

process.on("message", (request: CountRequest) => {
    if (request.kind === "stop") {
        sub.kill()
        process.exit(0)
    }
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
process.on("disconnect", () => {
    sub.kill()
    process.exit(0)
})
sub.once("spawn", () => process.send!({ kind: "ready" } satisfies CountReply))
sub.once("exit", code => {
    console.error(`line-counter: mosquitto_sub exited (${code})`)
    process.exit(1)
})
