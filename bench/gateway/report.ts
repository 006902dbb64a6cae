/**
 * The gateway bench's results and its table: one row per bridge and device count, then the
 * gateway's ratio to each peer of the same run.
 */
import type { RunCount } from "@fieldlink/test-support/line-counter"
import { median } from "@fieldlink/test-support/stats"

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
    /** Which round of the run (--rounds): the systems take turns, one case each per round. */
    round: number
    system: System
    devices: number
    /** Lines/s of the second burst, the bridge's code compiled by then; the burst figures below are of it too. */
    sustained: number
    /** The bridge's first burst: lines/s and CPU ms per 1,000 lines, compiling included. */
    firstBurst: { sustained: number; cpuPerK: number }
    /** Bridge CPU ms per 1,000 lines: in the second burst, and at 1,000 lines/s. */
    cpuPerK: number
    cpuPerKAt1000: number
    /**
     * The broker's CPU ms per 1,000 lines in the second burst: the work a bridge's way of
     * publishing asks of it (at QoS 1 a PUBACK written back for every message).
     */
    brokerCpuPerK: number
    latency: Record<number, RunCount & { sent: number }>
    rssMb: number
    /** Peak private memory through the bursts (RssAnon, sampled): RSS less Node's shared code. */
    privateMb: number
    outage: { sent: number; delivered: number }
    /** Lines of the bursts not delivered before their deadline (their lines/s is then void). */
    short: number
    /** mosquitto logged that it dropped messages to the subscriber: the counts are not exact. */
    brokerDropped?: boolean
    /** The machine's 1-minute load average when the case ended: other work competes for the cores. */
    load: number
    /** What the machine did during the case (machine.ts). */
    machine: {
        /** % of the cores' time the hypervisor gave to others, from the 1,000 lines/s run to the end. */
        steal: number
        /** Cores the rest of the harness kept busy in the second burst (one-process bridges only). */
        othersCores: number
        /** How late a 1 ms sleep woke during the 1,000 lines/s run, ms. */
        wakeups: { p50: number; p99: number }
    }
}

function fmt(n: number, digits = 0): string {
    return Number.isFinite(n) ? n.toFixed(digits) : "—"
}

/** A figure of a case: the one round's, or the median over the rounds. */
type Figure = (r: Result) => number

function figures(rates: number[]): { name: string; of: Figure; digits: number }[] {
    return [
        { name: "lines/s", of: r => r.sustained, digits: 0 },
        { name: "lines/s 1st burst", of: r => r.firstBurst.sustained, digits: 0 },
        { name: "CPU ms/1k @max", of: r => r.cpuPerK, digits: 0 },
        { name: "CPU ms/1k 1st burst", of: r => r.firstBurst.cpuPerK, digits: 0 },
        { name: "CPU ms/1k @1000/s", of: r => r.cpuPerKAt1000, digits: 0 },
        { name: "broker CPU ms/1k @max", of: r => r.brokerCpuPerK, digits: 0 },
        ...rates.flatMap(rate => [
            { name: `p50 ms @${rate}/s`, of: (r: Result) => r.latency[rate].p50, digits: 2 },
            { name: `p99 ms @${rate}/s`, of: (r: Result) => r.latency[rate].p99, digits: 2 },
        ]),
        { name: "peak RSS MB", of: r => r.rssMb, digits: 0 },
        { name: "private MB", of: r => r.privateMb, digits: 0 },
    ]
}

/** Machine columns: what the cores did meanwhile, not a property of the bridge. */
const MACHINE: { name: string; of: Figure; digits: number }[] = [
    { name: "wake-up p99 ms", of: r => r.machine.wakeups.p99, digits: 1 },
    { name: "steal %", of: r => r.machine.steal, digits: 0 },
    { name: "others' cores", of: r => r.machine.othersCores, digits: 2 },
    { name: "load", of: r => r.load, digits: 1 },
]

/**
 * One row per bridge and device count (the median over the rounds when there are
 * several), then the gateway's ratio to each peer: with several rounds, the median of
 * the per-round ratios and their range.
 */
export function table(results: Result[], systems: System[], deviceCounts: number[], rates: number[]): string {
    const columns = figures(rates)
    const rounds = Math.max(...results.map(r => r.round))
    const rows: string[][] = [
        ["devices", "bridge", ...columns.map(c => c.name), "outage", ...MACHINE.map(c => c.name)],
    ]
    for (const count of deviceCounts) {
        const of = (system: System) => results.filter(r => r.system === system && r.devices === count)
        for (const system of systems) {
            const rs = of(system)
            if (rs.length === 0) continue
            const lost = rs
                .flatMap(r => rates.map(rate => r.latency[rate].sent - r.latency[rate].distinct))
                .reduce((a, b) => a + b, 0)
            const outage = rs
                .map(r => r.outage)
                .reduce((worst, o) => (o.delivered < worst.delivered ? o : worst))
            rows.push([
                String(count),
                NAMES[system] +
                    (lost > 0 ? ` (${lost} lost at fixed rates)` : "") +
                    rs
                        .filter(r => r.short > 0)
                        .map(r => ` (round ${r.round}: ${r.short} lines of the bursts never came)`)
                        .join("") +
                    (rs.some(r => r.brokerDropped) ? " (BROKER DROPPED MESSAGES: counts not exact)" : ""),
                ...columns.map(c => fmt(median(rs.map(c.of)), c.digits)),
                `${outage.delivered}/${outage.sent}`,
                ...MACHINE.map(c => fmt(median(rs.map(c.of)), c.digits)),
            ])
        }
        const gw = of("gateway")
        for (const peer of systems.filter(s => s !== "gateway")) {
            const p = of(peer)
            if (gw.length === 0 || p.length === 0) continue
            const ratio = (f: Figure): string => {
                const each = gw
                    .map(g => {
                        const q = p.find(x => x.round === g.round)
                        return q ? f(g) / f(q) : NaN
                    })
                    .filter(Number.isFinite)
                if (each.length <= 1) return fmt(each[0] ?? NaN, 2)
                return `${fmt(median(each), 2)} (${fmt(Math.min(...each), 2)}–${fmt(Math.max(...each), 2)})`
            }
            rows.push([
                String(count),
                `  gateway ÷ ${NAMES[peer]}`,
                ...columns.map(c => ratio(c.of)),
                "",
                ...MACHINE.map(() => ""),
            ])
        }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
    const text = rows.map(r => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n")
    return rounds > 1
        ? `${text}\n\n${rounds} rounds: each figure is the median of its rounds; a ratio is the median of the per-round ratios (their range in brackets); outage: the worst round.`
        : text
}
