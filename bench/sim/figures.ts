/**
 * What the subscriber saw over one window, reduced to the bench's figures. Pure.
 */
import { percentile } from "@fieldlink/test-support/stats"
import type { Arrival } from "./subscriber.js"

export interface DeliveryFigures {
    /** Samples received in the window, all boards. */
    received: number
    /** Samples the boards should have sent in the window at their interval. */
    expected: number
    /** Boards that delivered every sample of the window: no `seq` gap and not slow. */
    complete: number
    /** Boards heard from at all in the window. */
    heard: number
    /** Samples missing by `seq` (gaps), all boards. */
    missing: number
    /** Time between consecutive samples of one board, as the subscriber saw it (ms). */
    periodP50Ms: number
    /** Time per seq step over the window, all boards: the boards' real rate, jitter aside. */
    periodMeanMs: number
    periodP99Ms: number
    periodMaxMs: number
    /** A board that was not complete, and why (for the notes). */
    example?: string
}

interface BoardVerdict {
    complete: boolean
    count: number
    missing: number
    periods: number[]
    /** First to last sample in the window: time taken and seq steps made. */
    spanMs: number
    spanSeq: number
    why?: string
}

/**
 * One board over [from, to). The sample before the window counts for continuity: a
 * gap across the window's start is a lost sample of the window. A board that sends
 * every sample but slowly (fewer than the window holds, less one for its phase) is not
 * complete either: "every sample at its interval" is the claim.
 */
export function judgeBoard(
    list: readonly Arrival[],
    from: number,
    to: number,
    intervalMs: number,
): BoardVerdict {
    const inWindow = list.filter(a => a.at >= from && a.at < to)
    const before = list.filter(a => a.at < from).at(-1)
    let missing = 0
    let breaks = 0
    const periods: number[] = []
    let previous = before
    for (const arrival of inWindow) {
        if (previous) {
            const step = arrival.seq - previous.seq
            if (step > 1) missing += step - 1
            // A seq that goes back is a reboot: its samples do not continue the run.
            if (step < 1) breaks++
            if (previous.at >= from) periods.push(arrival.at - previous.at)
        }
        previous = arrival
    }
    const least = Math.floor((to - from) / intervalMs) - 1
    let why: string | undefined
    if (inWindow.length === 0) why = "no sample in the window"
    else if (missing > 0) why = `${missing} sample(s) missing by seq`
    else if (breaks > 0) why = `seq went back ${breaks} time(s)`
    else if (inWindow.length < least) why = `${inWindow.length} samples, at least ${least} expected`
    const first = inWindow[0]
    const last = inWindow.at(-1)
    const spanMs = first && last ? last.at - first.at : 0
    const spanSeq = first && last ? last.seq - first.seq : 0
    return { complete: why === undefined, count: inWindow.length, missing, periods, spanMs, spanSeq, why }
}

export function deliveryFigures(
    arrivals: ReadonlyMap<string, readonly Arrival[]>,
    deviceIds: readonly string[],
    from: number,
    to: number,
    intervalMs: number,
): DeliveryFigures {
    let received = 0
    let complete = 0
    let heard = 0
    let missing = 0
    let example: string | undefined
    let spanMs = 0
    let spanSeq = 0
    const periods: number[] = []
    for (const id of deviceIds) {
        const verdict = judgeBoard(arrivals.get(id) ?? [], from, to, intervalMs)
        received += verdict.count
        missing += verdict.missing
        if (verdict.count > 0) heard++
        if (verdict.complete) complete++
        else example ??= `${id}: ${verdict.why}`
        for (const p of verdict.periods) periods.push(p)
        if (verdict.spanSeq > 0) {
            spanMs += verdict.spanMs
            spanSeq += verdict.spanSeq
        }
    }
    periods.sort((a, b) => a - b)
    return {
        received,
        expected: (deviceIds.length * (to - from)) / intervalMs,
        complete,
        heard,
        missing,
        periodP50Ms: percentile(periods, 50),
        periodMeanMs: spanSeq > 0 ? spanMs / spanSeq : NaN,
        periodP99Ms: percentile(periods, 99),
        periodMaxMs: periods.at(-1) ?? NaN,
        example,
    }
}
