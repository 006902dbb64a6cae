/**
 * A fleet spread over worker threads: the boards are cut into contiguous ranges, one per
 * worker (./plan.ts), each worker runs its range as a `Fleet` (./thread.ts), and this
 * class — in the main thread — routes calls to the worker that owns a board and hands
 * out what every worker's boards do, in one stream.
 *
 * The DeviceScript VM is single-threaded WebAssembly with its own timers: one event loop
 * runs about one core's worth of boards, so a fleet needs a loop per core to use the
 * machine.
 *
 * A worker that dies (an uncaught error, an exit) is a crash: `crashed` resolves with a
 * `WorkerCrash` naming the worker and its boards, calls to it fail with it, and the
 * other workers keep running until the caller stops them.
 */
import type { Worker } from "node:worker_threads"
import type { ActuatorKind } from "@fieldlink/devs-host"
import type { FleetOptions } from "../fleet.js"
import type { LinkCondition } from "../network/link.js"
import { describeIds, splitAcross } from "./plan.js"
import type {
    BoardEvent,
    Call,
    CallMessage,
    CallResult,
    LoopDelay,
    WorkerMessage,
    WorkerSetup,
} from "./protocol.js"
import { spawnWorker } from "./spawn.js"

/** Boards starting at once in each worker (see FleetOptions.startConcurrency). */
export const WORKER_START_CONCURRENCY = 8
/**
 * How long one board may take to start. Alone it takes well under a second; beside a
 * thousand running boards on a shared machine, ten seconds has been seen to pass.
 */
export const WORKER_BOARD_START_TIMEOUT_MS = 60_000
/** Starts of one board tried before the fleet's start fails (see FleetOptions.startAttempts). */
export const WORKER_BOARD_START_ATTEMPTS = 3
/** How long a worker may take to say goodbye before it is terminated. */
const STOP_TIMEOUT_MS = 15_000

export interface WorkerFleetOptions extends Omit<
    FleetOptions,
    "socket" | "onLog" | "onActuator" | "onError" | "onBoardStarted" | "epochMs" | "startConcurrency"
> {
    /** Worker threads to spread the boards over (fewer when there are fewer boards). */
    workers: number
    /** Each board behind its own `NetworkLink`, for `link()` and `linkDelay()` (scenarios). */
    links?: boolean
    startConcurrency?: number
    /** `at`: when it happened, ms since the epoch. */
    onLog?: (deviceId: string, line: string, at: number) => void
    onActuator?: (deviceId: string, kind: ActuatorKind, value: number, at: number) => void
    onError?: (deviceId: string, message: string, at: number) => void
    /** Boards started so far, of all, during start-up. */
    onProgress?: (started: number, total: number) => void
}

/** A worker thread died; its boards are gone with it (their sockets closed: wills fire). */
export class WorkerCrash extends Error {
    constructor(
        readonly worker: number,
        readonly workers: number,
        readonly boardIds: readonly string[],
        reason: string,
    ) {
        super(
            `worker ${worker} of ${workers} (boards ${describeIds(boardIds)}) crashed: ${reason}; ` +
                "its boards stopped with it (the broker fires their wills)",
        )
        this.name = "WorkerCrash"
    }
}

/** The latest health report of one worker. */
export interface WorkerHealth {
    worker: number
    boards: number
    running: number
    loopP99Ms: number
    state: "starting" | "running" | "crashed" | "stopped"
}

interface Pending {
    resolve(value: CallResult): void
    reject(error: Error): void
}

class WorkerHandle {
    state: WorkerHealth["state"] = "starting"
    started = 0
    running = 0
    loopP99Ms = 0
    crash: WorkerCrash | undefined
    private seq = 0
    private readonly pending = new Map<number, Pending>()

    constructor(
        readonly index: number,
        readonly ids: string[],
        readonly thread: Worker,
    ) {}

    call(call: Call): Promise<CallResult> {
        if (this.crash) return Promise.reject(this.crash)
        if (this.state === "stopped") return Promise.reject(new Error(`worker ${this.index} has stopped`))
        const seq = ++this.seq
        return new Promise((resolve, reject) => {
            this.pending.set(seq, { resolve, reject })
            this.thread.postMessage({ type: "call", seq, call } satisfies CallMessage)
        })
    }

    reply(seq: number, outcome: { ok: true; value: CallResult } | { ok: false; message: string }): void {
        const p = this.pending.get(seq)
        this.pending.delete(seq)
        if (!p) return
        if (outcome.ok) p.resolve(outcome.value)
        else p.reject(new Error(`worker ${this.index}: ${outcome.message}`))
    }

    failAll(error: Error): void {
        for (const p of this.pending.values()) p.reject(error)
        this.pending.clear()
    }
}

export class WorkerFleet {
    private readonly owner = new Map<string, WorkerHandle>()
    private stopping = false
    private crashListeners: ((crash: WorkerCrash) => void)[] = []
    private firstCrash: WorkerCrash | undefined
    /** Resolves with the first worker crash; never while every worker lives. */
    readonly crashed: Promise<WorkerCrash>

    private constructor(
        private readonly options: WorkerFleetOptions,
        private readonly handles: WorkerHandle[],
    ) {
        for (const h of handles) for (const id of h.ids) this.owner.set(id, h)
        this.crashed = new Promise(resolve => this.crashListeners.push(resolve))
    }

    /**
     * Starts every worker and waits until each has started all its boards. On a failure
     * or a crash during start-up, stops every worker and rejects with it.
     */
    static async start(options: WorkerFleetOptions): Promise<WorkerFleet> {
        const parts = splitAcross(options.boards, options.workers)
        const epochMs = Date.now()
        const handles = parts.map(
            (boards, k): WorkerHandle =>
                new WorkerHandle(
                    k + 1,
                    boards.map(b => b.deviceId),
                    spawnWorker({
                        index: k + 1,
                        count: parts.length,
                        broker: options.broker.toString(),
                        brokers: options.brokers?.map(url => url.toString()),
                        topicRoot: options.topicRoot,
                        seed: options.seed,
                        program: options.program,
                        services: options.services,
                        boards,
                        startConcurrency: options.startConcurrency ?? WORKER_START_CONCURRENCY,
                        startTimeoutMs: options.startTimeoutMs ?? WORKER_BOARD_START_TIMEOUT_MS,
                        startAttempts: options.startAttempts ?? WORKER_BOARD_START_ATTEMPTS,
                        links: options.links ?? false,
                        logs: options.onLog !== undefined,
                        epochMs,
                    } satisfies WorkerSetup),
                ),
        )
        const fleet = new WorkerFleet(options, handles)
        const startups = handles.map(h => fleet.watch(h))
        try {
            await Promise.all(startups)
        } catch (error) {
            await fleet.kill()
            throw error
        }
        return fleet
    }

    /** Every board's id, in order. */
    get boardIds(): string[] {
        return this.handles.flatMap(h => h.ids)
    }

    get workers(): number {
        return this.handles.length
    }

    /** `worker 1: sim-1 … sim-500 · worker 2: sim-501 … sim-1000`: which worker runs which boards. */
    describeAssignment(): string {
        return this.handles.map(h => `worker ${h.index}: ${describeIds(h.ids)}`).join(" · ")
    }

    health(): WorkerHealth[] {
        return this.handles.map(h => ({
            worker: h.index,
            boards: h.ids.length,
            running: h.running,
            loopP99Ms: h.loopP99Ms,
            state: h.state,
        }))
    }

    /** `fn` hears of the first crash (also one that happened already). */
    onCrash(fn: (crash: WorkerCrash) => void): void {
        if (this.firstCrash) fn(this.firstCrash)
        else this.crashListeners.push(fn)
    }

    /** Power cut of these boards (their links first, when they have links): the broker hears nothing. */
    powerCut(ids: readonly string[]): Promise<void> {
        return this.fanOut(ids, part => ({ op: "power-cut", ids: part }))
    }

    /** Power back: a fresh VM boots the same firmware with the same settings. */
    powerOn(ids: readonly string[]): Promise<void> {
        return this.fanOut(ids, part => ({ op: "power-on", ids: part }))
    }

    /** Presses a board's button for `ms`; false when its program uses no button. */
    async press(id: string, ms: number): Promise<boolean> {
        return (await this.ownerOf(id).call({ op: "press", id, ms })) === true
    }

    /** Sets the links of these boards (needs `links: true`). */
    link(ids: readonly string[], condition: LinkCondition): Promise<void> {
        return this.fanOut(ids, part => ({ op: "link", ids: part, condition }))
    }

    linkDelay(ids: readonly string[], ms: number): Promise<void> {
        return this.fanOut(ids, part => ({ op: "link-delay", ids: part, ms }))
    }

    /** Starts measuring each worker's event-loop delay. */
    async beginWindow(): Promise<void> {
        await Promise.all(this.live().map(h => h.call({ op: "window-begin" })))
    }

    /** Each worker's event-loop delay since `beginWindow()`, in worker order. */
    async endWindow(): Promise<LoopDelay[]> {
        return (await Promise.all(this.live().map(h => h.call({ op: "window-end" })))) as LoopDelay[]
    }

    /** A full collection in every worker that has `gc` exposed (--expose-gc). */
    async collectGarbage(): Promise<void> {
        await Promise.all(this.live().map(h => h.call({ op: "gc" })))
    }

    /** Starts the V8 sampling profiler in every worker. */
    async beginProfile(): Promise<void> {
        await Promise.all(this.live().map(h => h.call({ op: "profile-begin" })))
    }

    /** Stops the profilers; worker k's profile goes to `file(k)`. Returns the files. */
    async endProfile(file: (worker: number) => string): Promise<string[]> {
        const live = this.live()
        await Promise.all(live.map(h => h.call({ op: "profile-end", file: file(h.index) })))
        return live.map(h => file(h.index))
    }

    /** Graceful stop: every board says offline and disconnects; then the workers end. */
    stop(): Promise<void> {
        return this.shutdown("stop")
    }

    /** Abrupt stop of every board, as a power cut: the broker fires the wills. */
    kill(): Promise<void> {
        return this.shutdown("kill")
    }

    private async shutdown(op: "stop" | "kill"): Promise<void> {
        this.stopping = true
        await Promise.all(
            this.handles.map(async h => {
                if (h.state !== "crashed" && h.state !== "stopped") {
                    const timeout = new Promise(resolve => setTimeout(resolve, STOP_TIMEOUT_MS).unref())
                    await Promise.race([h.call({ op }).catch(() => undefined), timeout])
                }
                h.state = h.state === "crashed" ? "crashed" : "stopped"
                h.failAll(new Error(`worker ${h.index} has stopped`))
                await h.thread.terminate()
            }),
        )
    }

    private live(): WorkerHandle[] {
        return this.handles.filter(h => h.state === "running")
    }

    private ownerOf(id: string): WorkerHandle {
        const h = this.owner.get(id)
        if (!h) throw new Error(`no board '${id}' in this fleet`)
        return h
    }

    /** One call per worker that owns some of `ids`, with its share of them. */
    private async fanOut(ids: readonly string[], make: (part: string[]) => Call): Promise<void> {
        const byWorker = new Map<WorkerHandle, string[]>()
        for (const id of ids) {
            const h = this.ownerOf(id)
            byWorker.set(h, [...(byWorker.get(h) ?? []), id])
        }
        await Promise.all([...byWorker].map(([h, part]) => h.call(make(part))))
    }

    /** Wires a worker's messages and exit; resolves once its boards have started. */
    private watch(h: WorkerHandle): Promise<void> {
        const o = this.options
        const total = this.owner.size
        return new Promise((resolve, reject) => {
            const crash = (reason: string) => {
                if (h.state === "crashed" || h.state === "stopped") return
                const wasStarting = h.state === "starting"
                h.state = "crashed"
                h.crash = new WorkerCrash(h.index, this.handles.length, h.ids, reason)
                h.failAll(h.crash)
                if (wasStarting) reject(h.crash)
                if (!this.firstCrash) {
                    this.firstCrash = h.crash
                    for (const fn of this.crashListeners) fn(h.crash)
                    this.crashListeners = []
                }
            }
            h.thread.on("message", (m: WorkerMessage) => {
                switch (m.type) {
                    case "events":
                        for (const e of m.events) this.deliver(e)
                        return
                    case "progress":
                        h.started = m.started
                        o.onProgress?.(
                            this.handles.reduce((n, x) => n + x.started, 0),
                            total,
                        )
                        return
                    case "started":
                        h.state = "running"
                        h.running = h.ids.length
                        resolve()
                        return
                    case "failed":
                        h.state = "stopped"
                        reject(new Error(`worker ${h.index} (boards ${describeIds(h.ids)}): ${m.message}`))
                        return
                    case "reply":
                        h.reply(m.seq, m)
                        return
                    case "health":
                        h.running = m.running
                        h.loopP99Ms = m.loopP99Ms
                        return
                }
            })
            h.thread.on("error", error => crash(`${error.name}: ${error.message}`))
            h.thread.on("messageerror", error => crash(`a message could not be read: ${error.message}`))
            h.thread.on("exit", code => {
                if (!this.stopping) crash(`its thread exited with code ${code}`)
                else h.failAll(new Error(`worker ${h.index} has stopped`))
            })
        })
    }

    private deliver(e: BoardEvent): void {
        const o = this.options
        if (e.kind === "log") o.onLog?.(e.id, e.line, e.at)
        else if (e.kind === "actuator") o.onActuator?.(e.id, e.actuator, e.value, e.at)
        else o.onError?.(e.id, e.message, e.at)
    }
}
