/**
 * The counting side of the gateway bench, in a process of its own: a `mosquitto_sub`
 * (QoS 1, persistent session, so an outage loses nothing on its side) stamps each message
 * as it arrives (`%U`, its own clock), and this process reads its output and keeps, per
 * run tag, the latencies (arrival − the `t` the load generator wrote into the line) and
 * the distinct `seq`s. The bench asks for a run's figures over IPC (CountRequest).
 *
 *   forked by bench/gateway/run.ts with: <broker port> <client id>
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"

export type CountRequest = { kind: "count"; id: number; run: string } | { kind: "stop" }
export interface RunCount {
    received: number
    distinct: number
    p50: number
    p99: number
}
export type CountReply = { kind: "count"; id: number; count: RunCount }

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
const latencies = new Map<string, number[]>()
const seqs = new Map<string, Set<number>>()

createInterface({ input: sub.stdout }).on("line", text => {
    const space = text.indexOf(" ")
    const run = /"run":"([^"]+)"/.exec(text)?.[1]
    const t = /"t":([0-9.]+)/.exec(text)?.[1]
    const seq = /"seq":(\d+)/.exec(text)?.[1]
    if (space < 0 || run === undefined || t === undefined || seq === undefined) return
    let list = latencies.get(run)
    if (!list) latencies.set(run, (list = []))
    list.push(Number(text.slice(0, space)) * 1000 - Number(t))
    let set = seqs.get(run)
    if (!set) seqs.set(run, (set = new Set()))
    set.add(Number(seq))
})

function percentile(sorted: number[], p: number): number {
    return sorted.length === 0
        ? NaN
        : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

process.on("message", (request: CountRequest) => {
    if (request.kind === "stop") {
        sub.kill()
        process.exit(0)
    }
    const list = latencies.get(request.run) ?? []
    const sorted = Float64Array.from(list).sort()
    const count: RunCount = {
        received: list.length,
        distinct: seqs.get(request.run)?.size ?? 0,
        p50: percentile([...sorted], 50),
        p99: percentile([...sorted], 99),
    }
    process.send!({ kind: "count", id: request.id, count } satisfies CountReply)
})
process.on("disconnect", () => {
    sub.kill()
    process.exit(0)
})
