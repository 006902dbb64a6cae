/**
 * One rung of the ladder: N boards in a fresh board host (./board-host.ts), a subscriber
 * on their telemetry, a settling pause, then one measured window. Everything it starts
 * is stopped before it returns or throws, also when `signal` aborts.
 */
import { type ChildProcess, spawn } from "node:child_process"
import os from "node:os"
import { fileURLToPath } from "node:url"
import { tieToParent } from "@fieldlink/test-support/cleanup"
import { deliveryFigures, type DeliveryFigures } from "./figures.js"
import { busyPercent, machineTimes, processCpuSeconds } from "@fieldlink/test-support/proc"
import {
    type BenchMessage,
    boardIds,
    HOST_CONFIG_ENV,
    type HostConfig,
    type HostMessage,
    type WindowFigures,
} from "./protocol.js"
import { subscribeTelemetry } from "./subscriber.js"

const HOST_FILE = fileURLToPath(new URL("./board-host.ts", import.meta.url))
/** A board starts in ~50 ms alone; a loaded machine is allowed far more before the rung fails. */
const STARTUP_MS_PER_BOARD = 1000
const STARTUP_MS_FIXED = 30_000
const STOP_TIMEOUT_MS = 5000

export interface RungOptions {
    boards: number
    brokerUrl: string
    brokerPid: number | undefined
    intervalMs: number
    keepAliveSeconds: number
    settleMs: number
    windowMs: number
    seed: number
    workers: number
    startConcurrency: number
    /** Profile the board host's workers over the window into this folder (.cpuprofile files). */
    profileDir?: string
    signal: AbortSignal
}

export interface RungResult {
    boards: number
    intervalMs: number
    /** The measured window as the subscriber saw it, ms. */
    windowMs: number
    startupMs: number
    /** CPU the board host used to start every board, ms. */
    startupCpuMs: number
    host: WindowFigures
    delivery: DeliveryFigures
    /** Busy share of the whole machine over the window, % of all cores. */
    machineBusyPct: number
    /** The machine's 1-minute load average at the window's end (other work on a shared machine shows here). */
    loadAverage: number
    /** The broker process's CPU over the window, % of one core; NaN when it has none. */
    brokerCpuPct: number
    /** This process (subscriber; the broker too when embedded), % of one core. */
    benchCpuPct: number
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        if (signal.aborted) return reject(signal.reason)
        const onAbort = () => {
            clearTimeout(timer)
            reject(signal.reason)
        }
        const timer = setTimeout(() => {
            signal.removeEventListener("abort", onAbort)
            resolve()
        }, ms)
        signal.addEventListener("abort", onAbort, { once: true })
    })
}

/** The next message of `type` from the host; rejects on its failure, its exit, the deadline or abort. */
function next<T extends HostMessage["type"]>(
    child: ChildProcess,
    type: T,
    timeoutMs: number,
    signal: AbortSignal,
): Promise<Extract<HostMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
        const done = (error: unknown, message?: Extract<HostMessage, { type: T }>) => {
            clearTimeout(timer)
            child.off("message", onMessage)
            child.off("exit", onExit)
            signal.removeEventListener("abort", onAbort)
            if (message) resolve(message)
            else reject(error)
        }
        const onMessage = (message: HostMessage) => {
            if (message.type === type) done(undefined, message as Extract<HostMessage, { type: T }>)
            else if (message.type === "failed") done(new Error(`The board host failed: ${message.message}`))
        }
        const onExit = (code: number | null, sig: string | null) =>
            done(new Error(`The board host exited (${sig ?? `code ${code}`}) before "${type}".`))
        const onAbort = () => done(signal.reason)
        const timer = setTimeout(
            () =>
                done(new Error(`The board host sent no "${type}" within ${Math.round(timeoutMs / 1000)} s.`)),
            timeoutMs,
        )
        child.on("message", onMessage)
        child.once("exit", onExit)
        signal.addEventListener("abort", onAbort, { once: true })
    })
}

async function stopHost(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()))
    if (child.connected) child.send({ type: "stop" } satisfies BenchMessage)
    else child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS)
    await exited
    clearTimeout(timer)
}

export async function runRung(o: RungOptions): Promise<RungResult> {
    const topicRoot = `fieldlink-bench-${process.pid}-${o.boards}`
    const config: HostConfig = {
        boards: o.boards,
        brokerUrl: o.brokerUrl,
        topicRoot,
        intervalMs: o.intervalMs,
        keepAliveSeconds: o.keepAliveSeconds,
        seed: o.seed,
        workers: o.workers,
        startConcurrency: o.startConcurrency,
        profileDir: o.profileDir,
    }
    const subscriber = await subscribeTelemetry(o.brokerUrl, topicRoot)
    let child: ChildProcess | undefined
    try {
        child = spawn(process.execPath, [...process.execArgv, "--expose-gc", HOST_FILE], {
            stdio: ["ignore", "inherit", "inherit", "ipc"],
            env: { ...process.env, [HOST_CONFIG_ENV]: JSON.stringify(config) },
        })
        tieToParent(child)
        await next(child, "loaded", STARTUP_MS_FIXED, o.signal)
        const startupBudget = STARTUP_MS_FIXED + o.boards * STARTUP_MS_PER_BOARD
        const started = await next(child, "started", startupBudget, o.signal)
        await sleep(o.settleMs, o.signal)

        const machineBefore = machineTimes()
        const brokerBefore = processCpuSeconds(o.brokerPid)
        const benchBefore = process.cpuUsage()
        const from = performance.now()
        child.send({ type: "begin" } satisfies BenchMessage)
        await sleep(o.windowMs, o.signal)
        const to = performance.now()
        child.send({ type: "end" } satisfies BenchMessage)
        const bench = process.cpuUsage(benchBefore)
        const brokerSeconds = processCpuSeconds(o.brokerPid) - brokerBefore
        const machineBusyPct = busyPercent(machineBefore, machineTimes())
        const { figures } = await next(child, "window", STOP_TIMEOUT_MS, o.signal)

        return {
            boards: o.boards,
            intervalMs: o.intervalMs,
            windowMs: to - from,
            startupMs: started.startupMs,
            startupCpuMs: started.startupCpuUs / 1000,
            host: figures,
            delivery: deliveryFigures(subscriber.arrivals, boardIds(o.boards), from, to, o.intervalMs),
            machineBusyPct,
            loadAverage: os.loadavg()[0],
            brokerCpuPct: (100 * brokerSeconds * 1000) / (to - from),
            benchCpuPct: (100 * (bench.user + bench.system)) / 1000 / (to - from),
        }
    } finally {
        if (child) await stopHost(child)
        await subscriber.close()
    }
}
