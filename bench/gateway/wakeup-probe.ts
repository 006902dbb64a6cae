/**
 * How late this machine wakes a thread that sleeps 1 ms: `Atomics.wait` with a 1 ms
 * timeout (a futex wait, no event loop in between), again and again for the given time;
 * sends the median and 99th percentile of the lateness to its parent and exits. What a
 * bridge's latency is built from: every hop between processes is such a wake-up.
 *
 * It says `ready` once loaded and measures only when the parent says so: starting a Node
 * process takes a core for a few hundred milliseconds here, and a probe started with the
 * run it watches set that run's p99 for every bridge.
 *
 *   forked with: <duration ms>
 */
import { percentile } from "@fieldlink/test-support/stats"

const durationMs = Number(process.argv[2])

function measure(): void {
    const cell = new Int32Array(new SharedArrayBuffer(4))
    const lateness: number[] = []
    const end = performance.now() + durationMs
    while (performance.now() < end) {
        const t = performance.now()
        Atomics.wait(cell, 0, 0, 1)
        lateness.push(performance.now() - t - 1)
    }
    const sorted = Float64Array.from(lateness).sort()
    process.send!({ p50: percentile(sorted, 50), p99: percentile(sorted, 99) }, () => process.exit(0))
}

process.once("message", measure)
process.send!("ready")
