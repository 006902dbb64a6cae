/**
 * fieldlink sensor firmware: reads the board's sensors every interval and publishes one
 * JSON sample per reading to `<root>/devices/<id>/telemetry` over our own MQTT client,
 * with a retained birth/will on `status`, a retained `info`, and commands on `cmd/#`.
 *
 * Log lines start with `fieldlink:` so the simulator and a person on the log UART can
 * follow what the board does.
 */
import * as ds from "@devicescript/core"
import { deviceTopic, STATUS_OFFLINE, STATUS_ONLINE } from "@fieldlink/protocol/fieldlink-topics"
import { randomBuffer } from "@devicescript/crypto"
import { DEFAULT_BACKOFF } from "@fieldlink/protocol/backoff"
import type { DeviceInfoPayload } from "@fieldlink/protocol/payloads"
import { mixSeed, xorshift32 } from "./core/random.js"
import { sampleJson } from "./core/sample.js"
import { MqttClient } from "./mqtt/client.js"
import { loadConfig } from "./app/settings-ds.js"
import { awaitSensors, readSensors } from "./app/sensors.js"
import { Telemetry } from "./app/telemetry.js"
import { COMMANDS, CommandContext } from "./app/commands.js"
import { CommandTable } from "./app/command-table.js"
import { startBoard } from "./board/profile.js"
import { SerialUplink, serialLiveSeconds } from "./app/serial-uplink.js"
import { FIRMWARE_VERSION } from "./version.js"

/** 32 bits from the hardware random number generator. */
function entropy(): number {
    return randomBuffer(4).readUInt32LE(0)
}

/** In the serial transport the log UART carries the line protocol: no diagnostics there. */
let quiet = false

function log(line: string) {
    if (!quiet) console.log("fieldlink: " + line)
}

/** The serial transport: samples as protocol lines on the log UART, no MQTT (app/serial-uplink.ts). */
async function runSerial(id: string, board: string, intervalMs: number) {
    quiet = true
    const uplink = new SerialUplink(id, board, serialLiveSeconds(intervalMs))
    const started = ds.millis()
    await awaitSensors(2000)
    let seq = 0
    while (true) {
        const dueAt = ds.millis() + intervalMs
        seq++
        uplink.send(sampleJson(seq, await readSensors(), Math.floor((ds.millis() - started) / 1000)))
        const wait = dueAt - ds.millis()
        if (wait > 0) await ds.sleep(wait)
    }
}

async function main() {
    const { config, errors } = await loadConfig()
    if (config.transport === "serial") {
        quiet = true
        await startBoard(log)
        await runSerial(config.deviceId, config.board, config.intervalMs)
        return
    }
    for (const e of errors) log("config error: " + e)
    const id = config.deviceId
    const topic = (leaf: string) => deviceTopic(config.topicRoot, id, leaf)
    log("device " + id + " fw " + FIRMWARE_VERSION + " broker " + config.brokerHost + ":" + config.brokerPort)
    await startBoard(log)

    const state = { intervalMs: config.intervalMs, seq: 0 }
    const intervalChanged = ds.emitter<number>()
    let telemetry: Telemetry = null
    // One table for the whole run: a retained command is reported once, not at every reconnection.
    const commands = new CommandTable<CommandContext>(config.topicRoot, id, COMMANDS, log)
    let commandContext: CommandContext = null
    const client = new MqttClient(
        {
            host: config.brokerHost,
            port: config.brokerPort,
            tls: config.tls,
            clientId: "fieldlink-" + id,
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
            duplicateHint: "two boards with device id " + id + "? give each its own device id",
            random: xorshift32(mixSeed(config.randomSeed !== 0 ? config.randomSeed : entropy(), id)),
        },
        {
            online: async () => {
                const info: DeviceInfoPayload = {
                    id: id,
                    fw: FIRMWARE_VERSION,
                    board: config.board,
                    transport: config.transport,
                    interval_ms: state.intervalMs,
                    keepalive_s: config.keepAliveSeconds,
                }
                await client.publish(topic("info"), JSON.stringify(info), true)
                log("online")
                await telemetry.flush()
            },
            message: async (t: string, payload: Buffer, retained: boolean) => {
                await commands.dispatch(t, payload.toString("utf-8"), retained, commandContext)
            },
            log: log,
        }
    )
    commandContext = {
        state: state,
        intervalChanged: () => intervalChanged.emit(state.intervalMs),
        client: client,
        log: log,
    }
    telemetry = new Telemetry(client, topic("telemetry"), config.queueMax, () => ds.millis())
    client.start()

    const started = ds.millis()
    await awaitSensors(2000)
    while (true) {
        const dueAt = ds.millis() + state.intervalMs
        const readings = await readSensors()
        const takenAt = ds.millis()
        state.seq++
        const json = sampleJson(state.seq, readings, Math.floor((takenAt - started) / 1000))
        await telemetry.send(json, takenAt)
        // A new interval (cmd/interval) ends the wait early and applies from this sample on.
        const wait = dueAt - ds.millis()
        if (wait > 0) await ds.wait(intervalChanged, wait)
    }
}

main.start()
