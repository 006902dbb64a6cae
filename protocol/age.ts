/**
 * Late delivery (DESIGN §1, the telemetry row): a message delivered more than
 * `LATE_AFTER_MS` after it was taken carries `"age_ms": N`, how long it waited, added at
 * the moment it is finally sent. Then, on every path and whatever the clocks of the board
 * or the gateway say, *time taken = time received − age_ms*.
 *
 * Why 2 s: a healthy path (board → broker, or serial line → gateway → PUBACK) delivers
 * within tens of milliseconds, and a 1 KB line at 9600 baud takes about one second on the
 * wire, so nothing on time ever reaches 2 s and fresh samples never carry the field. Past
 * 2 s a sample has really waited (in a queue, behind an outage), and an error of 2 s is
 * below what a dashboard or a time-series database at one-second resolution can show.
 *
 * Shared by the firmware and the gateway: inside the DeviceScript subset.
 */

export const LATE_AFTER_MS = 2000

/** The key of the age field in a JSON object payload, and of the MQTT 5 user property. */
export const AGE_KEY = "age_ms"

/**
 * The age to report for a message that has waited `waitedMs`: whole milliseconds, or 0
 * (say nothing) when it is not late. A negative wait (a clock that went backwards) is 0.
 */
export function lateAge(waitedMs: number): number {
    if (!(waitedMs > LATE_AFTER_MS)) return 0
    return Math.floor(waitedMs)
}
