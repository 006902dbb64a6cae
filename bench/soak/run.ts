/**
 * The gateway's long-life soak (issue 10): 16 pseudo-terminal devices at 100 lines/s each
 * for an hour, the broker restarted every 5 minutes, a device unplugged and replugged
 * every minute. Prints the gateway's RSS at start and end (and before every restart;
 * each read right after a full garbage collection, with the live heap), lines sent vs delivered per device (distinct `seq` at a subscriber), and the queue
 * files left; fails (exit 1) unless nothing is lost, every device's lines came in order,
 * no queue file is left and the RSS drift is under 10 %.
 *
 *   node --import tsx --conditions=source bench/run.ts soak [--minutes=60] [--devices=16]
 *        [--rate=100] [--restart-every=300] [--unplug-every=60] [--unplugged=5] [--dist]
 *
 * The gateway runs as shipped, as in the gateway bench (../gateway/gateway-under-test.ts):
 * the package's bundle with the systemd unit's environment; `--dist` runs the checkout's
 * compiled files with Node's defaults. The parts and what counts as sent:
 * test/support/soak.ts and serial-load.ts. Its two-minute version runs in CI:
 * test/gateway/soak.test.ts. `npm run build` first (`npm run bench` builds).
 */
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { runSoak } from "@fieldlink/test-support/soak"
import { gatewayUnderTest } from "../gateway/gateway-under-test.js"

const arg = (name: string, fallback: number) => {
    const value = process.argv.find(a => a.startsWith(`--${name}=`))?.split("=")[1]
    if (value === undefined) return fallback
    const n = Number(value)
    if (!(n > 0)) {
        console.error(`--${name}=${value}: expected a positive number`)
        process.exit(2)
    }
    return n
}
const RSS_DRIFT_TARGET = 0.1

const plan = {
    devices: arg("devices", 16),
    rate: arg("rate", 100),
    durationMs: arg("minutes", 60) * 60000,
    restartEveryMs: arg("restart-every", 300) * 1000,
    unplugEveryMs: arg("unplug-every", 60) * 1000,
    unpluggedMs: arg("unplugged", 5) * 1000,
}
const started = new Date()
const staging = mkdtempSync(path.join(os.tmpdir(), "fieldlink-soak-gateway-"))
const gateway = await gatewayUnderTest(staging, process.argv.includes("--dist"))
console.log(
    `soak: ${plan.devices} devices × ${plan.rate} lines/s for ${plan.durationMs / 60000} min; broker restarted every ${plan.restartEveryMs / 1000} s, a device unplugged every ${plan.unplugEveryMs / 1000} s for ${plan.unpluggedMs / 1000} s (started ${started.toISOString()}); ${gateway.description}`,
)
const figures = await runSoak({
    ...plan,
    gateway,
    probeHeap: true,
    progress: line => console.log(`  ${line}`),
}).finally(() => rmSync(staging, { recursive: true, force: true }))

const rows = [
    [
        "device",
        "sent",
        "not sent (unplugged)",
        "delivered",
        "lost",
        "duplicates",
        "out of order",
        "p50 ms",
        "p99 ms",
    ],
]
for (const d of figures.devices)
    rows.push([
        d.name,
        String(d.sent),
        String(d.notSent),
        String(d.distinct),
        String(d.lost),
        String(d.received - d.distinct),
        String(d.skips),
        d.p50.toFixed(1),
        d.p99.toFixed(1),
    ])
const sum = (f: (d: (typeof figures.devices)[number]) => number) =>
    figures.devices.reduce((a, d) => a + f(d), 0)
const lost = sum(d => d.lost)
const skips = sum(d => d.skips)
rows.push([
    "all",
    String(sum(d => d.sent)),
    String(sum(d => d.notSent)),
    String(sum(d => d.distinct)),
    String(lost),
    String(sum(d => d.received - d.distinct)),
    String(skips),
    "",
    "",
])
const widths = rows[0].map((_, i) => Math.max(...rows.map(r => r[i].length)))
console.log("\n" + rows.map(r => r.map((c, i) => c.padStart(widths[i])).join("  ")).join("\n"))

const unconfirmed = sum(d => d.unconfirmed)
console.log(`
elapsed ${figures.elapsedS.toFixed(0)} s; ${figures.restarts} broker restarts; ${figures.unplugs} unplugs; last lines delivered ${figures.drainS.toFixed(1)} s after the devices stopped
gateway RSS: start ${figures.rssStartMb.toFixed(1)} MB (before the first restart), end ${figures.rssEndMb.toFixed(1)} MB, drift ${(figures.rssDrift * 100).toFixed(1)} % (target < ${RSS_DRIFT_TARGET * 100} %), peak ${figures.peakRssMb.toFixed(1)} MB
RSS before each restart (MB): ${figures.rssMb.map(s => `${s.atS}s ${s.mb.toFixed(1)}`).join(", ")}
live heap at the same moments (MB): ${figures.heapMb.map(s => `${s.atS}s ${s.heapMb.toFixed(1)}`).join(", ")}
(each reading right after a full garbage collection in the gateway: node --expose-gc and a SIGUSR2 hook, test/support/heap-probe.ts)
queue files left after delivery and unplugging every device: ${figures.queueFiles.length}${figures.queueFiles.length ? ` (${figures.queueFiles.join(", ")})` : ""}
gateway: exit code ${figures.gatewayExitCode} after SIGTERM, ${figures.gatewayErrors.length} error log lines${figures.gatewayErrors.length ? `, first: ${figures.gatewayErrors[0]}` : ""}
sent = lines written into an open port (the gateway acknowledged each with "ok json" before a cable was pulled${unconfirmed ? `; ${unconfirmed} were not acknowledged in time and count as sent` : ""}); not sent = lines due while the cable was out, never written; delivered = distinct seq at a subscriber with a persistent QoS 1 session; duplicates = copies of a seq (at-least-once resends); out of order = a new seq that skipped ahead.`)

const failures = [
    lost > 0 && `${lost} lines lost`,
    skips > 0 && `${skips} lines out of order`,
    figures.queueFiles.length > 0 && `${figures.queueFiles.length} queue files left`,
    !(figures.rssDrift < RSS_DRIFT_TARGET) && `RSS drift ${(figures.rssDrift * 100).toFixed(1)} %`,
].filter(Boolean)
if (failures.length > 0) {
    console.log(`soak: target missed: ${failures.join("; ")}`)
    process.exitCode = 1
} else console.log("soak: targets met (0 lost, in order, no queue files left, RSS drift < 10 %)")
