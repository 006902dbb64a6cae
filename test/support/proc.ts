/**
 * CPU time of the whole machine and CPU time and memory of single processes (a broker, a
 * bridge, a gateway), from Linux's /proc, for the benches and the long-life tests. A
 * bench runs beside whatever else the machine does; the machine's busy share over the
 * window tells a reader whether what was measured had the cores to itself, and steal
 * whether the hypervisor gave them to other guests. Elsewhere the CPU figures read as NaN.
 */
import { readFileSync } from "node:fs"

/** Clock ticks per second of /proc's figures (USER_HZ; 100 on every Linux build in use). */
const CLK_TCK = 100

export interface MachineTimes {
    /** Seconds the CPUs were busy (not idle, not waiting for I/O), summed over cores. */
    busy: number
    /** Seconds of every state, summed over cores. */
    total: number
    /** Of `busy`: seconds a virtual CPU wanted to run while the hypervisor ran another guest. */
    steal: number
}

export function machineTimes(): MachineTimes {
    try {
        const line = readFileSync("/proc/stat", "utf8").split("\n")[0]
        const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number)
        const total = ticks.reduce((a, b) => a + b, 0)
        // idle and iowait are the 4th and 5th.
        const busy = total - ticks[3] - ticks[4]
        return { busy: busy / CLK_TCK, total: total / CLK_TCK, steal: ticks[7] / CLK_TCK }
    } catch {
        return { busy: NaN, total: NaN, steal: NaN }
    }
}

/** Busy share of the machine between two readings, in % of all its cores. */
export function busyPercent(a: MachineTimes, b: MachineTimes): number {
    return (100 * (b.busy - a.busy)) / (b.total - a.total)
}

/** CPU seconds (user + system) a process has used, or NaN when it cannot be read. */
export function processCpuSeconds(pid: number | undefined): number {
    if (pid === undefined) return NaN
    try {
        // The command name may hold spaces and parentheses: count fields after its ")".
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
        return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
    } catch {
        return NaN
    }
}

export interface ProcessMemory {
    /** Resident memory now, MB (VmRSS). */
    rssMb: number
    /** The most it has been resident since it started, MB (VmHWM). */
    peakMb: number
    /**
     * Of `rssMb`, the private part (RssAnon): the heap and all else the process allocated.
     * The rest is the files it maps, mostly Node's own code (~43 MB for any Node program
     * under load here), shared by every Node process and dropped by the kernel when short.
     */
    anonMb: number
}

/** Memory of process `pid`; throws, naming `what`, when the process is gone. */
export function processMemory(pid: number, what = "the process"): ProcessMemory {
    let status: string
    try {
        status = readFileSync(`/proc/${pid}/status`, "utf8")
    } catch {
        throw new Error(`${what} (pid ${pid}) is not running any more: see its log`)
    }
    const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024
    return { rssMb: mb("VmRSS"), peakMb: mb("VmHWM"), anonMb: mb("RssAnon") }
}

/**
 * Reads the private memory (`anonMb`) of process `pid` every `everyMs` until the returned
 * function is called, which returns the most seen (NaN if never read). The kernel keeps a
 * peak for RSS as a whole (VmHWM), not for this part.
 */
export function samplePeakAnon(pid: number, everyMs = 20): () => number {
    let peak = NaN
    const read = () => {
        try {
            const anon = processMemory(pid).anonMb
            if (!(anon <= peak)) peak = anon
        } catch {
            // gone: the peak so far stands
        }
    }
    read()
    const timer = setInterval(read, everyMs)
    return () => {
        clearInterval(timer)
        read()
        return peak
    }
}
