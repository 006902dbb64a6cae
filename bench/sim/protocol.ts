/**
 * Messages between the bench (parent) and the board host (child process), over Node's
 * IPC channel. The boards run in a process of their own so that its CPU time, RSS and
 * event-loop delay are the boards' alone: the broker, the subscriber and the bench's
 * bookkeeping live elsewhere. Inside it they run on worker threads, as `fieldlink sim`
 * runs them.
 */

/** What the board host runs; passed as JSON in its environment. */
export interface HostConfig {
    boards: number
    brokerUrl: string
    topicRoot: string
    intervalMs: number
    keepAliveSeconds: number
    seed: number
    /** Worker threads the boards are spread over (`fieldlink sim --workers`). */
    workers: number
    /** Boards starting at once, in each worker (`FleetOptions.startConcurrency`). */
    startConcurrency: number
    /** When set, the window runs under the V8 sampling profiler, each worker's profile in `<profileDir>/worker-<k>.cpuprofile`. */
    profileDir?: string
}

/** Board ids are `<prefix>-1` … `<prefix>-N` (`uniformBoards`). */
export const BOARD_PREFIX = "bench"

export function boardIds(count: number): string[] {
    return Array.from({ length: count }, (_, i) => `${BOARD_PREFIX}-${i + 1}`)
}

/** The environment variable that carries the `HostConfig`. */
export const HOST_CONFIG_ENV = "FIELDLINK_BENCH_HOST"

export interface WindowFigures {
    wallMs: number
    /** process.cpuUsage() over the window, µs. */
    userUs: number
    systemUs: number
    /** Event-loop delay over the window (monitorEventLoopDelay in each worker), ms: the worst worker's. */
    loopP50Ms: number
    loopP99Ms: number
    loopMaxMs: number
    /** Worker threads that ran the boards. */
    workers: number
    /** The profiles written, one per worker (with `profileDir`). */
    profiles: string[]
    rssBytes: number
    /** Board errors (VM faults, sensor problems) since start-up, and the first of them. */
    errors: number
    firstError?: string
}

/** Child → parent. */
export type HostMessage =
    /** The firmware is built and the VM module loaded; no board started yet. */
    | { type: "loaded" }
    /** All boards running: how long that took, the CPU it took (µs), and the RSS then. */
    | { type: "started"; startupMs: number; startupCpuUs: number; rssBytes: number }
    | { type: "window"; figures: WindowFigures }
    | { type: "failed"; message: string }

/** Parent → child. */
export type BenchMessage = { type: "begin" } | { type: "end" } | { type: "stop" }
