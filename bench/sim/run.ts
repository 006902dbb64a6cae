/**
 * Bench "sim": how many simulated boards one machine runs. For each N of a ladder it
 * starts N boards (the real firmware, one DeviceScript VM each, a sample every second)
 * in a board host process of their own, spread over its worker threads (one per core, as
 * `fieldlink sim` does; --workers=N), lets them settle, and measures one window:
 * messages/s at a subscriber against N/s, the boards that delivered every sample, the
 * sample period the subscriber saw, the host's CPU, RSS and event-loop delay, and the
 * start-up time. It stops climbing when the machine clearly cannot keep up or the time
 * budget would run out.
 *
 *   node --import tsx --conditions=source bench/run.ts sim [--quick] [--ladder=10,50,100] [--window=20]
 *       [--settle=5] [--budget=900] [--workers=2] [--embedded] [--profile=100 [--keep-profile]]
 *
 * `--profile=N` runs one rung of N boards with the V8 sampling profiler over the window
 * and prints where the host's time went.
 */
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { buildFirmware } from "@fieldlink/devs-host/firmware"
import { startSimBenchBroker } from "./broker.js"
import { busyPercent, machineTimes } from "@fieldlink/test-support/proc"
import { parseOptions, type SimBenchOptions } from "./options.js"
import { readProfile, renderProfile, summariseProfile } from "./profile.js"
import { type RungResult, runRung } from "./rung.js"
import { hostCorePercent, keptUp, PERIOD_TOLERANCE, renderLadder } from "./table.js"

/** A board's keep-alive: long enough that only telemetry and rare pings cross the wire. */
const KEEP_ALIVE_SECONDS = 60
/** Start-up cost per board assumed before the first rung has measured it. */
const GUESS_STARTUP_MS_PER_BOARD = 150
/** Past these, the machine clearly cannot keep up: climbing further only measures overload. */
const BACKGROUND_SAMPLE_MS = 2000
const GIVE_UP_COMPLETE_SHARE = 0.9
const GIVE_UP_PERIOD_STRETCH = 0.1
/** Each worker is one event loop: one core each is their ceiling, and the machine's cores are. */
const GIVE_UP_CORE_SHARE = 0.95

const abort = new AbortController()
process.once("SIGINT", () => abort.abort(new Error("interrupted")))
process.once("SIGTERM", () => abort.abort(new Error("terminated")))

function estimateMs(boards: number, msPerBoard: number, o: SimBenchOptions): number {
    return boards * msPerBoard * 1.5 + o.settleMs + o.windowMs + 5000
}

function whyStop(r: RungResult, cores: number): string | undefined {
    if (r.delivery.complete < GIVE_UP_COMPLETE_SHARE * r.boards) {
        return `only ${r.delivery.complete} of ${r.boards} boards delivered every sample`
    }
    if (r.delivery.periodMeanMs > r.intervalMs * (1 + GIVE_UP_PERIOD_STRETCH)) {
        return `the boards' mean sample period was ${r.delivery.periodMeanMs.toFixed(0)} ms for a ${r.intervalMs} ms interval`
    }
    const core = hostCorePercent(r)
    const ceiling = 100 * Math.min(r.host.workers, cores)
    if (core >= GIVE_UP_CORE_SHARE * ceiling)
        return `the board host used ${core.toFixed(0)}% of a core, of the ${ceiling}% its ${r.host.workers} worker(s) on ${cores} cores can use`
    return undefined
}

function summary(rungs: readonly RungResult[], cores: number, o: SimBenchOptions): string[] {
    const met = rungs.filter(keptUp)
    const best = met.at(-1)
    const lines = [
        `machine: ${cores} cores (${os.cpus()[0]?.model ?? "unknown CPU"}), Node ${process.version}`,
    ]
    if (!best) return [...lines, 'no rung met "every board delivered every sample at 1/s"']
    const used = hostCorePercent(best) / 100
    lines.push(
        `largest N that met "every board delivered every sample at ${1000 / o.intervalMs}/s": ${best.boards} boards, ` +
            `${((best.delivery.received * 1000) / best.windowMs).toFixed(1)} msg/s (measured)`,
        `boards per core, measured: ${(best.boards / cores).toFixed(1)} (${best.boards} boards on ${cores} cores, beside the broker)`,
        `boards per core, computed: ${(best.boards / used).toFixed(0)} (${best.boards} boards used ${(used * 100).toFixed(1)}% of one core; ` +
            "assumes cost grows linearly with N)",
    )
    return lines
}

async function main(): Promise<void> {
    const o = parseOptions(process.argv.slice(2))
    const began = Date.now()
    const cores = os.availableParallelism()
    console.log("building the firmware (cached) ...")
    await buildFirmware()
    // Other work on the machine shares its cores with the boards: say how much there was.
    const idleFrom = machineTimes()
    await new Promise(resolve => setTimeout(resolve, BACKGROUND_SAMPLE_MS))
    console.log(
        `machine busy before the bench (other processes): ${busyPercent(idleFrom, machineTimes()).toFixed(0)}% of ${cores} cores, load average ${os
            .loadavg()
            .map(l => l.toFixed(1))
            .join(" ")}`,
    )
    const broker = await startSimBenchBroker({ embedded: o.embedded })
    if (broker.fallbackReason) console.log(`not using mosquitto (${broker.fallbackReason})`)
    console.log(`broker: ${broker.name}`)
    const ladder = o.profile ? [o.profile] : o.ladder
    const profileDir = o.profile ? mkdtempSync(path.join(os.tmpdir(), "fieldlink-bench-sim-")) : undefined
    const rungs: RungResult[] = []
    let stopped: string | undefined
    try {
        for (const boards of ladder) {
            const last = rungs.at(-1)
            const msPerBoard = last ? last.startupMs / last.boards : GUESS_STARTUP_MS_PER_BOARD
            if (Date.now() - began + estimateMs(boards, msPerBoard, o) > o.budgetMs) {
                stopped = `${boards} boards would end past the ${o.budgetMs / 1000} s budget (--budget=S)`
                break
            }
            console.log(
                `${boards} boards: starting, settling ${o.settleMs / 1000} s, measuring ${o.windowMs / 1000} s ...`,
            )
            let result: RungResult
            try {
                result = await runRung({
                    boards,
                    brokerUrl: broker.url,
                    brokerPid: broker.pid(),
                    intervalMs: o.intervalMs,
                    keepAliveSeconds: KEEP_ALIVE_SECONDS,
                    settleMs: o.settleMs,
                    windowMs: o.windowMs,
                    seed: o.seed,
                    startConcurrency: o.startConcurrency,
                    workers: o.workers,
                    profileDir,
                    signal: abort.signal,
                })
            } catch (error) {
                if (abort.signal.aborted) throw error
                // A rung that cannot even start is the machine's answer too.
                stopped = `${boards} boards failed: ${(error as Error).message}`
                break
            }
            rungs.push(result)
            if (result.host.errors > 0)
                console.log(`  ${result.host.errors} board errors, first: ${result.host.firstError}`)
            if (result.delivery.example) console.log(`  not complete, e.g. ${result.delivery.example}`)
            stopped = whyStop(result, cores)
            if (stopped) break
        }
    } finally {
        await broker.stop()
        if (profileDir && abort.signal.aborted) rmSync(profileDir, { recursive: true, force: true })
    }
    console.log("")
    console.log(renderLadder(rungs, cores))
    console.log("")
    for (const line of summary(rungs, cores, o)) console.log(line)
    if (stopped) console.log(`stopped climbing: ${stopped}`)
    console.log(
        `notes: boards send a sample every ${o.intervalMs} ms with keep-alive ${KEEP_ALIVE_SECONDS} s; ` +
            `${o.workers} worker thread(s) (--workers=N), ${o.startConcurrency} boards start at once in each (--concurrency=N). ` +
            `Window ${o.windowMs / 1000} s after ${o.settleMs / 1000} s of settling. "complete" = no seq gap ` +
            "(counting from the sample before the window) and at least window/interval - 1 samples; " +
            `"met" = every board complete and the mean period (time per seq step) within ${PERIOD_TOLERANCE * 100}% of the interval. ` +
            "CPU and RSS are the board host's alone (all its threads); loop delay is the worst worker's; load avg is the machine's 1-minute figure at the window's end; " +
            "MB/board is the RSS growth from the first rung, per board added. " +
            "Ratios compare with the first rung of this run.",
    )
    if (profileDir) {
        console.log("")
        console.log(
            `profile of the board host over the window, ${ladder[0]} boards (figures above are under the profiler):`,
        )
        try {
            const window = rungs[0]?.host
            const cpuMs = window ? (window.userUs + window.systemUs) / 1000 : NaN
            const files = rungs[0]?.host.profiles ?? []
            console.log(renderProfile(summariseProfile(files.map(readProfile)), cpuMs))
        } finally {
            // Kept, the files open in a browser's developer tools (Performance, Load profile).
            if (o.keepProfile) console.log(`profiles kept in ${profileDir}`)
            else rmSync(profileDir, { recursive: true, force: true })
        }
    }
}

main().catch((error: unknown) => {
    console.error(
        abort.signal.aborted ? "interrupted: everything started was stopped" : (error as Error).stack,
    )
    process.exitCode = 1
})
