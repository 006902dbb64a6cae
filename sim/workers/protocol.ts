/**
 * Messages between the main thread (./pool.ts) and a worker thread running part of a
 * fleet (./thread.ts). Everything here crosses `postMessage`, so it is plain data.
 */
import type { ActuatorKind, ProgramService } from "@fieldlink/devs-host"
import type { BoardSpec } from "../fleet.js"
import type { LinkCondition } from "../network/link.js"

/** What a worker runs: given as its `workerData`. */
export interface WorkerSetup {
    /** 1-based, for messages ("worker 2 of 4"). */
    index: number
    count: number
    broker: string
    /** Every node the boards are given, tried in turn (default: `broker` alone). */
    brokers?: string[]
    topicRoot: string
    seed: number
    program: Uint8Array
    services?: ProgramService[]
    boards: BoardSpec[]
    startConcurrency: number
    startTimeoutMs: number
    startAttempts: number
    /** Each board behind its own `NetworkLink`, so faults can cut, black-hole or delay it. */
    links: boolean
    /** Forward every board's log lines (they cost a message each; the live table needs none). */
    logs: boolean
    /** The fleet's time 0 (ms since the epoch): every worker's waveforms run on one clock. */
    epochMs: number
}

/** Something a board did; `at` is when (ms since the epoch, one clock for every thread). */
export type BoardEvent =
    | { kind: "log"; id: string; at: number; line: string }
    | { kind: "actuator"; id: string; at: number; actuator: ActuatorKind; value: number }
    | { kind: "error"; id: string; at: number; message: string }

/** What the main thread may ask a worker; each call gets one `reply`. */
export type Call =
    | { op: "power-cut"; ids: string[] }
    | { op: "power-on"; ids: string[] }
    | { op: "press"; id: string; ms: number }
    | { op: "link"; ids: string[]; condition: LinkCondition }
    | { op: "link-delay"; ids: string[]; ms: number }
    /** Graceful: each board says offline and disconnects. */
    | { op: "stop" }
    /** Abrupt, as a power cut of every board. */
    | { op: "kill" }
    /** Starts measuring the worker's event-loop delay; `window-end` returns it. */
    | { op: "window-begin" }
    | { op: "window-end" }
    /** The V8 sampling profiler over this worker's thread; `profile-end` writes it to `file` (.cpuprofile). */
    | { op: "profile-begin" }
    | { op: "profile-end"; file: string }
    /** A full collection, when the thread has `gc` (--expose-gc): so the RSS read next counts no garbage. */
    | { op: "gc" }

/** A worker's event-loop delay over a window, ms. */
export interface LoopDelay {
    p50Ms: number
    p99Ms: number
    maxMs: number
}

export type CallResult = boolean | LoopDelay | undefined

/** Main → worker. */
export interface CallMessage {
    type: "call"
    seq: number
    call: Call
}

/** Worker → main. */
export type WorkerMessage =
    /** Batched, in order; sent once per event-loop turn at most. */
    | { type: "events"; events: BoardEvent[] }
    /** Boards started so far (during start-up, at most twice a second). */
    | { type: "progress"; started: number }
    | { type: "started" }
    /** Start-up failed; the worker has stopped what it started and ends. */
    | { type: "failed"; message: string }
    | { type: "reply"; seq: number; ok: true; value: CallResult }
    | { type: "reply"; seq: number; ok: false; message: string }
    /** Once a second once started: boards running, and the loop delay's p99 over that second. */
    | { type: "health"; running: number; loopP99Ms: number }
