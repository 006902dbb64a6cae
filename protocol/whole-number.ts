/**
 * Whole numbers written as text in settings (`mqtt_port`, a port in `mqtt_host`): one
 * rule for both, shared by the firmware and the host. Pure, inside the DeviceScript subset.
 */

/** A number as is, or a string of decimal digits (optionally signed); anything else is NaN. */
export function integer(raw: string | number | boolean | undefined): number {
    if (typeof raw === "number") return raw
    if (typeof raw !== "string" || raw.length === 0 || raw.length > 15) return NaN
    const start = raw.charAt(0) === "-" ? 1 : 0
    if (start === raw.length) return NaN
    for (let i = start; i < raw.length; i++) {
        const c = raw.charCodeAt(i)
        if (c < 48 || c > 57) return NaN
    }
    return parseInt(raw)
}

export function isWholeIn(n: number, min: number, max: number): boolean {
    return n === Math.floor(n) && n >= min && n <= max
}
