/**
 * Checks a scenario's expectations against what was observed on the broker. Pure: the
 * observation is a list of timestamped events, so every rule is tested without a VM.
 */
import type { Expectation, Fault, TimeRef } from "./types.js"

export interface ObservedEvent {
    /** Seconds since the start of the run. */
    t: number
    device: string
    kind: "status" | "telemetry"
    /** status: `online`/`offline`; telemetry: the JSON text. */
    value: string
}

export interface ExpectationResult {
    ok: boolean
    /** One line for the report, e.g. `wifi-1 became offline 0.4 s after cut (bound 5 s)`. */
    text: string
}

/** Seconds from the start for a time reference; throws on an unknown fault name. */
export function resolveTime(ref: TimeRef, faults: readonly Fault[], durationS: number): number {
    if (typeof ref === "number") return ref
    if (ref === "end") return durationS
    const end = ref.endsWith(".end")
    const name = end ? ref.slice(0, -4) : ref
    const fault = faults.find((f) => f.name === name)
    if (!fault) throw new Error(`unknown fault '${name}' (faults: ${faults.map((f) => f.name).join(", ") || "none"})`)
    return end ? fault.at + fault.for : fault.at
}

/** Device ids matching an id or a glob with `*`. */
export function matchDevices(pattern: string, devices: readonly string[]): string[] {
    if (!pattern.includes("*")) return devices.includes(pattern) ? [pattern] : []
    const re = new RegExp("^" + pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\-]/g, "\\$&")).join(".*") + "$")
    return devices.filter((d) => re.test(d))
}

const fmt = (s: number) => `${s.toFixed(1)} s`

function statusAt(events: readonly ObservedEvent[], device: string, t: number): string | undefined {
    let last: string | undefined
    for (const e of events) if (e.device === device && e.kind === "status" && e.t <= t) last = e.value
    return last
}

function checkOne(x: Expectation, device: string, events: readonly ObservedEvent[], time: (ref: TimeRef) => number): ExpectationResult {
    const mine = events.filter((e) => e.device === device)
    switch (x.type) {
        case "status": {
            const from = time(x.after)
            const hit = mine.find((e) => e.kind === "status" && e.value === x.becomes && e.t >= from)
            const label = typeof x.after === "number" ? `t=${fmt(x.after)}` : x.after
            if (hit && hit.t - from <= x.within) return { ok: true, text: `${device} became ${x.becomes} ${fmt(hit.t - from)} after ${label} (bound ${x.within} s)` }
            const seen = hit ? `only after ${fmt(hit.t - from)}` : "never"
            return { ok: false, text: `${device} should become ${x.becomes} within ${x.within} s of ${label} (t=${fmt(from)}); it did ${seen}` }
        }
        case "stays": {
            const from = time(x.from)
            const to = time(x.to)
            const atStart = statusAt(events, device, from)
            const change = mine.find((e) => e.kind === "status" && e.t > from && e.t <= to && e.value !== x.status)
            if (atStart === x.status && !change) return { ok: true, text: `${device} stayed ${x.status} from t=${fmt(from)} to t=${fmt(to)}` }
            const why = atStart !== x.status ? `it was ${atStart ?? "unknown"} at t=${fmt(from)}` : `it became ${change!.value} at t=${fmt(change!.t)}`
            return { ok: false, text: `${device} should stay ${x.status} from t=${fmt(from)} to t=${fmt(to)}; ${why}` }
        }
        case "telemetry": {
            const from = time(x.from)
            const to = time(x.to)
            const n = mine.filter((e) => e.kind === "telemetry" && e.t >= from && e.t <= to).length
            const text = `${device} sent ${n} telemetry samples from t=${fmt(from)} to t=${fmt(to)} (at least ${x.atLeast} expected)`
            return { ok: n >= x.atLeast, text }
        }
        case "no-telemetry-lost": {
            const from = time(x.from)
            const to = time(x.to)
            const samples = mine.filter((e) => e.kind === "telemetry" && e.t >= from && e.t <= to).map((e) => JSON.parse(e.value) as { seq?: number; dropped?: number })
            const problems = telemetryGaps(samples)
            if (problems.length === 0) return { ok: true, text: `${device}: ${samples.length} samples from t=${fmt(from)} to t=${fmt(to)}, none lost` }
            return { ok: false, text: `${device} lost telemetry: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ""}` }
        }
    }
}

/**
 * Gaps in a sample sequence, as sentences. `seq` restarting at 1 is a reboot (a new
 * count), not a loss; a repeated seq is a duplicate delivery (QoS 1), not a loss.
 */
export function telemetryGaps(samples: readonly { seq?: number; dropped?: number }[]): string[] {
    const problems: string[] = []
    let last: number | undefined
    for (const s of samples) {
        if (typeof s.seq !== "number") {
            problems.push("a sample without seq")
            continue
        }
        if (s.dropped) problems.push(`the device reported ${s.dropped} dropped before seq ${s.seq}`)
        if (last !== undefined && s.seq !== last + 1 && s.seq !== last && s.seq !== 1) {
            problems.push(s.seq > last ? `seq ${last + 1}–${s.seq - 1} missing` : `seq ${s.seq} arrived after ${last}`)
        }
        last = s.seq
    }
    return problems
}

export function checkExpectations(
    expectations: readonly Expectation[],
    events: readonly ObservedEvent[],
    devices: readonly string[],
    faults: readonly Fault[],
    durationS: number,
): ExpectationResult[] {
    const time = (ref: TimeRef) => resolveTime(ref, faults, durationS)
    const results: ExpectationResult[] = []
    for (const x of expectations) {
        const matched = matchDevices(x.device, devices)
        if (matched.length === 0) {
            results.push({ ok: false, text: `no device matches '${x.device}' (devices: ${devices.join(", ")})` })
            continue
        }
        for (const device of matched) results.push(checkOne(x, device, events, time))
    }
    return results
}
