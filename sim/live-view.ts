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

/** Pure: the table's text for the rows at `now`. */
export function renderView(rows: ReadonlyMap<string, Row>, now: number, header: string): string {
    const lines = [
        header,
        "",
        `${"DEVICE".padEnd(14)}${"VIA".padEnd(8)}${"STATUS".padEnd(9)}${"MSG/MIN".padStart(8)}  ${"AGE".padStart(6)}  LAST READING`,
    ]
    for (const [id, r] of [...rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const rate = r.recent.filter(t => now - t <= RATE_WINDOW_MS).length
        const age = r.lastAt ? `${Math.round((now - r.lastAt) / 1000)}s` : "-"
        const flaps = r.flaps.filter(t => now - t <= RATE_WINDOW_MS).length
        lines.push(
            `${id.slice(0, 13).padEnd(14)}${r.via.padEnd(8)}${r.status.padEnd(9)}${String(rate).padStart(8)}  ${age.padStart(6)}  ${r.last}${flapMark(flaps)}`,
        )
    }
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
        this.out.write("\x1b[H\x1b[2J" + renderView(this.rows, Date.now(), this.header()) + "\n")
    }
}
