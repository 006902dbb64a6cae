/**
 * A fleet of simulated WiFi boards: each one the real compiled firmware in its own
 * DeviceScript VM, with its own device id, settings and simulated sensors, talking to a
 * broker over real TCP (or through a `SocketConnector` the caller supplies, such as a
 * simulated network link).
 */
import mqtt from "mqtt"
import { randomUUID } from "node:crypto"
import { deviceTopic } from "@fieldlink/protocol/fieldlink-topics"
import { seedFrom } from "./random.js"
import { simBoardSettings } from "./board-settings.js"
import { signal, type Waveform } from "./waveforms.js"
import {
    type ActuatorKind,
    type ActuatorSpec,
    type ProgramService,
    servedRoles,
    type SensorSpec,
    SimulatedBoard,
    type SocketConnector,
    waitForLog,
} from "@fieldlink/devs-host"

/** One board of the fleet. */
export interface BoardSpec {
    deviceId: string
    keepAliveSeconds: number
    intervalMs: number
    queueMax?: number
    temperature?: Waveform
    humidity?: Waveform
    /** Waveforms of the other sensors a program may read (served only when it uses them). */
    soilMoisture?: Waveform
    illuminance?: Waveform
    airPressure?: Waveform
    lightLevel?: Waveform
}

export interface FleetOptions {
    /** The broker the host side (the graceful stop's control client) uses first. */
    broker: URL
    /** Every node the boards are given, tried in turn (default: `broker` alone). */
    brokers?: readonly URL[]
    topicRoot: string
    /** Makes sensor values and reconnect jitter repeatable. */
    seed: number
    program: Uint8Array
    /**
     * The services the program's roles use (CompileResult.services). Given, each board
     * also serves the other sensors, the relay and the button the program uses, and a
     * role no simulated server can serve fails start() with UnservedRoleError. Without
     * it, boards serve temperature and humidity only.
     */
    services?: ProgramService[]
    /** A simulated actuator changed: `value` 1 (on) or 0 (off). */
    onActuator?: (deviceId: string, kind: ActuatorKind, value: number) => void
    boards: BoardSpec[]
    socket?: (deviceId: string) => SocketConnector | undefined
    onLog?: (deviceId: string, line: string) => void
    onError?: (deviceId: string, error: Error) => void
    /**
     * How many boards may be starting at once. Default 1: one after the other. A board's
     * start-up mostly waits on round trips over its own bus, so a few at once bring a large
     * fleet up several times faster.
     */
    startConcurrency?: number
    /**
     * How long one board may take to start (ms; default SimulatedBoard's 10 s). A large
     * fleet starts boards beside hundreds already running, on a loop they keep busy.
     */
    startTimeoutMs?: number
    /**
     * Tries to start a board this many times before the fleet's start fails (default 1).
     * Beside a thousand running boards on a loaded machine, a board's Jacdac requests
     * (its settings, stored before the program runs) can miss their deadlines; a fresh
     * VM usually starts the next time. Each failed attempt is reported to `onError`.
     */
    startAttempts?: number
    /** Called as each board has started (for progress over a long start-up). */
    onBoardStarted?: (deviceId: string) => void
    /**
     * The fleet's time 0 (ms since the epoch), on which the waveforms run; default: when
     * this fleet was made. Fleets split over threads pass one, so their sensors agree.
     */
    epochMs?: number
}

export const DEFAULT_TEMPERATURE: Waveform = { type: "sine", mean: 21, amplitude: 3, periodS: 600 }
export const DEFAULT_HUMIDITY: Waveform = { type: "randomWalk", start: 45, step: 0.5, min: 20, max: 80 }
/** The other sensors, in the unit the DeviceScript role reads (soil moisture: a ratio 0..1). */
export const DEFAULT_WAVEFORMS: Record<
    "soilMoisture" | "illuminance" | "airPressure" | "lightLevel",
    Waveform
> = {
    lightLevel: { type: "sine", mean: 0.5, amplitude: 0.3, periodS: 600 },
    soilMoisture: { type: "sine", mean: 0.45, amplitude: 0.15, periodS: 600 },
    illuminance: { type: "sine", mean: 400, amplitude: 300, periodS: 600 },
    airPressure: { type: "randomWalk", start: 1013, step: 0.2, min: 980, max: 1040 },
}

/** N identical boards `<prefix>-1` … `<prefix>-N`. */
export function uniformBoards(
    count: number,
    prefix: string,
    keepAliveSeconds: number,
    intervalMs: number,
): BoardSpec[] {
    return Array.from({ length: count }, (_, i) => ({
        deviceId: `${prefix}-${i + 1}`,
        keepAliveSeconds,
        intervalMs,
    }))
}

/** How long a board may take to say goodbye on a graceful stop. */
const GOODBYE_TIMEOUT_MS = 5000

export class Fleet {
    private readonly started: number
    private readonly live = new Map<string, SimulatedBoard>()
    /** Each board's button, pressed for `ms`. */
    private readonly buttons = new Map<string, (ms: number) => void>()
    private readonly served: ReturnType<typeof servedRoles>

    private constructor(private readonly options: FleetOptions) {
        // Throws UnservedRoleError before any board starts.
        this.served = options.services ? servedRoles(options.services) : { sensors: [], actuators: [] }
        this.started = options.epochMs ?? Date.now()
    }

    /**
     * Starts every board in the order given, `startConcurrency` at a time (one after the
     * other by default); on a failure, starts no more and stops those started.
     */
    static async start(options: FleetOptions): Promise<Fleet> {
        const fleet = new Fleet(options)
        const concurrency = options.startConcurrency ?? 1
        if (!Number.isInteger(concurrency) || concurrency < 1) {
            throw new RangeError(`startConcurrency is ${concurrency}: expected a whole number of at least 1.`)
        }
        const queue = [...options.boards]
        let failure: { error: unknown } | undefined
        const worker = async () => {
            for (let spec = queue.shift(); spec && !failure; spec = queue.shift()) {
                try {
                    await fleet.bootWithRetries(spec)
                    options.onBoardStarted?.(spec.deviceId)
                } catch (error) {
                    failure ??= { error }
                }
            }
        }
        await Promise.all(Array.from({ length: Math.min(concurrency, queue.length) }, worker))
        if (failure) {
            await fleet.kill()
            throw failure.error
        }
        return fleet
    }

    get boards(): SimulatedBoard[] {
        return [...this.live.values()]
    }

    board(deviceId: string): SimulatedBoard | undefined {
        return this.live.get(deviceId)
    }

    /**
     * Power cut: the board's VM dies at once. Its socket is destroyed, which over real TCP
     * closes it; to keep the broker from hearing anything, as with a real board, give the
     * board a `NetworkLink` and call its `powerCut()` first (scenarios do).
     */
    async powerCut(deviceId: string): Promise<void> {
        await this.live.get(deviceId)?.kill()
    }

    /** Presses the board's simulated button for `ms`; false when its program uses no button. */
    press(deviceId: string, ms: number): boolean {
        const press = this.buttons.get(deviceId)
        if (!press) return false
        press(ms)
        return true
    }

    /** Power back: a fresh VM boots the same firmware with the same settings. */
    async powerOn(deviceId: string): Promise<void> {
        const spec = this.options.boards.find(b => b.deviceId === deviceId)
        if (!spec || this.live.get(deviceId)?.status === "running") return
        await this.boot(spec)
    }

    /**
     * Graceful stop: each online board is told `cmd/stop`, publishes its own retained
     * `offline` and DISCONNECTs (so no will fires); then every VM is stopped.
     */
    async stop(): Promise<void> {
        const running = this.boards.filter(b => b.status === "running")
        if (running.length > 0) {
            const goodbyes = running.map(board =>
                waitForLog(board, /^fieldlink: (stopped|mqtt: state stopped)/, GOODBYE_TIMEOUT_MS).catch(
                    () => undefined,
                ),
            )
            const control = await this.controlClient()
            if (control) {
                // Not empty: an empty command right after a retained one is taken as its clearing (protocol/commands.ts).
                for (const board of running)
                    control.publish(deviceTopic(this.options.topicRoot, board.deviceId, "cmd/stop"), "now")
                await Promise.all(goodbyes)
                await control.endAsync()
            }
        }
        await Promise.all(this.boards.map(b => b.stop()))
    }

    /** A client on the first node that answers (the first may be the one that went away). */
    private async controlClient(): Promise<mqtt.MqttClient | undefined> {
        const o = this.options
        for (const url of o.brokers && o.brokers.length > 0 ? o.brokers : [o.broker]) {
            const client = await mqtt
                .connectAsync(url.toString(), {
                    // Unique among the fleet's threads and machines: a shared id would take
                    // another's connection over.
                    clientId: `fieldlink-sim-control-${randomUUID().slice(0, 13)}`,
                    reconnectPeriod: 0,
                    connectTimeout: 5000,
                })
                .catch(() => undefined)
            if (client) return client
        }
        return undefined
    }

    /** Abrupt stop of every VM, as a power cut would: the broker fires the wills. */
    async kill(): Promise<void> {
        await Promise.all(this.boards.map(b => b.kill()))
    }

    private async bootWithRetries(spec: BoardSpec): Promise<void> {
        const attempts = this.options.startAttempts ?? 1
        for (let attempt = 1; ; attempt++) {
            try {
                return await this.boot(spec)
            } catch (error) {
                if (attempt >= attempts) throw error
                this.options.onError?.(
                    spec.deviceId,
                    new Error(
                        `start attempt ${attempt} of ${attempts} failed, trying again: ${(error as Error).message}`,
                    ),
                )
            }
        }
    }

    private async boot(spec: BoardSpec): Promise<void> {
        const o = this.options
        const deviceId = spec.deviceId
        const seed = seedFrom(`${o.seed}/${deviceId}`)
        const temperature = signal(spec.temperature ?? DEFAULT_TEMPERATURE, seed)
        const humidity = signal(spec.humidity ?? DEFAULT_HUMIDITY, seed + 1)
        const elapsed = () => (Date.now() - this.started) / 1000
        const board = new SimulatedBoard({
            deviceId,
            program: o.program,
            settings: simBoardSettings({
                deviceId,
                broker: o.broker,
                brokers: o.brokers,
                topicRoot: o.topicRoot,
                keepAliveSeconds: spec.keepAliveSeconds,
                intervalMs: spec.intervalMs,
                queueMax: spec.queueMax,
                // 0 would mean "hardware entropy" to the firmware.
                randomSeed: seedFrom(`${o.seed}/${deviceId}/jitter`) || 1,
            }),
            sensors: this.sensorsFor(spec, seed, elapsed, [
                { kind: "temperature", read: () => temperature(elapsed()) },
                { kind: "humidity", read: () => humidity(elapsed()) },
            ]),
            actuators: this.served.actuators.map((kind): ActuatorSpec => ({
                kind,
                onChange: value => o.onActuator?.(deviceId, kind, value),
                bindPress: press => this.buttons.set(deviceId, press),
            })),
            socket: o.socket?.(deviceId),
            startTimeoutMs: o.startTimeoutMs,
            onLog: line => o.onLog?.(deviceId, line),
            onError: error => o.onError?.(deviceId, error),
        })
        this.live.set(deviceId, board)
        await board.start()
    }

    /** Temperature and humidity always (the stock firmware's), then the other sensors the program uses. */
    private sensorsFor(
        spec: BoardSpec,
        seed: number,
        elapsed: () => number,
        always: SensorSpec[],
    ): SensorSpec[] {
        const sensors = [...always]
        let n = 2
        for (const kind of this.served.sensors) {
            if (kind === "temperature" || kind === "humidity") continue
            const source = signal(spec[kind] ?? DEFAULT_WAVEFORMS[kind], seed + n++)
            sensors.push({ kind, read: () => source(elapsed()) })
        }
        return sensors
    }
}
