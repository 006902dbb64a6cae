/**
 * Heap headroom of the real firmware while its offline queue is full.
 *
 * Each program runs in its own VM with the broker unreachable (a port nothing listens
 * on), so the firmware keeps failing to connect and queues every sample. The heap
 * probe (firmware/bench/heap-probe.ts) then allocates until the heap runs out, which is
 * the only moment the runtime reports its heap. The probe's own buffers are taken off
 * the runtime's "used" figure; what is left is compared with the same figure for an
 * empty program, so that the probe's fixed holder and the runtime's own objects cancel.
 */
import { simBoardSettings } from "@fieldlink/sim/board-settings"
import type { BoardSettings } from "@fieldlink/devs-host"
import { freePort } from "@fieldlink/test-support/wait"
import { runBoard } from "./board-run.js"
import { readHeapReport, type HeapReport } from "./heap.js"
import { kbRow, row, vs, type Row, type Section } from "./table.js"

/** The budget the firmware must fit (issue: 64 KB in all, 40 KB on the ESP32-S2). */
const ESP32_HEAP_BYTES = 64 * 1024
const ESP32_S2_HEAP_BYTES = 40 * 1024
const INTERVAL_MS = 200
const QUEUES = [32, 128] as const

export interface HeapPrograms {
    /** firmware/bench/heap-empty.ts */
    empty: Uint8Array
    /** firmware/bench/heap-firmware.ts */
    firmware: Uint8Array
}

/** Runs one probe program until the heap runs out; returns its VM log. */
async function probe(
    id: string,
    program: Uint8Array,
    settings: BoardSettings,
    timeoutMs: number,
    signal: AbortSignal,
): Promise<string[]> {
    const run = await runBoard({
        deviceId: id,
        program,
        settings,
        until: s => s.panicked,
        stopOnPanic: true,
        timeoutMs,
        signal,
    })
    if (!run.panicked) {
        const tail = run.lines.slice(-5).join("\n")
        throw new Error(
            `Heap probe ${id}: the heap did not run out within ${timeoutMs / 1000} s. Last lines:\n${tail}`,
        )
    }
    return run.lines
}

function reported(report: HeapReport | undefined, what: string): HeapReport {
    if (report) return report
    throw new Error(
        `Heap probe (${what}): the VM panicked without printing its heap statistics ("stats: … B used, … B free").`,
    )
}

export async function heapBench(programs: HeapPrograms, signal: AbortSignal): Promise<Section> {
    // Nothing listens there: every connect fails at once with ECONNREFUSED.
    const deadBroker = new URL(`mqtt://127.0.0.1:${await freePort()}`)
    const firmwareSettings = (id: string, queueMax: number) =>
        simBoardSettings({
            deviceId: id,
            broker: deadBroker,
            topicRoot: "fieldlink",
            keepAliveSeconds: 60,
            intervalMs: INTERVAL_MS,
            queueMax,
            randomSeed: 1,
        })
    // The probe waits 2 s + (queue_max + 5) intervals, then fills the heap in a few seconds.
    const timeoutFor = (queueMax: number) => 2000 + (queueMax + 5) * INTERVAL_MS + 30_000
    const results = await Promise.allSettled([
        probe("h0", programs.empty, {}, 30_000, signal),
        ...QUEUES.map((q, i) => {
            const id = `h${i + 1}`
            return probe(id, programs.firmware, firmwareSettings(id, q), timeoutFor(q), signal)
        }),
    ])
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected")
    if (failed) throw failed.reason
    const [emptyLines, ...firmwareLines] = results.map(r => (r as PromiseFulfilledResult<string[]>).value)

    const empty = reported(readHeapReport(emptyLines), "empty program")
    // In the empty program the probe's allocation is surely the one that failed: its size is the probe's step.
    const step = empty.failedAllocBytes
    const full = firmwareLines.map((lines, i) =>
        reported(readHeapReport(lines, step), `firmware, queue ${QUEUES[i]}`),
    )
    const footprint = full.map(r => r.liveBytes - empty.liveBytes)
    const perSample = (footprint[1] - footprint[0]) / (QUEUES[1] - QUEUES[0])

    const rows: Row[] = [
        kbRow(
            "VM heap (the runtime's count at OOM: used + free)",
            empty.heapBytes,
            "measured",
            vs(empty.heapBytes, ESP32_HEAP_BYTES, "64 KB"),
        ),
        kbRow("live heap of an empty program (probe's holder incl.)", empty.liveBytes, "measured"),
        ...QUEUES.map((q, i) =>
            kbRow(
                `firmware live heap, offline, queue ${q}/${q} full`,
                footprint[i],
                "measured",
                vs(footprint[i], ESP32_HEAP_BYTES, "64 KB"),
            ),
        ),
        row(
            `heap per queued sample (queue ${QUEUES[1]} vs ${QUEUES[0]})`,
            Math.round(perSample),
            "B",
            "measured",
        ),
        ...QUEUES.map((q, i) => {
            const free = full[i].heapBytes - full[i].liveBytes
            return kbRow(
                `free heap in the VM, queue ${q} full`,
                free,
                "measured",
                vs(free, full[i].heapBytes, "heap"),
            )
        }),
        ...QUEUES.map((q, i) => {
            const left = ESP32_S2_HEAP_BYTES - full[i].liveBytes
            return kbRow(
                `headroom on a 40 KB heap (ESP32-S2), queue ${q} full`,
                left,
                "computed",
                vs(left, ESP32_S2_HEAP_BYTES, "40 KB"),
            )
        }),
    ]
    const notes = [
        `firmware live heap = (the runtime's "used" at OOM − probe buffers × ${step} B) − the same for an empty ` +
            `program; the probe starts once ${QUEUES.join(" / ")} samples must be queued`,
        ...QUEUES.map(
            (q, i) =>
                `queue ${q}: at OOM ${full[i].freeBytes} B were still free, in blocks of at most ` +
                `${full[i].maxFreeBlockBytes} B (fragmented): the probe got ${full[i].probeChunks} × ${step} B`,
        ),
        "free heap and headroom count the probe's fixed holder as used, so they are slight underestimates",
        "headroom on 40 KB = 40 KB − the live heap measured in the VM (32-bit like the ESP32, so object sizes match); " +
            "what the ESP32 port's own drivers keep in that heap is not measured here",
    ]
    return { title: "Heap headroom with a full offline queue (broker unreachable)", rows, notes }
}
