/**
 * How late this machine wakes a thread that sleeps 1 ms: `Atomics.wait` with a 1 ms
 * timeout (a futex wait, no event loop in between), again and again for the given time;
 * sends the median and 99th percentile of the lateness to its parent and exits. What a
 * bridge's latency is built from: every hop between processes is such a wake-up.
 *
 *   forked with: <duration ms>
 */
import { percentile } from "@fieldlink/test-support/stats"

const durationMs = Number(process.argv[2])
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
