// The long-life soak (issue 10) in two minutes: the hour-long bench (bench/soak) compressed
// in time, same parts (test/support/soak.ts): 16 pseudo-terminal devices at 100 lines/s
// each through the compiled gateway, mosquitto restarted on its port every 30 s, a
// device's cable pulled for 3 s every 20 s, a mosquitto_sub with a persistent QoS 1
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
 * RSS growth allowed from the reading before the second restart (60 s) to the end of the
 * load (120 s). The first 30 s are start-up: RSS peaks there (~145 MB) and the garbage
 * collector gives ~20 MB back, so a base taken then would hide a leak. Over one minute
 * the hour's target (drift < 10 %) cannot be seen: a leak that reaches it in an hour adds
 * about 0.2 MB here, inside the collector's own swing. What a minute can catch is a leak
 * per line or per event: between the two readings ~96,000 lines pass, so keeping 100
 * bytes of each (a retained payload, a closure per publish) adds ~9.6 MB, and a broker
 * restart and three unplugs happen. Without a leak the readings at 60, 90 and 120 s
 * were within 0.5 MB of each other; with the compiled gateway altered to keep ~100 bytes
 * of every line, RSS grew 10.5 MB and this test failed.
 */
const RSS_FROM_MS = 60_000
const RSS_GROWTH_MB = 8

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
            rssFromMs: RSS_FROM_MS,
            progress: line => t.log(line),
        })
        t.log(
            `RSS ${figures.rssMb.map(s => `${s.atS}s ${s.mb.toFixed(1)}`).join(", ")} MB; peak ${figures.peakRssMb.toFixed(1)} MB; drain ${figures.drainS.toFixed(1)} s`,
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
        t.deepEqual(figures.gatewayErrors, [], "gateway error log lines")
        t.is(figures.gatewayExitCode, 0, "the gateway exits 0 on SIGTERM")
        const growth = figures.rssEndMb - figures.rssStartMb
        t.true(
            growth <= RSS_GROWTH_MB,
            `gateway RSS grew ${growth.toFixed(1)} MB (${figures.rssStartMb.toFixed(1)} → ${figures.rssEndMb.toFixed(1)}), bound ${RSS_GROWTH_MB} MB`,
        )
    },
)
