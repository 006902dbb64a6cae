// The long-life soak (issue 10) in two minutes: the hour-long bench (bench/soak) compressed
// in time, same parts (test/support/soak.ts): 16 pseudo-terminal devices at 100 lines/s
// each through the compiled gateway, mosquitto restarted on its port every 30 s, a
// device's cable pulled for 3 s every 20 s, a subscriber with a persistent QoS 1
// session counting every device's `seq`s.
import test from "ava"
import { mosquittoAvailable } from "../support/mosquitto.js"
import { socatAvailable } from "../support/pty.js"
import { runSoak } from "../support/soak.js"
import { witnessAvailable } from "../support/witness.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway soak tests are skipped here", t => t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

const DEVICES = 16
const RATE = 100
const DURATION_MS = 120_000
const RESTART_EVERY_MS = 30_000
const UNPLUG_EVERY_MS = 20_000
/**
 * The memory bound: the gateway's live heap (what a full garbage collection leaves, read
 * through test/support/heap-probe.ts) at the end of the load may be at most
 * HEAP_GROWTH_MB above its reading at 30 s (after start-up, before the first restart).
 * Not RSS: over two minutes RSS swings with the collector's saw-tooth by 10-30 MB
 * whatever the gateway keeps, so a bound on it either fails without a leak or misses
 * one (a gateway altered to keep ~100 bytes of every line raised the RSS floor by 11 MB
 * in one run and 38 MB in another). And not the hour's target (drift < 10 %): a leak
 * that reaches it in an hour adds ~0.2 MB a minute. What two minutes catch is a leak per
 * line or per event: ~144,000 lines pass between the readings, and broker restarts and
 * unplugs repeat 3 and 5 times. Measured: without a leak the live heap stayed within
 * 0.4 MB (19.8, 20.2, 19.8, 19.9 MB at 30, 60, 90, 120 s); with the compiled gateway
 * altered to keep ~100 bytes of every line it grew 18.3 MB and this test failed. 4 MB
 * catches a leak of ~30 bytes a line, or ~1 MB per restart or unplug.
 */
const HEAP_GROWTH_MB = 4

brokerTest(
    "two minutes of 16 devices, broker restarts and unplugs: every line sent is delivered, in order, no queue file left, memory bounded",
    async t => {
        t.timeout(DURATION_MS + 240_000)
        const figures = await runSoak({
            devices: DEVICES,
            rate: RATE,
            durationMs: DURATION_MS,
            restartEveryMs: RESTART_EVERY_MS,
            unplugEveryMs: UNPLUG_EVERY_MS,
            unpluggedMs: 3000,
            scanIntervalMs: 500,
            probeHeap: true,
            progress: line => t.log(line),
        })
        t.teardown(() => {
            if (!t.passed) t.log(`the gateway's last log lines:\n${figures.gatewayLogTail.join("\n")}`)
        })
        const heap = figures.heapMb.map(h => `${h.atS}s ${h.heapMb.toFixed(1)}`).join(", ")
        const rss = figures.rssMb.map(r => `${r.atS}s ${r.mb.toFixed(1)}`).join(", ")
        t.log(
            `live heap ${heap} MB; RSS ${rss} MB; peak RSS ${figures.peakRssMb.toFixed(1)} MB; drain ${figures.drainS.toFixed(1)} s`,
        )
        t.is(figures.restarts, 3, "the broker was restarted at 30, 60 and 90 s")
        t.is(figures.unplugs, 5, "a device was unplugged at 20, 40, 60, 80 and 100 s")
        const unplugged = figures.devices.filter(d => d.notSent > 0).map(d => d.name)
        t.is(unplugged.length, 5, `devices whose cable was out: ${unplugged.join(", ")}`)
        for (const d of figures.devices) {
            // The load really flowed: at least half of what 2 minutes at 100 lines/s owe.
            t.true(d.sent >= (RATE * DURATION_MS) / 1000 / 2, `${d.name} sent only ${d.sent} lines`)
        }
        const lost = Object.fromEntries(figures.devices.map(d => [d.name, d.lost]))
        t.deepEqual(lost, Object.fromEntries(figures.devices.map(d => [d.name, 0])), "lines lost per device")
        const skips = Object.fromEntries(figures.devices.map(d => [d.name, d.skips]))
        t.deepEqual(
            skips,
            Object.fromEntries(figures.devices.map(d => [d.name, 0])),
            "new seqs that skipped ahead (out of order) per device",
        )
        t.deepEqual(figures.queueFiles, [], "queue files left once everything is delivered and unplugged")
        // A broker restarted every 30 s can look like a duplicate client id to the reconnect
        // policy (protocol/reconnect.ts): a connection made < 10 s before a restart begins a
        // run of clean closes, and two more restarts within 5 minutes complete it. The device
        // then retries every 30-60 s and its lines wait in the queue (none is lost: asserted
        // above). A known false positive of that heuristic, seen once (with a gateway slowed
        // by an injected leak): logged, not failed on. Any other error fails.
        const takeovers = figures.gatewayErrors.filter(l => l.includes('"reason":"takeover"'))
        if (takeovers.length > 0) t.log(`takeover suspected (broker restarts): ${takeovers.join("\n")}`)
        t.deepEqual(
            figures.gatewayErrors.filter(l => !takeovers.includes(l)),
            [],
            "gateway error log lines",
        )
        t.is(figures.gatewayExitCode, 0, "the gateway exits 0 on SIGTERM")
        const growth = figures.heapMb.at(-1)!.heapMb - figures.heapMb[0].heapMb
        t.true(
            growth <= HEAP_GROWTH_MB,
            `the gateway's live heap grew ${growth.toFixed(1)} MB (${heap}), bound ${HEAP_GROWTH_MB} MB`,
        )
    },
)
