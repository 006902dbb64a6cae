/**
 * What the machine did during a case, read from /proc: a process's CPU time and peak RSS,
 * and the cores' own account (how much the other processes used, and how much the
 * hypervisor took: steal), plus a probe of how late a timed wait wakes. On a shared
 * virtual machine these bound what any bridge can show, so the bench prints them beside
 * its figures instead of leaving a reader to guess.
 */
import { fork } from "node:child_process"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { tieToParent } from "@fieldlink/test-support/cleanup"

/** Kernel clock ticks a second (USER_HZ): 100 on every Linux this runs on. */
const CLK_TCK = 100

/** User + system CPU seconds of process `pid` so far. */
export function processCpuSeconds(pid: number): number {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

/** Peak resident memory of process `pid`, MB (VmHWM). */
export function peakRssMb(pid: number): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m ? Number(m[1]) / 1024 : 0
}

/** The cores' time so far, seconds summed over cores (/proc/stat's first line). */
export interface CpuTimes {
    /** Running anything: user, nice, system, irq, softirq. */
    busy: number
    /** Wanting to run while the hypervisor ran someone else's virtual CPU. */
    steal: number
    /** Everything, idle and waiting for I/O included. */
    all: number
}

export function cpuTimes(): CpuTimes {
    const [user, nice, system, idle, iowait, irq, softirq, steal] = readFileSync("/proc/stat", "utf8")
        .split("\n")[0]
        .split(/\s+/)
        .slice(1, 9)
        .map(n => Number(n) / CLK_TCK)
    const busy = user + nice + system + irq + softirq
    return { busy, steal, all: busy + idle + iowait + steal }
}

/** Steal as a share of the cores' time between two readings, %. */
export function stealPercent(from: CpuTimes, to: CpuTimes): number {
    return (100 * (to.steal - from.steal)) / Math.max(1e-9, to.all - from.all)
}

/** Cores kept busy between two readings (1 = one core all the time). */
export function busyCores(from: CpuTimes, to: CpuTimes, seconds: number): number {
    return (to.busy - from.busy) / seconds
}

export interface Wakeups {
    /** How late a 1 ms timed wait woke, ms: median and 99th percentile. */
    p50: number
    p99: number
}

const PROBE = fileURLToPath(new URL("./wakeup-probe.ts", import.meta.url))

/**
 * Runs the wake-up probe (wakeup-probe.ts) in a process of its own for `ms`: how late a
 * thread that asks to sleep 1 ms wakes up, while the case runs beside it. No latency
 * through the cores can be below what a single wake-up takes.
 */
export function probeWakeups(ms: number): Promise<Wakeups> {
    const child = fork(PROBE, [String(ms)], {
        execArgv: ["--import=tsx", "--conditions=source"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    })
    tieToParent(child)
    return new Promise((resolve, reject) => {
        child.once("message", m => resolve(m as Wakeups))
        child.once("exit", code => reject(new Error(`the wake-up probe exited (${code}) without a result`)))
    })
}
