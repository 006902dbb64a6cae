/**
 * Bench only: measures a program's live heap the one way the DeviceScript runtime allows.
 * It has no heap API; it prints its heap statistics only when an allocation fails:
 *
 *     stats: N objects, U B used, F B free (M B max block)
 *     devs: OOM (S bytes)
 *
 * (after a full GC, so U counts live objects only), then panics. So the probe holds on
 * to fixed-size buffers, logging how many it holds after each one, until the heap runs
 * out. Its own cost is then known exactly: `held` buffers of S bytes each (S as the OOM
 * line says, header included) plus the holder below, which is the same in every run.
 * The bench subtracts it from U to get the heap the program itself keeps alive.
 */
import * as ds from "@devicescript/core"

/** Payload of one probe step; small, so that a fragmented heap still takes most of them. */
export const PROBE_CHUNK_BYTES = 512
/** More steps than a 64 KB heap can hold. */
const MAX_STEPS = 160

export async function probeHeap(delayMs: number): Promise<void> {
    console.log("heap-probe: waiting " + delayMs + " ms")
    await ds.sleep(delayMs)
    // Filled up front: an array that grew with the probe would reallocate as it grows,
    // so the probe's own cost would depend on how far it got. (Not `held.length = n`:
    // the 2.16.4 runtime then fails a GC assertion, mark_ptr in gc_alloc.c.)
    const held: Buffer[] = []
    for (let i = 0; i < MAX_STEPS; i++) held.push(null)
    console.log("heap-probe: start, chunk " + PROBE_CHUNK_BYTES)
    for (let i = 0; i < MAX_STEPS; i++) {
        held[i] = Buffer.alloc(PROBE_CHUNK_BYTES)
        console.log("heap-probe: held " + (i + 1))
        // Yield, so the program under test keeps running while its headroom shrinks.
        await ds.sleep(1)
    }
    console.log("heap-probe: the heap did not run out")
}
