/**
 * Runs one simulated board (a DeviceScript VM in this process) behind a WireTap until a
 * condition holds, the program panics, or a deadline passes; then stops it. Whatever
 * happens, the VM is stopped before this returns or throws.
 */
import { performance } from "node:perf_hooks"
import { SimulatedBoard, type BoardSettings, type SensorSpec } from "@fieldlink/devs-host"
import { WireTap } from "./wire-tap.js"

/** Steady readings, so both clients publish samples of the same size. */
export const BENCH_SENSORS: readonly SensorSpec[] = [
    { kind: "temperature", read: () => 21.5 },
    { kind: "humidity", read: () => 40.25 },
]

export interface BoardRunOptions {
    /** Also the VM's device id; two characters keep `fieldlink/devices/<id>/telemetry` at 30 bytes. */
    deviceId: string
    program: Uint8Array
    settings: BoardSettings
    /** Checked every 100 ms once the board runs; true ends the run. */
    until: (state: BoardRunState) => boolean
    timeoutMs: number
    /** Stop as soon as the program panics (an out-of-memory ends in one). */
    stopOnPanic?: boolean
    signal: AbortSignal
}

export interface BoardRunState {
    tap: WireTap
    /** Every VM log line (program and runtime), colours removed. */
    lines: string[]
    /** ms on the tap's clock when the board was started. */
    startedAt: number
    panicked: boolean
}

export interface BoardRunResult extends BoardRunState {
    /** true when the deadline, not the condition, ended the run. */
    timedOut: boolean
}

export async function runBoard(o: BoardRunOptions): Promise<BoardRunResult> {
    const state: BoardRunState = {
        tap: new WireTap(),
        lines: [],
        startedAt: performance.now(),
        panicked: false,
    }
    const board = new SimulatedBoard({
        deviceId: o.deviceId,
        program: o.program,
        settings: o.settings,
        sensors: BENCH_SENSORS,
        socket: state.tap,
        onDmesg: line => state.lines.push(line.text),
        onPanic: () => {
            state.panicked = true
        },
        onError: error => state.lines.push(`[host] ${error.message}`),
        startTimeoutMs: 20_000,
    })
    try {
        await board.start()
        const deadline = Date.now() + o.timeoutMs
        for (;;) {
            o.signal.throwIfAborted()
            if (o.until(state) || (o.stopOnPanic && state.panicked)) return { ...state, timedOut: false }
            if (Date.now() >= deadline) return { ...state, timedOut: true }
            await new Promise(done => setTimeout(done, 100))
        }
    } finally {
        await board.stop()
    }
}
