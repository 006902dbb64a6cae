/**
 * The broker a scenario runs against, and how the run watches it.
 *
 * - Embedded (the default): the run owns it, so it can restart it as a fault, and it
 *   observes every PUBLISH inside the broker — wills included, and with no subscriber
 *   that could miss messages while it reconnects after a restart.
 * - External (a URL): observed through a subscriber, which a restart would blind, so
 *   broker faults are refused for it.
 */
import mqtt from "mqtt"
import { startEmbeddedBroker, type EmbeddedBroker } from "./embedded.js"

export interface ObservedPublish {
    topic: string
    payload: Buffer
    /** When the broker (or the subscriber) saw it, ms since the epoch. */
    at: number
}

export interface ScenarioBroker {
    readonly url: URL
    readonly restartable: boolean
    /** Down for `downMs`, then up again on the same port with empty state. */
    restart(downMs: number): Promise<void>
    close(): Promise<void>
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms))

export async function embeddedScenarioBroker(
    root: string,
    observe: (p: ObservedPublish) => void,
): Promise<ScenarioBroker> {
    let broker: EmbeddedBroker = await startEmbeddedBroker({ port: 0 })
    const port = broker.port
    const attach = (b: EmbeddedBroker) =>
        b.aedes.on("publish", packet => {
            if (packet.topic.startsWith(`${root}/`))
                observe({ topic: packet.topic, payload: Buffer.from(packet.payload), at: Date.now() })
        })
    attach(broker)
    let closed = false
    return {
        url: new URL(broker.url),
        restartable: true,
        async restart(downMs) {
            await broker.close()
            await sleep(downMs)
            if (closed) return
            broker = await startEmbeddedBroker({ port })
            attach(broker)
        },
        async close() {
            closed = true
            await broker.close()
        },
    }
}

export async function externalScenarioBroker(
    url: URL,
    root: string,
    observe: (p: ObservedPublish) => void,
): Promise<ScenarioBroker> {
    const client = await mqtt.connectAsync(url.toString(), {
        clientId: `fieldlink-scenario-${process.pid}`,
        reconnectPeriod: 500,
    })
    client.on("message", (topic, payload) => observe({ topic, payload, at: Date.now() }))
    await client.subscribeAsync(`${root}/#`, { qos: 1 })
    return {
        url,
        restartable: false,
        restart: () =>
            Promise.reject(new Error("broker-restart needs the embedded broker (no --broker URL)")),
        close: () => client.endAsync(),
    }
}
