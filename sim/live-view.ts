/**
 * The live terminal view of `fieldlink sim` (npm start): one row per device — how it is
 * connected, online or offline, its last reading and message rate — redrawn in place
 * once a second. Built from the same broker events a user's MQTT tool would see.
 *
 * A device whose status flaps (online → offline) more than FLAPS_PER_MIN times a minute
 * is marked "duplicate id?": two things with one id take each other's MQTT connection
 * over, which is by far the most common cause of that pattern.
 */
import type { DeviceEvent } from "./monitor.js"

export interface Row {
    via: string
    status: string
    last: string
    lastAt: number
    /** Telemetry arrival times in the last minute. */
    recent: number[]
    /** Times the status went from online to offline, in the last minute. */
    flaps: number[]
}

const RATE_WINDOW_MS = 60000
/** More online → offline changes than this in a minute earn the "duplicate id?" mark. */
export const FLAPS_PER_MIN = 3

/** The mark for a row that flapped `flaps` times in the last minute, or "". Pure. */
export function flapMark(flaps: number): string {
    return flaps > FLAPS_PER_MIN ? `  ⚠ duplicate id? status flapped ${flaps}×/min` : ""
}

/** A row with no events yet. */
export function emptyRow(): Row {
    return { via: "?", status: "?", last: "", lastAt: 0, recent: [], flaps: [] }
}

/**
 * Pure: the table's text for the rows at `now`. With more rows than `maxRows` (a fleet
 * of thousands on a terminal of fifty lines), the rows that need a look — not online,
 * or flapping — come first, then the rest in id order, cut at `maxRows` with a count of
 * what was left out; a line of totals heads the table either way.
 */
export function renderView(
    rows: ReadonlyMap<string, Row>,
    now: number,
    header: string,
    maxRows = Number.POSITIVE_INFINITY,
): string {
    const all = [...rows.entries()]
        .map(([id, r]) => ({
            id,
            r,
            rate: r.recent.filter(t => now - t <= RATE_WINDOW_MS).length,
            flaps: r.flaps.filter(t => now - t <= RATE_WINDOW_MS).length,
        }))
        .sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }))
    const online = all.filter(x => x.r.status === "online").length
    const perMin = all.reduce((n, x) => n + x.rate, 0)
    const lines = [
        header,
        `${all.length} device(s): ${online} online, ${all.length - online} not; ${perMin} msg/min`,
        `${"DEVICE".padEnd(14)}${"VIA".padEnd(8)}${"STATUS".padEnd(9)}${"MSG/MIN".padStart(8)}  ${"AGE".padStart(6)}  LAST READING`,
    ]
    const needsLook = (x: (typeof all)[number]) => x.r.status !== "online" || x.flaps > FLAPS_PER_MIN
    const shown =
        all.length > maxRows
            ? [...all.filter(needsLook), ...all.filter(x => !needsLook(x))].slice(0, maxRows)
            : all
    for (const { id, r, rate, flaps } of shown) {
        const age = r.lastAt ? `${Math.round((now - r.lastAt) / 1000)}s` : "-"
        lines.push(
            `${id.slice(0, 13).padEnd(14)}${r.via.padEnd(8)}${r.status.padEnd(9)}${String(rate).padStart(8)}  ${age.padStart(6)}  ${r.last}${flapMark(flaps)}`,
        )
    }
    if (shown.length < all.length)
        lines.push(
            `… and ${all.length - shown.length} more (those not online, or flapping, are listed first)`,
        )
    return lines.join("\n")
}

export class LiveView {
    private readonly rows = new Map<string, Row>()
    private timer: NodeJS.Timeout | undefined

    constructor(
        private readonly out: NodeJS.WriteStream,
        private readonly header: () => string,
    ) {}

    /** The rows so far (for tests and the final draw). */
    get table(): ReadonlyMap<string, Row> {
        return this.rows
    }

    event(e: DeviceEvent, now = Date.now()): void {
        const row = this.rows.get(e.deviceId) ?? emptyRow()
        this.rows.set(e.deviceId, row)
        if (e.kind === "status") {
            if (row.status === "online" && e.text === "offline")
                row.flaps = [...row.flaps.filter(t => now - t <= RATE_WINDOW_MS), now]
            row.status = e.text
        } else if (e.kind === "info") {
            try {
                row.via = String((JSON.parse(e.text) as { transport?: string }).transport ?? "?")
            } catch {
                // a device's info that is not JSON: leave the column as it was
            }
        } else if (e.kind === "telemetry") {
            row.lastAt = now
            row.recent = [...row.recent.filter(t => now - t <= RATE_WINDOW_MS), now]
            try {
                const sample = JSON.parse(e.text) as Record<string, unknown>
                row.last = Object.entries(sample)
                    .filter(([k]) => k !== "uptime_s")
                    .map(([k, v]) => `${k}=${v}`)
                    .join(" ")
            } catch {
                row.last = e.text.slice(0, 60)
            }
        }
    }

    start(): void {
        this.out.write("\x1b[?25l")
        this.timer = setInterval(() => this.draw(), 1000)
        this.draw()
    }

    stop(): void {
        clearInterval(this.timer)
        this.draw()
        this.out.write("\x1b[?25h\n")
    }

    private draw(): void {
        // Home, clear screen, draw: the whole table each second is a few hundred bytes.
        const header = this.header()
        // The table fits the terminal: its header, the totals, the column names, the "more" line.
        const room = (this.out.rows ?? 50) - header.split("\n").length - 4
        this.out.write("\x1b[H\x1b[2J" + renderView(this.rows, Date.now(), header, Math.max(1, room)) + "\n")
    }
}
