/**
 * The ladder as tables: one row per rung, delivery first, then cost. Pure.
 */
import type { RungResult } from "./rung.js"

const MB = 1024 * 1024

interface Column {
    header: string
    cell(r: RungResult, base: RungResult | undefined): string
}

function fixed(value: number, digits: number): string {
    return Number.isFinite(value) ? value.toFixed(digits) : "n/a"
}

/** % of one core used by the board host over the window. */
export function hostCorePercent(r: RungResult): number {
    return (100 * (r.host.userUs + r.host.systemUs)) / 1000 / r.host.wallMs
}

export function perBoardCorePercent(r: RungResult): number {
    return hostCorePercent(r) / r.boards
}

/** RSS each board adds: the growth from the first rung to this one, per board added. */
export function marginalRssBytes(r: RungResult, base: RungResult): number {
    return (r.host.rssBytes - base.host.rssBytes) / (r.boards - base.boards)
}

/** How far the boards' mean sample period may stretch past their interval and still count as "at" it. */
export const PERIOD_TOLERANCE = 0.02

/** Every board delivered every sample of the window, and their mean period stayed at their interval. */
export function keptUp(r: RungResult): boolean {
    return (
        r.delivery.complete === r.boards && r.delivery.periodMeanMs <= r.intervalMs * (1 + PERIOD_TOLERANCE)
    )
}

const delivery: Column[] = [
    { header: "boards", cell: r => String(r.boards) },
    { header: "workers", cell: r => String(r.host.workers) },
    { header: "start-up s", cell: r => fixed(r.startupMs / 1000, 1) },
    { header: "ms/board", cell: r => fixed(r.startupMs / r.boards, 0) },
    { header: "CPU ms/board", cell: r => fixed(r.startupCpuMs / r.boards, 1) },
    { header: "msg/s", cell: r => fixed((r.delivery.received * 1000) / r.windowMs, 1) },
    { header: "expected/s", cell: r => fixed((r.delivery.expected * 1000) / r.windowMs, 1) },
    { header: "delivered", cell: r => `${r.delivery.received}/${Math.round(r.delivery.expected)}` },
    { header: "complete", cell: r => `${r.delivery.complete}/${r.boards}` },
    { header: "missing", cell: r => String(r.delivery.missing) },
    { header: "period p50 ms", cell: r => fixed(r.delivery.periodP50Ms, 0) },
    { header: "mean ms", cell: r => fixed(r.delivery.periodMeanMs, 1) },
    { header: "p99 ms", cell: r => fixed(r.delivery.periodP99Ms, 0) },
    { header: "max ms", cell: r => fixed(r.delivery.periodMaxMs, 0) },
    { header: "met", cell: r => (keptUp(r) ? "yes" : "no") },
]

const cost = (cores: number): Column[] => [
    { header: "boards", cell: r => String(r.boards) },
    { header: "workers", cell: r => String(r.host.workers) },
    { header: "CPU % core", cell: r => fixed(hostCorePercent(r), 1) },
    { header: "% machine", cell: r => fixed(hostCorePercent(r) / cores, 1) },
    { header: "% core/board", cell: r => fixed(perBoardCorePercent(r), 3) },
    {
        header: "× per-board @first",
        cell: (r, base) => (base ? fixed(perBoardCorePercent(r) / perBoardCorePercent(base), 2) : ""),
    },
    { header: "RSS MB", cell: r => fixed(r.host.rssBytes / MB, 0) },
    // Above the first rung, not above the host's own RSS: memory the host freed after
    // loading the VM module (a 28 MB bundle) returns to the system only later, which
    // made the per-board figure of small rungs meaningless, even negative.
    {
        header: "MB/board",
        cell: (r, base) => (base && r.boards > base.boards ? fixed(marginalRssBytes(r, base) / MB, 2) : ""),
    },
    { header: "loop p50 ms", cell: r => fixed(r.host.loopP50Ms, 1) },
    { header: "p99 ms", cell: r => fixed(r.host.loopP99Ms, 1) },
    { header: "max ms", cell: r => fixed(r.host.loopMaxMs, 0) },
    { header: "machine busy %", cell: r => fixed(r.machineBusyPct, 0) },
    { header: "load avg", cell: r => fixed(r.loadAverage, 1) },
    { header: "broker % core", cell: r => fixed(r.brokerCpuPct, 1) },
    { header: "bench % core", cell: r => fixed(r.benchCpuPct, 1) },
]

function render(title: string, columns: Column[], rungs: readonly RungResult[]): string {
    const base = rungs[0]
    const cells = rungs.map(r => columns.map(c => c.cell(r, base)))
    const header = columns.map(c => c.header)
    const widths = header.map((h, i) => Math.max(h.length, ...cells.map(row => row[i].length)))
    const line = (row: string[]) => row.map((cell, i) => cell.padStart(widths[i])).join("  ")
    return [title, line(header), line(widths.map(w => "-".repeat(w))), ...cells.map(line)].join("\n")
}

export function renderLadder(rungs: readonly RungResult[], cores: number): string {
    return [
        render("delivery (subscriber's view of the window)", delivery, rungs),
        "",
        render("cost (board host process over the window)", cost(cores), rungs),
    ].join("\n")
}
