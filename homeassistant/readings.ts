/**
 * What a telemetry key means to Home Assistant (DESIGN §7): the unit suffix of the key
 * names the unit, the device class and the state class. Pure.
 */

export interface ReadingClass {
    /** Home Assistant's sensor device class, or undefined for a plain number. */
    deviceClass?: string
    unit?: string
    stateClass: "measurement"
    /** Shown under the device's diagnostics rather than its sensors. */
    diagnostic?: boolean
}

/** Keys of a sample that are bookkeeping, not readings (DESIGN §1: seq, age_ms, dropped). */
export const NOT_READINGS: ReadonlySet<string> = new Set(["seq", "age_ms", "dropped"])

/** A reading key is one safe template and topic level: no quoting needed anywhere. */
const READING_KEY = /^[A-Za-z][A-Za-z0-9_]{0,63}$/

interface SuffixRule {
    suffix: string
    unit: string
    /** The device class, by the whole key where it depends on the quantity (`humidity_pct`). */
    deviceClass: (key: string) => string | undefined
    diagnostic?: boolean
}

const SUFFIXES: SuffixRule[] = [
    { suffix: "_c", unit: "°C", deviceClass: () => "temperature" },
    {
        suffix: "_pct",
        unit: "%",
        deviceClass: key =>
            key === "humidity_pct" ? "humidity" : key === "battery_pct" ? "battery" : undefined,
    },
    { suffix: "_hpa", unit: "hPa", deviceClass: () => "pressure" },
    { suffix: "_lx", unit: "lx", deviceClass: () => "illuminance" },
    { suffix: "_v", unit: "V", deviceClass: () => "voltage" },
    {
        suffix: "_ppm",
        unit: "ppm",
        deviceClass: key => (key === "co_ppm" ? "carbon_monoxide" : "carbon_dioxide"),
    },
    { suffix: "_s", unit: "s", deviceClass: () => "duration", diagnostic: true },
]

/**
 * How `key` with `value` is announced, or null when it is not a reading: not a finite
 * number, bookkeeping, or a key that is not `[A-Za-z][A-Za-z0-9_]{0,63}`.
 */
export function classifyReading(key: string, value: unknown): ReadingClass | null {
    if (typeof value !== "number" || !Number.isFinite(value)) return null
    if (NOT_READINGS.has(key) || !READING_KEY.test(key)) return null
    for (const rule of SUFFIXES) {
        if (key.length > rule.suffix.length && key.endsWith(rule.suffix)) {
            const deviceClass = rule.deviceClass(key)
            return {
                ...(deviceClass ? { deviceClass } : {}),
                unit: rule.unit,
                stateClass: "measurement",
                ...(rule.diagnostic ? { diagnostic: true } : {}),
            }
        }
    }
    return { stateClass: "measurement" }
}

/** `temperature_c` → `Temperature`, `soil_moisture_pct` → `Soil moisture`. */
export function readingName(key: string): string {
    const words = key.split("_")
    const last = words[words.length - 1]
    if (words.length > 1 && SUFFIXES.some(r => r.suffix === `_${last}`)) words.pop()
    const text = words.join(" ")
    return text.charAt(0).toUpperCase() + text.slice(1)
}

/** The readings of one telemetry payload (a JSON object), with their classes. Pure. */
export function readingsOf(payload: string): Map<string, ReadingClass> {
    const found = new Map<string, ReadingClass>()
    let sample: unknown
    try {
        sample = JSON.parse(payload)
    } catch {
        return found
    }
    if (sample === null || typeof sample !== "object" || Array.isArray(sample)) return found
    for (const [key, value] of Object.entries(sample as Record<string, unknown>)) {
        const c = classifyReading(key, value)
        if (c) found.set(key, c)
    }
    return found
}
