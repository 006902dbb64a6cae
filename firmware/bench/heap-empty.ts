/**
 * Bench only: the heap probe alone — the baseline headroom of an empty program in the
 * same runtime, against which the firmware's footprint is measured.
 */
import { probeHeap } from "./heap-probe.js"

await probeHeap(1000)
