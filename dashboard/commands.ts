/**
 * The commands the page may send, and their checks (pure). Only `interval` for now: the
 * telemetry period in ms, within the firmware's own bounds (docs/firmware.md).
 */
import { idError } from "@fieldlink/protocol/mqtt"

export const INTERVAL_MIN_MS = 100
export const INTERVAL_MAX_MS = 86400000

/** The payload to publish to `cmd/<name>`, or the reason it may not be sent. */
export function commandPayload(
    deviceId: string,
    name: string,
    value: unknown,
): { payload: string } | { error: string } {
    const bad = idError(deviceId)
    if (bad) return { error: `device id '${deviceId}': ${bad}` }
    if (name !== "interval") return { error: `the dashboard sends only 'interval', not '${name}'` }
    const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value
    if (typeof n !== "number" || !Number.isInteger(n) || n < INTERVAL_MIN_MS || n > INTERVAL_MAX_MS)
        return {
            error: `interval expects whole milliseconds from ${INTERVAL_MIN_MS} to ${INTERVAL_MAX_MS}, got ${JSON.stringify(value)}`,
        }
    return { payload: String(n) }
}
