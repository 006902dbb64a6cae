/**
 * What the machine did during a case (the readings themselves: test-support's proc.ts):
 * the cores' own account (how much the other processes used, and how much the
 * hypervisor took: steal), plus a probe of how late a timed wait wakes. On a shared
 * virtual machine these bound what any bridge can show, so the bench prints them beside
 * its figures instead of leaving a reader to guess.
 */
import { fork } from "node:child_process"
import { fileURLToPath } from "node:url"
import { tieToParent } from "@fieldlink/test-support/cleanup"
import type { MachineTimes } from "@fieldlink/test-support/proc"

/** Steal as a share of the cores' time between two readings, %. */
export function stealPercent(from: MachineTimes, to: MachineTimes): number {
    return (100 * (to.steal - from.steal)) / (to.total - from.total)
}

/** Cores kept running between two readings (1 = one core all the time), steal left out. */
export function busyCores(from: MachineTimes, to: MachineTimes, seconds: number): number {
    return (to.busy - to.steal - (from.busy - from.steal)) / seconds
}

export interface Wakeups {
    /** How late a 1 ms timed wait woke, ms: median and 99th percentile. */
    p50: number
    p99: number
}

const PROBE = fileURLToPath(new URL("./wakeup-probe.ts", import.meta.url))

/**
 * Starts the wake-up probe (wakeup-probe.ts) in a process of its own and waits until it
 * is loaded; `measure()` then has it measure for `ms`: how late a thread that asks to
 * sleep 1 ms wakes up, while the case runs beside it. No latency through the cores can be
 * below what a single wake-up takes. Started ahead of the run it watches, so that its own
 * start-up is not in that run.
 */
export async function startWakeupProbe(ms: number): Promise<{ measure(): Promise<Wakeups> }> {
    const child = fork(PROBE, [String(ms)], {
        execArgv: ["--import=tsx", "--conditions=source"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    })
    tieToParent(child)
    const exited = new Promise<never>((_, reject) =>
        child.once("exit", code => reject(new Error(`the wake-up probe exited (${code}) without a result`))),
    )
    exited.catch(() => {}) // awaited through the races below; an exit after the result is expected
    /** A probe that neither answers nor exits (stopped, swapped out) must not hang the bench. */
    const within = <T>(answer: Promise<T>, after: number, what: string): Promise<T> => {
        let timer: NodeJS.Timeout | undefined
        const late = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                child.kill("SIGKILL")
                reject(new Error(`the wake-up probe did not ${what} within ${after / 1000} s`))
            }, after)
        })
        return Promise.race([answer, exited, late]).finally(() => clearTimeout(timer))
    }
    await within(new Promise(resolve => child.once("message", resolve)), 30_000, "start")
    return {
        measure() {
            const result = new Promise<Wakeups>(resolve => child.once("message", m => resolve(m as Wakeups)))
            child.send("go")
            return within(result, ms + 30_000, "report")
        },
    }
}
