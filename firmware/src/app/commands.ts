/**
 * Commands arriving on `<root>/devices/<id>/cmd/<name>` (see command-table.ts for how
 * the retain flag is treated):
 * - `interval` <ms> (state): telemetry period, 100 ms to 24 h; a sample is taken at once,
 *   then every <ms>. A retained value is restored at every connection.
 * - `restart` (action): graceful (offline, DISCONNECT), then the program restarts and
 *   reconnects.
 * - `stop` (action): graceful offline; the board stays off the broker until it is
 *   restarted.
 */
import * as ds from "@devicescript/core"
import { parseIntervalMs } from "@fieldlink/protocol/settings"
import { MqttClient } from "../mqtt/client.js"
import { CommandSpec } from "./command-table.js"

export interface CommandContext {
    state: { intervalMs: number }
    /** Wakes the sampling loop so a new interval applies at once. */
    intervalChanged(): void
    client: MqttClient
    log(line: string): void
}

async function setInterval(payload: string, ctx: CommandContext): Promise<void> {
    const ms = parseIntervalMs(payload.trim())
    if (isNaN(ms)) {
        ctx.log(
            "cmd interval: rejected " + JSON.stringify(payload) + ", expected whole ms from 100 to 86400000",
        )
        return
    }
    ctx.state.intervalMs = ms
    ctx.log("cmd interval: now " + ms + " ms")
    ctx.intervalChanged()
}

async function restart(payload: string, ctx: CommandContext): Promise<void> {
    ctx.log("cmd restart")
    await ctx.client.stop()
    ds.restart()
}

async function stop(payload: string, ctx: CommandContext): Promise<void> {
    ctx.log("cmd stop")
    await ctx.client.stop()
    ctx.log("stopped")
}

export const COMMANDS: CommandSpec<CommandContext>[] = [
    { name: "interval", kind: "state", run: setInterval },
    { name: "restart", kind: "action", run: restart },
    { name: "stop", kind: "action", run: stop },
]
