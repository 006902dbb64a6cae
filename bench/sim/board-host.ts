/**
 * The board host: a child process that runs N simulated boards (the real firmware in
 * the DeviceScript VM) against the bench's broker, and measures itself over the window
 * the parent marks with "begin" and "end". Started by ./rung.ts, never by hand.
 *
 * It dies with its parent: a lost IPC channel, SIGINT (Ctrl-C reaches the whole process
 * group) and SIGTERM all end it at once. Its boards' sockets close with the process, as
 * a power cut would.
 */
import { writeFileSync } from "node:fs"
import { Session } from "node:inspector/promises"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { buildFirmware } from "@fieldlink/devs-host/firmware"
import { Fleet, uniformBoards } from "@fieldlink/sim/fleet"
import { loadVmFactory } from "@fieldlink/devs-host/bundle"
import {
    type BenchMessage,
    BOARD_PREFIX,
    HOST_CONFIG_ENV,
    type HostConfig,
    type HostMessage,
} from "./protocol.js"

const NS_PER_MS = 1e6

/** RSS after a full collection (the host runs with --expose-gc), so garbage is not counted as boards. */
function settledRss(): number {
    const gc = (globalThis as { gc?: () => void }).gc
    gc?.()
    return process.memoryUsage.rss()
}
/** Fine enough to see a 10 ms VM step running late, cheap enough not to load the loop. */
const LOOP_RESOLUTION_MS = 5

function send(message: HostMessage): void {
    process.send?.(message)
}

function readConfig(): HostConfig {
    const text = process.env[HOST_CONFIG_ENV]
    if (!text)
        throw new Error(
            `The board host needs its configuration in ${HOST_CONFIG_ENV}; it is started by the sim bench.`,
        )
    return JSON.parse(text) as HostConfig
}

let fleet: Fleet | undefined
let exiting = false

async function exit(code: number): Promise<void> {
    if (exiting) return
    exiting = true
    // Bounded: the process ends anyway, and its sockets with it.
    await Promise.race([fleet?.kill(), new Promise(resolve => setTimeout(resolve, 2000).unref())])
    process.exit(code)
}

process.once("SIGINT", () => void exit(130))
process.once("SIGTERM", () => void exit(143))
process.once("disconnect", () => void exit(1))

async function main(): Promise<void> {
    const config = readConfig()
    const { bytecode } = await buildFirmware()
    // The VM module (a 28 MB bundle read once per process) is not a cost of any board.
    loadVmFactory()
    send({ type: "loaded" })

    let errors = 0
    let firstError: string | undefined
    const started = performance.now()
    const startCpu = process.cpuUsage()
    fleet = await Fleet.start({
        broker: new URL(config.brokerUrl),
        topicRoot: config.topicRoot,
        seed: config.seed,
        program: bytecode,
        boards: uniformBoards(config.boards, BOARD_PREFIX, config.keepAliveSeconds, config.intervalMs),
        startConcurrency: config.startConcurrency,
        onError: (deviceId, error) => {
            errors++
            firstError ??= `${deviceId}: ${error.message}`
        },
    })
    const startupMs = performance.now() - started
    const { user, system } = process.cpuUsage(startCpu)
    send({ type: "started", startupMs, startupCpuUs: user + system, rssBytes: settledRss() })

    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
    const profiler = config.profileFile ? new Session() : undefined
    let begin: { at: number; cpu: NodeJS.CpuUsage } | undefined
    process.on("message", async (message: BenchMessage) => {
        if (message.type === "begin") {
            if (profiler) {
                // Only the window: start-up would otherwise dominate the profile.
                profiler.connect()
                await profiler.post("Profiler.enable")
                await profiler.post("Profiler.start")
            }
            loop.reset()
            loop.enable()
            begin = { at: performance.now(), cpu: process.cpuUsage() }
        } else if (message.type === "end" && begin) {
            const cpu = process.cpuUsage(begin.cpu)
            loop.disable()
            if (profiler && config.profileFile) {
                const { profile } = await profiler.post("Profiler.stop")
                writeFileSync(config.profileFile, JSON.stringify(profile))
                profiler.disconnect()
            }
            send({
                type: "window",
                figures: {
                    wallMs: performance.now() - begin.at,
                    userUs: cpu.user,
                    systemUs: cpu.system,
                    loopP50Ms: loop.percentile(50) / NS_PER_MS,
                    loopP99Ms: loop.percentile(99) / NS_PER_MS,
                    loopMaxMs: loop.max / NS_PER_MS,
                    rssBytes: settledRss(),
                    errors,
                    firstError,
                },
            })
        } else if (message.type === "stop") {
            void exit(0)
        }
    })
}

main().catch((error: unknown) => {
    const message: HostMessage = { type: "failed", message: (error as Error).message ?? String(error) }
    // Exit only once the message is out, or the parent would see a bare exit code.
    if (process.send) process.send(message, () => void exit(1))
    else void exit(1)
})
