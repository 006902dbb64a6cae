/**
 * A fleet of simulated WiFi boards: each one the real compiled firmware in its own
 * DeviceScript VM, with its own device id, settings and simulated sensors, talking to a
 * broker over real TCP (or through a `SocketConnector` the caller supplies).
 */
import mqtt from "mqtt"
import { deviceTopic } from "../protocol/fieldlink-topics"
import { seedFrom } from "./random"
import { simBoardSettings } from "./board-settings"
import { signal, type Waveform } from "./waveforms"
import { SimulatedBoard, type SocketConnector, waitForLog } from "./vm/index"

export interface FleetOptions {
    broker: URL
    boards: number
    /** Device ids are `<idPrefix>-1` … `<idPrefix>-N`. */
    idPrefix: string
    topicRoot: string
    keepAliveSeconds: number
    intervalMs: number
    /** Makes sensor values repeatable. */
    seed: number
    program: Uint8Array
    queueMax?: number
    temperature?: Waveform
    humidity?: Waveform
    socket?: (deviceId: string) => SocketConnector | undefined
    onLog?: (deviceId: string, line: string) => void
    onError?: (deviceId: string, error: Error) => void
}

export const DEFAULT_TEMPERATURE: Waveform = { type: "sine", mean: 21, amplitude: 3, periodS: 600 }
export const DEFAULT_HUMIDITY: Waveform = { type: "randomWalk", start: 45, step: 0.5, min: 20, max: 80 }

/** How long a board may take to say goodbye on a graceful stop. */
const GOODBYE_TIMEOUT_MS = 5000

export class Fleet {
    private constructor(
        readonly boards: SimulatedBoard[],
        private readonly options: FleetOptions,
    ) {}

    static async start(options: FleetOptions): Promise<Fleet> {
        const boards: SimulatedBoard[] = []
        const fleet = new Fleet(boards, options)
        const started = Date.now()
        try {
            for (let i = 1; i <= options.boards; i++) {
                const deviceId = `${options.idPrefix}-${i}`
                const seed = seedFrom(`${options.seed}/${deviceId}`)
                const temperature = signal(options.temperature ?? DEFAULT_TEMPERATURE, seed)
                const humidity = signal(options.humidity ?? DEFAULT_HUMIDITY, seed + 1)
                const elapsed = () => (Date.now() - started) / 1000
                const board = new SimulatedBoard({
                    deviceId,
                    program: options.program,
                    settings: simBoardSettings({
                        deviceId,
                        broker: options.broker,
                        topicRoot: options.topicRoot,
                        keepAliveSeconds: options.keepAliveSeconds,
                        intervalMs: options.intervalMs,
                        queueMax: options.queueMax,
                        // 0 would mean "hardware entropy" to the firmware.
                        randomSeed: seedFrom(`${options.seed}/${deviceId}/jitter`) || 1,
                    }),
                    sensors: [
                        { kind: "temperature", read: () => temperature(elapsed()) },
                        { kind: "humidity", read: () => humidity(elapsed()) },
                    ],
                    socket: options.socket?.(deviceId),
                    onLog: (line) => options.onLog?.(deviceId, line),
                    onError: (error) => options.onError?.(deviceId, error),
                })
                boards.push(board)
                await board.start()
            }
        } catch (e) {
            await fleet.kill()
            throw e
        }
        return fleet
    }

    /**
     * Graceful stop: each online board is told `cmd/stop`, publishes its own retained
     * `offline` and DISCONNECTs (so no will fires); then every VM is stopped.
     */
    async stop(): Promise<void> {
        const live = this.boards.filter((b) => b.status === "running")
        if (live.length > 0) {
            const goodbyes = live.map((board) => waitForLog(board, /^fieldlink: (stopped|mqtt: state stopped)/, GOODBYE_TIMEOUT_MS).catch(() => undefined))
            const control = await mqtt.connectAsync(this.options.broker.toString(), { clientId: `fieldlink-sim-control-${process.pid}`, reconnectPeriod: 0, connectTimeout: 5000 }).catch(() => undefined)
            if (control) {
                for (const board of live) control.publish(deviceTopic(this.options.topicRoot, board.deviceId, "cmd/stop"), "")
                await Promise.all(goodbyes)
                await control.endAsync()
            }
        }
        await Promise.all(this.boards.map((b) => b.stop()))
    }

    /** Abrupt stop of every VM, as a power cut would: the broker fires the wills. */
    async kill(): Promise<void> {
        await Promise.all(this.boards.map((b) => b.kill()))
    }
}
