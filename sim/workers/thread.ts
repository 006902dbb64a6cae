/**
 * A worker thread's part of a fleet: a `Fleet` of the boards it was given (each the real
 * firmware in its own DeviceScript VM, each behind its own `NetworkLink` when asked),
 * answering the main thread's calls (faults, presses, stop) and sending it what the
 * boards do. Started by ./pool.ts, never by hand.
 *
 * Board events go out batched, once per event-loop turn: a worker of a thousand boards
 * would otherwise post thousands of messages a second.
 */
import { parentPort, workerData } from "node:worker_threads"
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks"
import { Session } from "node:inspector/promises"
import { writeFileSync } from "node:fs"
import { netConnector } from "@fieldlink/devs-host"
import { Fleet } from "../fleet.js"
import { NetworkLink } from "../network/link.js"
import type { BoardEvent, Call, CallMessage, CallResult, WorkerMessage, WorkerSetup } from "./protocol.js"

const PROGRESS_EVERY_MS = 500
const HEALTH_EVERY_MS = 1000
/** Fine enough to see a VM's 10 ms step run late, cheap enough not to load the loop. */
const LOOP_RESOLUTION_MS = 10
const NS_PER_MS = 1e6

/**
 * Test-only fault injection (named as such): `<worker>@<ms>` makes that worker throw an
 * uncaught error `ms` after all its boards have started, as a bug in it would.
 */
export const CRASH_ENV = "FIELDLINK_SIM_TEST_CRASH_WORKER"

const port = parentPort!
const setup = workerData as WorkerSetup
const send = (message: WorkerMessage) => port.postMessage(message)

let outbox: BoardEvent[] = []
function emit(event: BoardEvent): void {
    if (outbox.length === 0)
        setImmediate(() => {
            const events = outbox
            outbox = []
            send({ type: "events", events })
        })
    outbox.push(event)
}

const links = new Map<string, NetworkLink>(
    setup.links ? setup.boards.map(b => [b.deviceId, new NetworkLink(netConnector)]) : [],
)
let fleet: Fleet | undefined
let window: IntervalHistogram | undefined
let profiler: Session | undefined

function linksOf(ids: string[]): NetworkLink[] {
    return ids.map(id => links.get(id)).filter((l): l is NetworkLink => l !== undefined)
}

async function perform(call: Call): Promise<CallResult> {
    if (!fleet) throw new Error("the worker's boards have not started")
    switch (call.op) {
        case "power-cut":
            // The link first: a board without power sends no FIN and no RST.
            for (const link of linksOf(call.ids)) link.powerCut()
            await Promise.all(call.ids.map(id => fleet!.powerCut(id)))
            return
        case "power-on":
            for (const link of linksOf(call.ids)) link.powerOn()
            await Promise.all(call.ids.map(id => fleet!.powerOn(id)))
            return
        case "press":
            return fleet.press(call.id, call.ms)
        case "link":
            for (const link of linksOf(call.ids)) link.set(call.condition)
            return
        case "link-delay":
            for (const link of linksOf(call.ids)) link.setDelay(call.ms)
            return
        case "stop":
            await fleet.stop()
            for (const link of links.values()) link.close()
            return
        case "kill":
            await fleet.kill()
            for (const link of links.values()) link.close()
            return
        case "window-begin":
            window?.disable()
            window = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
            window.enable()
            return
        case "window-end": {
            const h = window
            window = undefined
            if (!h) throw new Error("window-end without window-begin")
            h.disable()
            return {
                p50Ms: h.percentile(50) / NS_PER_MS,
                p99Ms: h.percentile(99) / NS_PER_MS,
                maxMs: h.max / NS_PER_MS,
            }
        }
        case "gc":
            ;(globalThis as { gc?: () => void }).gc?.()
            return
        case "profile-begin":
            // A session in a worker profiles that worker's own thread.
            profiler = new Session()
            profiler.connect()
            await profiler.post("Profiler.enable")
            await profiler.post("Profiler.start")
            return
        case "profile-end": {
            if (!profiler) throw new Error("profile-end without profile-begin")
            const { profile } = await profiler.post("Profiler.stop")
            writeFileSync(call.file, JSON.stringify(profile))
            profiler.disconnect()
            profiler = undefined
            return
        }
    }
}

port.on("message", (message: CallMessage) => {
    perform(message.call).then(
        value => send({ type: "reply", seq: message.seq, ok: true, value }),
        (error: unknown) =>
            send({
                type: "reply",
                seq: message.seq,
                ok: false,
                message: (error as Error).message ?? String(error),
            }),
    )
})

function reportHealth(): void {
    const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS })
    loop.enable()
    setInterval(() => {
        const running = fleet ? fleet.boards.filter(b => b.status === "running").length : 0
        send({ type: "health", running, loopP99Ms: loop.percentile(99) / NS_PER_MS })
        loop.reset()
    }, HEALTH_EVERY_MS).unref()
}

function injectCrash(): void {
    const m = /^(\d+)@(\d+)$/.exec(process.env[CRASH_ENV] ?? "")
    if (!m || Number(m[1]) !== setup.index) return
    setTimeout(() => {
        throw new Error(`crash injected by ${CRASH_ENV} (a test of how a crashed worker is reported)`)
    }, Number(m[2]))
}

async function main(): Promise<void> {
    let started = 0
    const progress = setInterval(() => send({ type: "progress", started }), PROGRESS_EVERY_MS)
    try {
        fleet = await Fleet.start({
            broker: new URL(setup.broker),
            brokers: setup.brokers?.map(url => new URL(url)),
            topicRoot: setup.topicRoot,
            seed: setup.seed,
            program: setup.program,
            services: setup.services,
            boards: setup.boards,
            startConcurrency: setup.startConcurrency,
            startTimeoutMs: setup.startTimeoutMs,
            startAttempts: setup.startAttempts,
            epochMs: setup.epochMs,
            socket: setup.links ? id => links.get(id) : undefined,
            onBoardStarted: () => started++,
            onLog: setup.logs ? (id, line) => emit({ kind: "log", id, at: Date.now(), line }) : undefined,
            onActuator: (id, actuator, value) =>
                emit({ kind: "actuator", id, at: Date.now(), actuator, value }),
            onError: (id, error) => emit({ kind: "error", id, at: Date.now(), message: error.message }),
        })
    } finally {
        clearInterval(progress)
    }
    send({ type: "progress", started })
    send({ type: "started" })
    reportHealth()
    injectCrash()
}

main().catch((error: unknown) => {
    for (const link of links.values()) link.close()
    // The main thread ends this thread once it has read the message.
    send({ type: "failed", message: (error as Error).message ?? String(error) })
})
