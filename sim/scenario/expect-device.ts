/**
 * The expectations a device author writes about their own program: a reading within a
 * range or crossing a value, an actuator in a state by a deadline, a log line seen. Pure,
 * like expect.ts, on the events observed.
 */
import type { ExpectationResult, ObservedEvent } from "./expect.js"
import type { Expectation, TimeRef } from "./types.js"

type DeviceExpectation = Extract<Expectation, { type: "reading" | "crosses" | "actuator" | "log" }>

const fmt = (s: number) => `${s.toFixed(1)} s`

/** The numeric `field` of each telemetry sample in [from, to], with its time; NaN when absent or not a number. */
function fieldValues(
    events: readonly ObservedEvent[],
    field: string,
    from: number,
    to: number,
): { t: number; v: number }[] {
    return events
        .filter(e => e.kind === "telemetry" && e.t >= from && e.t <= to)
        .map(e => {
            const sample = JSON.parse(e.value) as Record<string, unknown>
            return { t: e.t, v: typeof sample[field] === "number" ? (sample[field] as number) : NaN }
        })
}

function label(ref: TimeRef, t: number): string {
    return typeof ref === "number" ? `t=${fmt(t)}` : `${ref} (t=${fmt(t)})`
}

export function checkDeviceExpectation(
    x: DeviceExpectation,
    device: string,
    mine: readonly ObservedEvent[],
    time: (ref: TimeRef) => number,
): ExpectationResult {
    switch (x.type) {
        case "reading": {
            const from = time(x.from)
            const to = time(x.to)
            const values = fieldValues(mine, x.field, from, to)
            const range = `${x.min ?? "-∞"}..${x.max ?? "∞"}`
            if (values.length === 0)
                return {
                    ok: false,
                    text: `${device} sent no telemetry from t=${fmt(from)} to t=${fmt(to)}, so no ${x.field} to check against ${range}`,
                }
            const bad = values.find(
                s =>
                    Number.isNaN(s.v) ||
                    (x.min !== undefined && s.v < x.min) ||
                    (x.max !== undefined && s.v > x.max),
            )
            if (!bad)
                return {
                    ok: true,
                    text: `${device} ${x.field} stayed within ${range} over ${values.length} samples from t=${fmt(from)} to t=${fmt(to)}`,
                }
            const found = Number.isNaN(bad.v) ? "no number" : String(bad.v)
            return {
                ok: false,
                text: `${device} ${x.field} should stay within ${range}; at t=${fmt(bad.t)} it was ${found}`,
            }
        }
        case "crosses": {
            const from = time(x.from)
            const to = time(x.to)
            const values = fieldValues(mine, x.field, from, to).filter(s => !Number.isNaN(s.v))
            const up = x.above !== undefined
            const level = (up ? x.above : x.below) as number
            const past = (v: number) => (up ? v > level : v < level)
            const before = values.findIndex(s => !past(s.v))
            const hit = before < 0 ? undefined : values.slice(before).find(s => past(s.v))
            const what = `${x.field} ${up ? "above" : "below"} ${level}`
            if (hit)
                return {
                    ok: true,
                    text: `${device} ${x.field} crossed ${up ? "above" : "below"} ${level} at t=${fmt(hit.t)} (${hit.v})`,
                }
            const seen =
                values.length === 0
                    ? "no samples with it"
                    : `values ${Math.min(...values.map(s => s.v))}..${Math.max(...values.map(s => s.v))}`
            return {
                ok: false,
                text: `${device} should go ${what} from t=${fmt(from)} to t=${fmt(to)}; it did not (${seen})`,
            }
        }
        case "actuator": {
            const from = time(x.after)
            const want = `${x.actuator}=${x.state}`
            const changes = mine.filter(e => e.kind === "actuator" && e.value.startsWith(`${x.actuator}=`))
            // In the state already at `from` counts at once; else the first change to it after `from`.
            let state = "off"
            for (const e of changes) if (e.t <= from) state = e.value.split("=")[1]
            const hit = state === x.state ? { t: from } : changes.find(e => e.t > from && e.value === want)
            if (hit && hit.t - from <= x.within)
                return {
                    ok: true,
                    text: `${device} ${x.actuator} ${x.state} ${fmt(hit.t - from)} after ${label(x.after, from)} (bound ${x.within} s)`,
                }
            return {
                ok: false,
                text: `${device} ${x.actuator} should be ${x.state} within ${x.within} s of ${label(x.after, from)}; it was ${hit ? `only after ${fmt(hit.t - from)}` : "never"}`,
            }
        }
        case "log": {
            const from = time(x.after)
            const hit = mine.find(e => e.kind === "log" && e.t >= from && e.value.includes(x.contains))
            if (hit && hit.t - from <= x.within)
                return {
                    ok: true,
                    text: `${device} logged "${x.contains}" ${fmt(hit.t - from)} after ${label(x.after, from)} (bound ${x.within} s)`,
                }
            return {
                ok: false,
                text: `${device} should log a line containing "${x.contains}" within ${x.within} s of ${label(x.after, from)}; it did ${hit ? `only after ${fmt(hit.t - from)}` : "never"}`,
            }
        }
    }
}
