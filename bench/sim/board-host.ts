/**
 * The board host: a child process that runs N simulated boards (the real firmware in
 * the DeviceScript VM) spread over worker threads, as `fieldlink sim --workers` does,
 * against the bench's broker, and measures itself over the window the parent marks with
 * "begin" and "end". Started by ./rung.ts, never by hand.
 *
 * CPU time and RSS are the whole process's (every thread); the event-loop delay is each
 * worker's own, and the worst worker's is reported.
 *
 * It dies with its parent: a lost IPC channel, SIGINT (Ctrl-C reaches the whole process
 * group) and SIGTERM all end it at once. Its boards' sockets close with the process, as
 * a power cut would.
 */
import path from "node:path"
import { buildFirmware } from "@fieldlink/devs-host/firmware"
import { uniformBoards } from "@fieldlink/sim/fleet"
import { WorkerFleet } from "@fieldlink/sim/workers/pool"
import {
    type BenchMessage,
    BOARD_PREFIX,
    HOST_CONFIG_ENV,
    type HostConfig,
    type HostMessage,
} from "./protocol.js"

/** RSS after a full collection in every thread (the host runs with --expose-gc), so garbage is not counted as boards. */
async function settledRss(): Promise<number> {
    ;(globalThis as { gc?: () => void }).gc?.()
    await fleet?.collectGarbage()
    return process.memoryUsage.rss()
}

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

let fleet: WorkerFleet | undefined
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
    send({ type: "loaded" })

    let errors = 0
    let firstError: string | undefined
    const started = performance.now()
    const startCpu = process.cpuUsage()
    // Each worker loads the VM module itself: that is part of what a worker costs.
    fleet = await WorkerFleet.start({
        broker: new URL(config.brokerUrl),
        topicRoot: config.topicRoot,
        seed: config.seed,
        program: bytecode,
        boards: uniformBoards(config.boards, BOARD_PREFIX, config.keepAliveSeconds, config.intervalMs),
        workers: config.workers,
        startConcurrency: config.startConcurrency,
        onError: (deviceId, message) => {
            errors++
            firstError ??= `${deviceId}: ${message}`
        },
    })
    const running = fleet
    running.onCrash(crash => {
        const message: HostMessage = { type: "failed", message: crash.message }
        process.send?.(message, () => void exit(1))
    })
    const startupMs = performance.now() - started
    const { user, system } = process.cpuUsage(startCpu)
    send({ type: "started", startupMs, startupCpuUs: user + system, rssBytes: await settledRss() })

    let begin: { at: number; cpu: NodeJS.CpuUsage } | undefined
    process.on("message", async (message: BenchMessage) => {
        if (message.type === "begin") {
            // Only the window: start-up would otherwise dominate the profile.
            if (config.profileDir) await running.beginProfile()
            await running.beginWindow()
            begin = { at: performance.now(), cpu: process.cpuUsage() }
        } else if (message.type === "end" && begin) {
            const cpu = process.cpuUsage(begin.cpu)
            const wallMs = performance.now() - begin.at
            const loops = await running.endWindow()
            const profiles = config.profileDir
                ? await running.endProfile(k => path.join(config.profileDir!, `worker-${k}.cpuprofile`))
                : []
            send({
                type: "window",
                figures: {
                    wallMs,
                    userUs: cpu.user,
                    systemUs: cpu.system,
                    loopP50Ms: Math.max(...loops.map(l => l.p50Ms)),
                    loopP99Ms: Math.max(...loops.map(l => l.p99Ms)),
                    loopMaxMs: Math.max(...loops.map(l => l.maxMs)),
                    workers: running.workers,
                    profiles,
                    rssBytes: await settledRss(),
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
