/**
 * The device runtime people build their firmware on (`import { device } from
 * "fieldlink-firmware"`). One call, `device.start()`, brings up what every fieldlink
 * device needs — settings, the board's drivers and WiFi (or the serial transport), our
 * MQTT client with will, birth, `info`, keep-alive, backoff and the offline queue — and
 * returns a `FieldlinkNode` on which the program declares what it publishes
 * (`telemetry`) and what it obeys (`command`). A device built this way looks on the
 * broker exactly like the stock firmware (src/main.ts, itself one program on this API).
 *
 * Log lines start with `fieldlink:` so the simulator and a person on the log UART can
 * follow what the board does.
 */
import * as ds from "@devicescript/core"
import { randomBuffer } from "@devicescript/crypto"
import { deviceTopic, STATUS_OFFLINE, STATUS_ONLINE } from "@fieldlink/protocol/fieldlink-topics"
import { DEFAULT_BACKOFF } from "@fieldlink/protocol/backoff"
import { brokerAddressText } from "@fieldlink/protocol/broker-hosts"
import { CommandKind } from "@fieldlink/protocol/commands"
import { FirmwareConfig, parseIntervalMs } from "@fieldlink/protocol/settings"
import type { DeviceInfoPayload } from "@fieldlink/protocol/payloads"
import { mixSeed, xorshift32 } from "./core/random.js"
import { sampleJson } from "./core/sample.js"
import { MqttClient } from "./mqtt/client.js"
import { loadConfig } from "./app/settings-ds.js"
import { Telemetry } from "./app/telemetry.js"
import { COMMANDS, CommandContext } from "./app/commands.js"
import { CommandTable } from "./app/command-table.js"
import { startBoard } from "./board/profile.js"
import { SerialUplink, serialLiveSeconds } from "./app/serial-uplink.js"
import { FIRMWARE_VERSION } from "./version.js"

/** One sample's readings, units in the key names (DESIGN §1): `{ soil_pct: 41.5 }`. */
export type Readings = Record<string, number>

export interface TelemetryOptions {
    /**
     * Sample period, ms (100 … 86 400 000). The setting `interval_ms`, when given, wins
     * (so the simulator and `fieldlink flash` can set it), and `cmd/interval` changes it
     * at run time. Default 10 000.
     */
    every?: number
}

export interface CommandOptions {
    /**
     * `action` (default): runs only when sent live; a retained one is logged once and not
     * run. `state`: a value the device also restores from a retained message at every
     * connection (e.g. a set-point).
     */
    kind?: CommandKind
}

/** Runs a command; `payload` is the message as UTF-8 text (may be empty). */
export type CommandHandler = (payload: string) => Promise<void>

export interface StartOptions {
    /** Your firmware's version, reported as `fw` in `info`. Default: the library's version. */
    fw?: string
}

/** In the serial transport the log UART carries the line protocol: no diagnostics there. */
let quiet = false

function log(line: string) {
    if (!quiet) console.log("fieldlink: " + line)
}

/** 32 bits from the hardware random number generator. */
function entropy(): number {
    return randomBuffer(4).readUInt32LE(0)
}

/** Names the command protocol reserves or a topic level cannot carry. */
function commandNameError(name: string): string {
    if (name.length === 0) return "is empty"
    for (let i = 0; i < name.length; i++) {
        const c = name.charAt(i)
        if (c === "+" || c === "#" || c === "$") return "contains " + c
    }
    if (name.charAt(0) === "/" || name.charAt(name.length - 1) === "/") return "starts or ends with /"
    return ""
}

/** A started device: declare its telemetry and commands on it. */
export class FieldlinkNode implements CommandContext {
    /** The device id (setting `device_id`, else the chip's own id). */
    readonly id: string
    readonly config: FirmwareConfig
    readonly state: { intervalMs: number; seq: number }
    readonly client: MqttClient = null
    private specs = COMMANDS.slice(0)
    private table: CommandTable<CommandContext>
    private intervalWake = ds.emitter<number>()
    private telemetryDeclared = false
    private uplink: Telemetry = null
    private started = ds.millis()

    constructor(
        config: FirmwareConfig,
        private intervalSet: boolean,
        private fw: string,
    ) {
        this.id = config.deviceId
        this.config = config
        this.state = { intervalMs: config.intervalMs, seq: 0 }
        this.table = new CommandTable<CommandContext>(config.topicRoot, config.deviceId, this.specs, log)
        if (config.transport === "serial") return
        const self = this
        const topic = (leaf: string) => deviceTopic(config.topicRoot, config.deviceId, leaf)
        this.client = new MqttClient(
            {
                brokers: config.brokers,
                tls: config.tls,
                clientId: "fieldlink-" + config.deviceId,
                username: config.username.length > 0 ? config.username : undefined,
                password: config.password.length > 0 ? config.password : undefined,
                keepAliveSeconds: config.keepAliveSeconds,
                statusTopic: topic("status"),
                birthPayload: STATUS_ONLINE,
                willPayload: STATUS_OFFLINE,
                subscriptions: [topic("cmd/#")],
                backoff: DEFAULT_BACKOFF,
                connectTimeoutMs: 10000,
                maxPacketSize: 2048,
                duplicateHint:
                    "two boards with device id " + config.deviceId + "? give each its own device id",
                random: xorshift32(
                    mixSeed(config.randomSeed !== 0 ? config.randomSeed : entropy(), config.deviceId),
                ),
            },
            {
                online: async () => {
                    const info: DeviceInfoPayload = {
                        id: self.id,
                        fw: self.fw,
                        board: config.board,
                        transport: config.transport,
                        interval_ms: self.state.intervalMs,
                        keepalive_s: config.keepAliveSeconds,
                    }
                    await self.client.publish(topic("info"), JSON.stringify(info), true)
                    log("online")
                    if (self.uplink !== null) await self.uplink.flush()
                },
                message: async (t: string, payload: Buffer, retained: boolean) => {
                    await self.table.dispatch(t, payload.toString("utf-8"), retained, self)
                },
                log: log,
            },
        )
        this.uplink = new Telemetry(this.client, topic("telemetry"), config.queueMax, () => ds.millis())
    }

    /** `<root>/devices/<id>/<leaf>`. */
    topic(leaf: string): string {
        return deviceTopic(this.config.topicRoot, this.id, leaf)
    }

    /** A `fieldlink:` line on the device log (silent in the serial transport, whose UART carries the protocol). */
    log(line: string): void {
        log(line)
    }

    /** Part of CommandContext: wakes the sampling loop so a new interval applies at once. */
    intervalChanged(): void {
        this.intervalWake.emit(this.state.intervalMs)
    }

    /**
     * Publishes `read()`'s readings as one telemetry sample every period, with `seq`,
     * `uptime_s`, and, after an outage, `dropped` and `age_ms` (DESIGN §1). While the
     * broker is away samples wait in the bounded queue (setting `queue_max`). One
     * telemetry stream per device: call it once.
     */
    telemetry(options: TelemetryOptions, read: () => Promise<Readings>): void {
        if (this.telemetryDeclared)
            throw new Error(
                "fieldlink: telemetry() declared twice; a device has one telemetry stream: read everything in one function",
            )
        this.telemetryDeclared = true
        if (!this.intervalSet && options.every !== undefined) {
            const ms = parseIntervalMs(options.every)
            if (isNaN(ms))
                throw new RangeError(
                    "fieldlink: telemetry every: " +
                        options.every +
                        " ms, expected whole ms from 100 to 86400000",
                )
            this.state.intervalMs = ms
        }
        const self = this
        if (this.config.transport === "serial") {
            const uplink = new SerialUplink(
                this.id,
                this.config.board,
                serialLiveSeconds(this.state.intervalMs),
            )
            const serialLoop = async () => {
                while (true) {
                    const dueAt = ds.millis() + self.state.intervalMs
                    self.state.seq++
                    uplink.send(sampleJson(self.state.seq, await read(), self.uptime()))
                    const wait = dueAt - ds.millis()
                    if (wait > 0) await ds.sleep(wait)
                }
            }
            serialLoop.start()
            return
        }
        const loop = async () => {
            while (true) {
                const dueAt = ds.millis() + self.state.intervalMs
                const readings = await read()
                const takenAt = ds.millis()
                self.state.seq++
                await self.uplink.send(sampleJson(self.state.seq, readings, self.uptime()), takenAt)
                // A new interval (cmd/interval) ends the wait early and applies from this sample on.
                const wait = dueAt - ds.millis()
                if (wait > 0) await ds.wait(self.intervalWake, wait)
            }
        }
        loop.start()
    }

    /**
     * Obeys `<root>/devices/<id>/cmd/<name>`. Declare commands right after
     * `device.start()`, before the program first awaits: a retained `state` command is
     * restored as soon as the connection is up. `interval`, `restart` and `stop` are built in.
     */
    command(name: string, handler: CommandHandler, options?: CommandOptions): void {
        const problem = commandNameError(name)
        if (problem.length > 0)
            throw new Error(
                "fieldlink: command name " +
                    JSON.stringify(name) +
                    " " +
                    problem +
                    "; use topic levels of letters, digits, _ and -",
            )
        for (const spec of this.specs) {
            if (spec.name === name)
                throw new Error(
                    "fieldlink: command " +
                        name +
                        " declared twice (interval, restart and stop are built in)",
                )
        }
        const kind: CommandKind =
            options !== undefined && options.kind !== undefined ? options.kind : "action"
        this.specs.push({
            name: name,
            kind: kind,
            run: async (payload: string) => {
                await handler(payload)
            },
        })
    }

    /** Publishes `payload` on `<root>/devices/<id>/<leaf>` (QoS 0); false when offline. */
    async publish(leaf: string, payload: string, retain?: boolean): Promise<boolean> {
        if (this.client === null) return false
        return await this.client.publish(this.topic(leaf), payload, retain === true)
    }

    private uptime(): number {
        return Math.floor((ds.millis() - this.started) / 1000)
    }
}

/** Reads the settings, starts the board, and (over WiFi) starts connecting in the background. */
async function start(options?: StartOptions): Promise<FieldlinkNode> {
    const loaded = await loadConfig()
    const config = loaded.config
    const fw = options !== undefined && options.fw !== undefined ? options.fw : FIRMWARE_VERSION
    if (config.transport === "serial") {
        quiet = true
        await startBoard(log)
        return new FieldlinkNode(config, loaded.intervalSet, fw)
    }
    for (const e of loaded.errors) log("config error: " + e)
    log(
        "device " +
            config.deviceId +
            " fw " +
            fw +
            " broker " +
            config.brokers.map(brokerAddressText).join(","),
    )
    await startBoard(log)
    const node = new FieldlinkNode(config, loaded.intervalSet, fw)
    // The connection fiber first runs when the program next awaits: commands declared
    // before that are in the table when a retained one arrives.
    node.client.start()
    return node
}

export const device = { start: start }
