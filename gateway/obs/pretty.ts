/**
 * Pretty log lines for a terminal, written in this thread as pino hands them over:
 * `[12:03:04.567] INFO: device online {"device":"meter-1","port":"/dev/ttyACM0"}`.
 * A few lines of our own instead of pino-pretty, which would bring a dozen packages to
 * every installed gateway for a format that services (JSON to journald) never use.
 */
import { levels } from "pino"

const COLORS: Record<string, string> = {
    TRACE: "90",
    DEBUG: "34",
    INFO: "32",
    WARN: "33",
    ERROR: "31",
    FATAL: "41",
}
/** Fields the line shows in its own way or leaves out (as pino-pretty's `ignore` did). */
const SHOWN = new Set(["level", "time", "msg", "pid", "hostname", "gateway"])

function clock(time: number): string {
    const d = new Date(time)
    const two = (n: number) => String(n).padStart(2, "0")
    return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, "0")}`
}

/** One JSON log record as one readable line (a line that is not JSON passes as it is). */
export function prettyLine(json: string, colorize: boolean): string {
    let record: Record<string, unknown>
    try {
        record = JSON.parse(json) as Record<string, unknown>
    } catch {
        return json.endsWith("\n") ? json : json + "\n"
    }
    const label = (levels.labels[Number(record.level)] ?? String(record.level)).toUpperCase()
    const level = colorize && COLORS[label] ? `\x1b[${COLORS[label]}m${label}\x1b[39m` : label
    const rest = Object.fromEntries(Object.entries(record).filter(([k]) => !SHOWN.has(k)))
    const time = typeof record.time === "number" ? `[${clock(record.time)}] ` : ""
    const extra = Object.keys(rest).length > 0 ? " " + JSON.stringify(rest) : ""
    return `${time}${level}: ${String(record.msg ?? "")}${extra}\n`
}

/** A pino destination writing pretty lines to `destination`. */
export function prettyStream(
    destination: NodeJS.WritableStream,
    colorize: boolean,
): { write(chunk: string): void } {
    return { write: chunk => void destination.write(prettyLine(chunk.trimEnd(), colorize)) }
}
