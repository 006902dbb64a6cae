/**
 * Pure reading of what firmware/bench/heap-probe.ts makes the DeviceScript runtime print
 * when the heap runs out:
 *
 *     heap-probe: held 82                                         (the probe, last line)
 *     stats: 339 objects, 54592 B used, 10932 B free (512 B max block)   (the runtime)
 *     devs: OOM (524 bytes)                                       (the runtime)
 *
 * The runtime's counts come after a full collection, so "used" is live data only.
 */

export interface HeapReport {
    /** The GC heap's size: used + free. */
    heapBytes: number
    usedBytes: number
    freeBytes: number
    maxFreeBlockBytes: number
    /** The allocation that failed, header included. */
    failedAllocBytes: number
    /** Probe buffers held when the heap ran out. */
    probeChunks: number
    /** `usedBytes` less the probe's buffers: what the program (and the probe's fixed holder) keeps alive. */
    liveBytes: number
}

const STATS = /stats: (\d+) objects, (\d+) B used, (\d+) B free \((\d+) B max block\)/
const OOM = /devs: OOM \((\d+) bytes\)/
const HELD = /heap-probe: held (\d+)/

/**
 * Reads the lines of one probe run; undefined until the runtime has reported an OOM.
 * `probeBufferBytes` is what one probe buffer costs the heap, header included: the size
 * the runtime names in its OOM line when the probe's allocation is the one that failed.
 */
export function readHeapReport(lines: readonly string[], probeBufferBytes?: number): HeapReport | undefined {
    let stats: RegExpExecArray | null = null
    let oom: RegExpExecArray | null = null
    let held = 0
    for (const line of lines) {
        const h = HELD.exec(line)
        // Probe lines after the OOM belong to the program's restart.
        if (h && !oom) held = Number(h[1])
        stats ??= STATS.exec(line)
        oom ??= OOM.exec(line)
    }
    if (!stats || !oom) return undefined
    const used = Number(stats[2])
    const failed = Number(oom[1])
    const chunk = probeBufferBytes ?? failed
    return {
        heapBytes: used + Number(stats[3]),
        usedBytes: used,
        freeBytes: Number(stats[3]),
        maxFreeBlockBytes: Number(stats[4]),
        failedAllocBytes: failed,
        probeChunks: held,
        liveBytes: used - held * chunk,
    }
}
