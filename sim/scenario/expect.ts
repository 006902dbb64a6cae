/**
 * Checks a scenario's expectations against what was observed on the broker. Pure: the
 * observation is a list of timestamped events, so every rule is tested without a VM.
 */
import { AGE_KEY, LATE_AFTER_MS } from "@fieldlink/protocol/age"
import type { Expectation, TimeRef } from "./types.js"
import { checkDeviceExpectation } from "./expect-device.js"

export interface ObservedEvent {
    /** Seconds since the start of the run. */
    t: number
    device: string
    kind: "status" | "telemetry" | "actuator" | "log"
    /** status: `online`/`offline`; telemetry: the JSON text; actuator: `relay=on`; log: the line. */
    value: string
}

export interface ExpectationResult {
    ok: boolean
    /** One line for the report, e.g. `wifi-1 became offline 0.4 s after cut (bound 5 s)`. */
    text: string
}

/** What a time reference may name: a fault, or an input (whose `for` is 0). */
export interface NamedTime {
    name?: string
    at: number
    for: number
}

/** Seconds from the start for a time reference; throws on an unknown fault or input name. */
export function resolveTime(ref: TimeRef, faults: readonly NamedTime[], durationS: number): number {
    if (typeof ref === "number") return ref
    if (ref === "end") return durationS
    const end = ref.endsWith(".end")
    const name = end ? ref.slice(0, -4) : ref
    const fault = faults.find(f => f.name === name)
    if (!fault)
        throw new Error(
            `unknown fault or input '${name}' (names: ${faults.map(f => f.name).join(", ") || "none"})`,
        )
    return end ? fault.at + fault.for : fault.at
}

/** Device ids matching an id or a glob with `*`. */
export function matchDevices(pattern: string, devices: readonly string[]): string[] {
    if (!pattern.includes("*")) return devices.includes(pattern) ? [pattern] : []
    const re = new RegExp(
        "^" +
            pattern
                .split("*")
                .map(p => p.replace(/[.+?^${}()|[\]\\-]/g, "\\$&"))
                .join(".*") +
            "$",
    )
    return devices.filter(d => re.test(d))
}

const fmt = (s: number) => `${s.toFixed(1)} s`

function statusAt(events: readonly ObservedEvent[], device: string, t: number): string | undefined {
    let last: string | undefined
    for (const e of events) if (e.device === device && e.kind === "status" && e.t <= t) last = e.value
    return last
}

/**
 * How much older than the longest fault a late sample may be: after a fault ends a device
 * reconnects within its backoff, which the scenarios bound at 20 s (`status … after:
 * broker.end, within: 20`), and then flushes its queue.
 */
export const AGE_SLACK_S = 20

function checkOne(
    x: Expectation,
    device: string,
    events: readonly ObservedEvent[],
    time: (ref: TimeRef) => number,
    maxAgeS: number,
): ExpectationResult {
    const mine = events.filter(e => e.device === device)
    switch (x.type) {
        case "status": {
            const from = time(x.after)
            const hit = mine.find(e => e.kind === "status" && e.value === x.becomes && e.t >= from)
            const label = typeof x.after === "number" ? `t=${fmt(x.after)}` : x.after
            if (hit && hit.t - from <= x.within)
                return {
                    ok: true,
                    text: `${device} became ${x.becomes} ${fmt(hit.t - from)} after ${label} (bound ${x.within} s)`,
                }
            const seen = hit ? `only after ${fmt(hit.t - from)}` : "never"
            return {
                ok: false,
                text: `${device} should become ${x.becomes} within ${x.within} s of ${label} (t=${fmt(from)}); it did ${seen}`,
            }
        }
        case "stays": {
            const from = time(x.from)
            const to = time(x.to)
            const atStart = statusAt(events, device, from)
            const change = mine.find(
                e => e.kind === "status" && e.t > from && e.t <= to && e.value !== x.status,
            )
            if (atStart === x.status && !change)
                return { ok: true, text: `${device} stayed ${x.status} from t=${fmt(from)} to t=${fmt(to)}` }
            const why =
                atStart !== x.status
                    ? `it was ${atStart ?? "unknown"} at t=${fmt(from)}`
                    : `it became ${change!.value} at t=${fmt(change!.t)}`
            return {
                ok: false,
                text: `${device} should stay ${x.status} from t=${fmt(from)} to t=${fmt(to)}; ${why}`,
            }
        }
        case "telemetry": {
            const from = time(x.from)
            const to = time(x.to)
            const n = mine.filter(e => e.kind === "telemetry" && e.t >= from && e.t <= to).length
            const text = `${device} sent ${n} telemetry samples from t=${fmt(from)} to t=${fmt(to)} (at least ${x.atLeast} expected)`
            return { ok: n >= x.atLeast, text }
        }
        case "reading":
        case "crosses":
        case "actuator":
        case "log":
            return checkDeviceExpectation(x, device, mine, time)
        case "no-telemetry-lost": {
            const from = time(x.from)
            const to = time(x.to)
            const samples = mine
                .filter(e => e.kind === "telemetry" && e.t >= from && e.t <= to)
                .map(e => ({ ...(JSON.parse(e.value) as TimedSample), t: e.t }))
            const problems = [...telemetryGaps(samples), ...ageProblems(samples, maxAgeS)]
            const late = samples.filter(s => s[AGE_KEY] !== undefined)
            const ages =
                late.length > 0
                    ? `; ${late.length} late, ages up to ${fmt(Math.max(...late.map(s => Number(s[AGE_KEY]))) / 1000)} (bound ${fmt(maxAgeS)}) in order`
                    : ""
            if (problems.length === 0)
                return {
                    ok: true,
                    text: `${device}: ${samples.length} samples from t=${fmt(from)} to t=${fmt(to)}, none lost${ages}`,
                }
            return {
                ok: false,
                text: `${device} lost telemetry: ${problems.slice(0, 5).join("; ")}${problems.length > 5 ? ` (+${problems.length - 5} more)` : ""}`,
            }
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
            problems.push(
                s.seq > last ? `seq ${last + 1}–${s.seq - 1} missing` : `seq ${s.seq} arrived after ${last}`,
            )
        }
        last = s.seq
    }
    return problems
}

/** A sample as observed: its JSON members and when it arrived (seconds from the start). */
export interface TimedSample {
    t: number
    seq?: number
    dropped?: number
    age_ms?: unknown
}

/** Observation slack, s: the monitor sees a publish a few ms after the device sent it. */
const SEEN_SLACK_S = 0.5

/**
 * Late samples whose `age_ms` is not plausible, as sentences. Each sample was taken at
 * t − age_ms (protocol/age.ts); one without age was taken at most 2 s before it arrived.
 * So: an age is a number of ms past the 2 s threshold, no longer than `maxAgeS`, and the
 * times taken follow seq order (a reboot restarts it).
 */
export function ageProblems(samples: readonly TimedSample[], maxAgeS: number): string[] {
    const problems: string[] = []
    let previous: { seq: number; low: number } | undefined
    for (const s of samples) {
        const age = s[AGE_KEY]
        let low = s.t - LATE_AFTER_MS / 1000 - SEEN_SLACK_S
        let high = s.t + SEEN_SLACK_S
        if (age !== undefined) {
            if (typeof age !== "number" || !Number.isFinite(age) || age <= LATE_AFTER_MS) {
                problems.push(
                    `seq ${s.seq}: ${AGE_KEY} ${JSON.stringify(age)} is not a wait past ${LATE_AFTER_MS} ms (a fresh sample carries none)`,
                )
                continue
            }
            if (age > maxAgeS * 1000)
                problems.push(
                    `seq ${s.seq}: ${AGE_KEY} ${age} is longer than the longest fault plus ${AGE_SLACK_S} s (${maxAgeS} s)`,
                )
            low = s.t - age / 1000 - SEEN_SLACK_S
            high = s.t - age / 1000 + SEEN_SLACK_S
        }
        if (typeof s.seq !== "number") continue
        if (previous !== undefined && s.seq > previous.seq && high < previous.low)
            problems.push(
                `seq ${s.seq} says it was taken at t=${fmt(high - SEEN_SLACK_S)}, before seq ${previous.seq} (t=${fmt(previous.low + SEEN_SLACK_S)} or later)`,
            )
        if (previous === undefined || s.seq !== previous.seq) previous = { seq: s.seq, low }
    }
    return problems
}

export function checkExpectations(
    expectations: readonly Expectation[],
    events: readonly ObservedEvent[],
    devices: readonly string[],
    faults: readonly NamedTime[],
    durationS: number,
): ExpectationResult[] {
    const time = (ref: TimeRef) => resolveTime(ref, faults, durationS)
    const maxAgeS = Math.max(0, ...faults.map(f => f.for)) + AGE_SLACK_S
    const results: ExpectationResult[] = []
    for (const x of expectations) {
        const matched = matchDevices(x.device, devices)
        if (matched.length === 0) {
            results.push({
                ok: false,
                text: `no device matches '${x.device}' (devices: ${devices.join(", ")})`,
            })
            continue
        }
        for (const device of matched) results.push(checkOne(x, device, events, time, maxAgeS))
    }
    return results
}
