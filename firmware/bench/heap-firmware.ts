/**
 * Bench only: the real fieldlink firmware (imported whole: its module starts it) plus the
 * heap probe, which starts once the firmware's offline queue must be full.
 *
 * Run it with the broker unreachable. The firmware samples every `interval_ms` and
 * queues each sample, so after the sensor wait (at most 2 s) and `queue_max` samples the
 * queue is full; the probe waits that long plus a few more samples.
 */
import { readSetting } from "@devicescript/settings"
import "../src/main.js"
import { probeHeap } from "./heap-probe.js"

const intervalMs = await readSetting("interval_ms", 10000)
const queueMax = await readSetting("queue_max", 32)
await probeHeap(2000 + (queueMax + 5) * intervalMs)
