/**
 * The live terminal view of `fieldlink sim` (npm start): one row per device — how it is
 * connected, online or offline, its last reading and message rate — redrawn in place
 * once a second. Built from the same broker events a user's MQTT tool would see.
 */
import type { DeviceEvent } from "./monitor.js"

interface Row {
    via: string
    status: string
    last: string
    lastAt: number
    /** Telemetry arrival times in the last minute. */
    recent: number[]
}

const RATE_WINDOW_MS = 60000

/** Pure: the table's text for the rows at `now`. */
export function renderView(rows: Map<string, Row>, now: number, header: string): string {
    const lines = [header, "", `${"DEVICE".padEnd(14)}${"VIA".padEnd(8)}${"STATUS".padEnd(9)}${"MSG/MIN".padStart(8)}  ${"AGE".padStart(6)}  LAST READING`]
    for (const [id, r] of [...rows.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        const rate = r.recent.filter((t) => now - t <= RATE_WINDOW_MS).length
        const age = r.lastAt ? `${Math.round((now - r.lastAt) / 1000)}s` : "-"
        lines.push(`${id.slice(0, 13).padEnd(14)}${r.via.padEnd(8)}${r.status.padEnd(9)}${String(rate).padStart(8)}  ${age.padStart(6)}  ${r.last}`)
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

    event(e: DeviceEvent): void {
        const row = this.rows.get(e.deviceId) ?? { via: "?", status: "?", last: "", lastAt: 0, recent: [] }
        this.rows.set(e.deviceId, row)
        if (e.kind === "status") row.status = e.text
        else if (e.kind === "info") {
            try {
                row.via = String((JSON.parse(e.text) as { transport?: string }).transport ?? "?")
            } catch {
                // a device's info that is not JSON: leave the column as it was
            }
        } else if (e.kind === "telemetry") {
            const now = Date.now()
            row.lastAt = now
            row.recent = [...row.recent.filter((t) => now - t <= RATE_WINDOW_MS), now]
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
