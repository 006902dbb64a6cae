/**
 * The gateway bench's results and its table: one row per bridge and device count, then the
 * gateway's ratio to each peer of the same run.
 */
import type { RunCount } from "@fieldlink/test-support/line-counter"

export const SYSTEMS = ["gateway", "bare", "node-red-q0", "node-red-q1", "native"] as const
export type System = (typeof SYSTEMS)[number]
const NAMES: Record<System, string> = {
    gateway: "fieldlink gateway (QoS 1, disk queue)",
    bare: "bare bridge (QoS 1)",
    "node-red-q0": "Node-RED 4.1.15 QoS 0",
    "node-red-q1": "Node-RED 4.1.15 QoS 1",
    native: "floor: mosquitto_pub -l per port (C, QoS 1)",
}

export interface Result {
    system: System
    devices: number
    sustained: number
    /** Bridge CPU ms per 1,000 lines: in the sustained run, and at 1,000 lines/s. */
    cpuPerK: number
    cpuPerKAt1000: number
    latency: Record<number, RunCount & { sent: number }>
    rssMb: number
    outage: { sent: number; delivered: number }
    /** mosquitto logged that it dropped messages to the subscriber: the counts are not exact. */
    brokerDropped?: boolean
    /** The machine's 1-minute load average when the case ended: other work competes for the cores. */
    load: number
}

function fmt(n: number, digits = 0): string {
    return Number.isFinite(n) ? n.toFixed(digits) : "—"
}

export function table(results: Result[], systems: System[], deviceCounts: number[], rates: number[]): string {
    const rows: string[][] = [
        [
            "devices",
            "bridge",
            "lines/s",
            "CPU ms/1k @max",
            "CPU ms/1k @1000/s",
            ...rates.flatMap(r => [`p50 ms @${r}/s`, `p99 ms @${r}/s`]),
            "peak RSS MB",
            "outage",
            "load",
        ],
    ]
    for (const count of deviceCounts) {
        const of = (system: System) => results.find(r => r.system === system && r.devices === count)
        for (const r of results.filter(x => x.devices === count)) {
            const lost = rates
                .map(rate => r.latency[rate].sent - r.latency[rate].distinct)
                .reduce((a, b) => a + b, 0)
            rows.push([
                String(count),
                NAMES[r.system] +
                    (lost > 0 ? ` (${lost} lost at fixed rates)` : "") +
                    (r.brokerDropped ? " (BROKER DROPPED MESSAGES: counts not exact)" : ""),
                fmt(r.sustained),
                fmt(r.cpuPerK),
                fmt(r.cpuPerKAt1000),
                ...rates.flatMap(rate => [fmt(r.latency[rate].p50, 2), fmt(r.latency[rate].p99, 2)]),
                fmt(r.rssMb),
                `${r.outage.delivered}/${r.outage.sent}`,
                fmt(r.load, 1),
            ])
        }
        const gw = of("gateway")
        for (const peer of systems.filter(s => s !== "gateway")) {
            const p = of(peer)
            if (!gw || !p) continue
            rows.push([
                String(count),
                `  gateway ÷ ${NAMES[peer]}`,
                fmt(gw.sustained / p.sustained, 2),
                fmt(gw.cpuPerK / p.cpuPerK, 2),
                fmt(gw.cpuPerKAt1000 / p.cpuPerKAt1000, 2),
                ...rates.flatMap(rate => [
                    fmt(gw.latency[rate].p50 / p.latency[rate].p50, 2),
                    fmt(gw.latency[rate].p99 / p.latency[rate].p99, 2),
                ]),
                fmt(gw.rssMb / p.rssMb, 2),
                "",
                "",
            ])
        }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
    return rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n")
}
