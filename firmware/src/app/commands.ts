/**
 * Commands arriving on `<root>/devices/<id>/cmd/<name>`:
 * - `interval` <ms>: telemetry period, 100 ms to 24 h; a sample is taken at once, then
 *   every <ms>.
 * - `restart`: graceful (offline, DISCONNECT), then the program restarts and reconnects.
 * - `stop`: graceful offline; the board stays off the broker until it is restarted.
 */
import * as ds from "@devicescript/core"
import { commandName } from "@fieldlink/protocol/fieldlink-topics"
import { parseIntervalMs } from "@fieldlink/protocol/settings"
import { MqttClient } from "../mqtt/client.js"

export interface CommandContext {
    root: string
    deviceId: string
    state: { intervalMs: number }
    /** Wakes the sampling loop so a new interval applies at once. */
    intervalChanged(): void
    client: MqttClient
    log(line: string): void
}

export async function handleCommand(topic: string, payload: string, ctx: CommandContext): Promise<void> {
    const name = commandName(ctx.root, ctx.deviceId, topic)
    if (name === null) return
    if (name === "interval") {
        const ms = parseIntervalMs(payload.trim())
        if (isNaN(ms)) ctx.log("cmd interval: rejected " + JSON.stringify(payload) + ", expected whole ms from 100 to 86400000")
        else {
            ctx.state.intervalMs = ms
            ctx.log("cmd interval: now " + ms + " ms")
            ctx.intervalChanged()
        }
    } else if (name === "restart") {
        ctx.log("cmd restart")
        await ctx.client.stop()
        ds.restart()
    } else if (name === "stop") {
        ctx.log("cmd stop")
        await ctx.client.stop()
        ctx.log("stopped")
    } else {
        ctx.log("cmd " + name + ": unknown command")
    }
}
