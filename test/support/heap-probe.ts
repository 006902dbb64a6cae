// The live heap of a Node process under test, without touching its code: started with
// heapProbeArgs() before its script and heapProbeEnv(file) as its environment, it runs a full garbage collection on SIGUSR2 and
// appends what is left to `file`; readLiveHeap() sends the signal and waits for the line.
// What survives a full collection is what the process keeps: a leak shows there at once,
// where RSS rises and falls with the collector's saw-tooth by tens of MB.
//
//   spawn(process.execPath, [...heapProbeArgs(), script, …], { env: heapProbeEnv(file) })
//   const { heapMb } = await readLiveHeap(child.pid, file)
import { existsSync, readFileSync } from "node:fs"
import { waitFor } from "./wait.js"

/** Loaded with --import as a data: URL, so the process needs no file of ours. */
const PROBE = [
    'import { appendFileSync } from "node:fs"',
    "const file = process.env.FIELDLINK_HEAP_PROBE",
    'process.on("SIGUSR2", () => {',
    "    globalThis.gc()",
    "    const m = process.memoryUsage()",
    "    appendFileSync(file, `${m.heapUsed} ${m.external} ${m.rss}\\n`)",
    "})",
].join("\n")

/** Node options that install the probe. */
export function heapProbeArgs(): string[] {
    return ["--expose-gc", `--import=data:text/javascript,${encodeURIComponent(PROBE)}`]
}

/** This process's environment plus where the probe writes. */
export function heapProbeEnv(file: string): NodeJS.ProcessEnv {
    return { ...process.env, FIELDLINK_HEAP_PROBE: file }
}

export interface LiveHeap {
    /** V8 heap in use after a full collection, MB. */
    heapMb: number
    /** Memory of buffers and other objects outside the V8 heap, MB. */
    externalMb: number
    /** RSS right after the collection, MB. */
    rssMb: number
}

const lines = (file: string) =>
    existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []

/** Asks process `pid` (started with the probe) for its live heap. */
export async function readLiveHeap(pid: number, file: string, timeoutMs = 10000): Promise<LiveHeap> {
    const before = lines(file).length
    process.kill(pid, "SIGUSR2")
    const line = await waitFor(() => lines(file)[before], {
        what: `the heap probe of process ${pid} to answer`,
        timeoutMs,
        intervalMs: 20,
    })
    const [heap, external, rss] = line.split(" ").map(n => Number(n) / 1024 / 1024)
    return { heapMb: heap, externalMb: external, rssMb: rss }
}
