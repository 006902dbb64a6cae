/**
 * The dashboard service: one mqtt.js connection watching the fleet under the topic root,
 * the fleet state built from it, and the HTTP server in front; Home Assistant discovery on
 * the same connection when asked for.
 */
import type { MqttClient } from "mqtt"
import { connectWatcher } from "@fieldlink/lib/mqtt/watcher"
import { safeUrl } from "@fieldlink/lib/mqtt/safe-url"
import type { AddressInfo } from "node:net"
import { deviceTopic } from "@fieldlink/protocol/fieldlink-topics"
import { HomeAssistantDiscovery } from "@fieldlink/homeassistant/service"
import { listenProblem } from "./access.js"
import { commandPayload } from "./commands.js"
import { FleetState } from "./fleet-state.js"
import { DashboardServer, type CommandResult } from "./server.js"

export interface DashboardOptions {
    broker: URL
    /** The nodes of one broker to watch, `broker` first: the next is tried when one goes. Default: `broker` alone. */
    nodes?: readonly URL[]
    topicRoot: string
    host: string
    /** 0 picks a free port. */
    port: number
    token?: string
    commands: boolean
    /** Home Assistant discovery on this connection, with this prefix. */
    homeAssistant?: { prefix: string; version: string }
    log?: (line: string) => void
    /** MQTT client id; default fieldlink-dashboard-<pid>-<random>. */
    clientId?: string
}

export interface Dashboard {
    /** The address to open, with the token when one is set. */
    url: string
    port: number
    state: FleetState
    client: MqttClient
    close(): Promise<void>
}

/** Starts everything; throws with a readable message on a refused configuration or a busy port. */
export async function startDashboard(o: DashboardOptions): Promise<Dashboard> {
    const problem = listenProblem(o.host, o.token)
    if (problem) throw new Error(problem)
    const state = new FleetState(o.topicRoot)
    const client = await connectWatcher(
        o.nodes ?? o.broker,
        o.clientId ?? `fieldlink-dashboard-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
    )
    const command = async (r: { deviceId: string; name: string; value: unknown }): Promise<CommandResult> => {
        const checked = commandPayload(r.deviceId, r.name, r.value)
        if ("error" in checked) return { status: 400, message: checked.error }
        if (!state.device(r.deviceId))
            return { status: 404, message: `no device '${r.deviceId}' under ${o.topicRoot}/devices/` }
        const topic = deviceTopic(o.topicRoot, r.deviceId, `cmd/${r.name}`)
        await client.publishAsync(topic, checked.payload, { qos: 0, retain: false })
        o.log?.(`dashboard: sent ${topic} = ${checked.payload}`)
        return { status: 202, message: `sent ${r.name} = ${checked.payload} to ${r.deviceId}` }
    }
    const server = new DashboardServer({
        token: o.token,
        commands: o.commands,
        snapshot: () => state.snapshot(),
        command,
        about: { broker: safeUrl(o.broker), topicRoot: o.topicRoot },
    })
    client.on("message", (topic, payload, packet) =>
        server.broadcast(state.apply(topic, payload.toString("utf8"), packet.retain)),
    )
    client.on("close", () => server.brokerState(false))
    client.on("connect", () => server.brokerState(true))
    const root = o.topicRoot
    // Discovery listens before any subscription, so it sees the retained info they bring.
    const ha = o.homeAssistant
        ? new HomeAssistantDiscovery({
              client,
              topicRoot: root,
              prefix: o.homeAssistant.prefix,
              version: o.homeAssistant.version,
              log: o.log,
          })
        : undefined
    await ha?.start()
    await client.subscribeAsync(
        [
            `${root}/devices/+/status`,
            `${root}/devices/+/info`,
            `${root}/devices/+/telemetry`,
            `${root}/gateways/+/status`,
            `${root}/gateways/+/stats`,
        ],
        { qos: 1 },
    )
    const ticker = setInterval(() => server.broadcast(state.tick()), 1000)
    ticker.unref()
    try {
        await new Promise<void>((resolve, reject) => {
            server.http.once("error", reject)
            server.http.listen(o.port, o.host, () => resolve())
        })
    } catch (e) {
        clearInterval(ticker)
        await client.endAsync()
        const err = e as NodeJS.ErrnoException
        if (err.code === "EADDRINUSE")
            throw Object.assign(
                new Error(`port ${o.port} on ${o.host} is taken; choose another with --port`),
                { code: err.code },
            )
        throw e
    }
    const port = (server.http.address() as AddressInfo).port
    const shownHost = o.host.includes(":") ? `[${o.host}]` : o.host
    return {
        url: `http://${shownHost}:${port}/${o.token ? `?token=${encodeURIComponent(o.token)}` : ""}`,
        port,
        state,
        client,
        close: async () => {
            clearInterval(ticker)
            await ha?.stop()
            await server.close()
            await client.endAsync()
        },
    }
}
