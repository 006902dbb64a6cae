/**
 * The board's USB log, shown line by line (`fieldlink monitor`, `fieldlink flash
 * --monitor`), with a note under each line that tells why a board is or is not online
 * (./board-log.ts). A board with native USB leaves and comes back as it resets, so
 * opening the port is retried for a while.
 */
import { SerialPort } from "serialport"
import { noteFor } from "./board-log.js"

export interface MonitorOptions {
    path: string
    baud: number
    /** Each line of the log, then each note, as it should be printed. */
    print(line: string): void
    /** How long to keep trying to open the port (ms). Default 5000. */
    openWithinMs?: number
}

export interface Monitor {
    /**
     * Shows what the port still holds, then closes it: lines the board wrote just before
     * the broker saw it online are still in flight (the USB link, the OS buffer) when the
     * caller decides to stop. Waits until a line matching `until` has been shown (when
     * given) and the port has been quiet for `quietMs` (200), at most `maxMs` (2000).
     */
    close(options?: { until?: RegExp; quietMs?: number; maxMs?: number }): Promise<void>
}

/** How many of the latest lines close({ until }) looks through. */
const RECENT_LINES = 100

// eslint-disable-next-line no-control-regex
const CONTROL = /\u001b\[[0-9;]*m|[\u0000-\u0008\u000b-\u001f]/g

async function open(path: string, baud: number, withinMs: number): Promise<SerialPort> {
    const deadline = Date.now() + withinMs
    for (;;) {
        try {
            return await new Promise<SerialPort>((resolve, reject) => {
                const port = new SerialPort({ path, baudRate: baud }, error =>
                    error ? reject(error) : resolve(port),
                )
            })
        } catch (error) {
            if (Date.now() >= deadline) throw error
            await new Promise(r => setTimeout(r, 200))
        }
    }
}

export async function startMonitor(o: MonitorOptions): Promise<Monitor> {
    const port = await open(o.path, o.baud, o.openWithinMs ?? 5000)
    let partial = ""
    let lastDataAt = Date.now()
    // The latest lines, for close({ until }); `fieldlink monitor` runs for days, so bounded.
    const shown: string[] = []
    port.on("data", (chunk: Buffer) => {
        lastDataAt = Date.now()
        const parts = (partial + chunk.toString("utf8")).split(/\r?\n/)
        partial = parts.pop() ?? ""
        for (const raw of parts) {
            const line = raw.replace(CONTROL, "")
            if (!line.trim()) continue
            o.print(line)
            shown.push(line)
            if (shown.length > RECENT_LINES) shown.shift()
            const note = noteFor(line)
            if (note) o.print(`    ^ ${note.note}`)
        }
    })
    port.on("error", () => undefined)
    return {
        close: async ({ until, quietMs = 200, maxMs = 2000 } = {}) => {
            const deadline = Date.now() + maxMs
            const done = () =>
                (until === undefined || shown.some(line => until.test(line))) &&
                Date.now() - lastDataAt >= quietMs
            while (port.isOpen && !done() && Date.now() < deadline) await new Promise(r => setTimeout(r, 50))
            await new Promise<void>(resolve => {
                if (!port.isOpen) return resolve()
                port.close(() => resolve())
            })
        },
    }
}
