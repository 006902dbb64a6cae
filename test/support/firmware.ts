/**
 * The real compiled firmware on a simulated board, for tests: compiled once per test
 * process, one VM per board, stopped in the test's teardown.
 */
import type { ExecutionContext } from "ava"
import { buildFirmware } from "@fieldlink/devs-host/firmware"
import { simBoardSettings } from "@fieldlink/sim/board-settings"
import { SimulatedBoard, type SocketConnector, waitForLog } from "@fieldlink/devs-host"

let program: Promise<Uint8Array> | undefined

/** The firmware bytecode, built (or taken from the build cache) once per process. */
export function firmwareProgram(): Promise<Uint8Array> {
    program ??= buildFirmware().then(r => r.bytecode)
    return program
}

export interface TestBoardOptions {
    broker: string
    deviceId: string
    keepAliveSeconds?: number
    intervalMs?: number
    queueMax?: number
    topicRoot?: string
    socket?: SocketConnector
    temperature?: () => number
    humidity?: () => number
}

export interface TestBoard {
    board: SimulatedBoard
    /** Every firmware log line so far (without the `fieldlink: ` prefix). */
    lines: string[]
    /** Resolves with the first line at index >= `from` (default 0) that matches, without the prefix. */
    waitForLine(re: RegExp, timeoutMs?: number, from?: number): Promise<string>
}

export async function startTestBoard(t: ExecutionContext, o: TestBoardOptions): Promise<TestBoard> {
    const lines: string[] = []
    const board = new SimulatedBoard({
        deviceId: o.deviceId,
        program: await firmwareProgram(),
        settings: simBoardSettings({
            deviceId: o.deviceId,
            broker: new URL(o.broker),
            topicRoot: o.topicRoot ?? "fieldlink",
            keepAliveSeconds: o.keepAliveSeconds ?? 60,
            intervalMs: o.intervalMs ?? 1000,
            queueMax: o.queueMax,
        }),
        sensors: [
            { kind: "temperature", read: o.temperature ?? (() => 21.5) },
            { kind: "humidity", read: o.humidity ?? (() => 40) },
        ],
        socket: o.socket,
        onLog: line => lines.push(line.replace(/^fieldlink: /, "")),
        onError: e => t.log(`board ${o.deviceId}: ${e.message}`),
    })
    t.teardown(() => board.stop())
    await board.start()
    return {
        board,
        lines,
        waitForLine: (re, timeoutMs = 10000, from = 0) => {
            const seen = lines.slice(from).find(line => re.test(line))
            if (seen !== undefined) return Promise.resolve(seen)
            const strip = (line: string) => line.replace(/^fieldlink: /, "")
            return waitForLog(board, line => re.test(strip(line)), timeoutMs).then(strip)
        },
    }
}
