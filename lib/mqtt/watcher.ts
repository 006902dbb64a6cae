/**
 * An mqtt.js connection for a long-running watcher of the fleet (dashboard, Home
 * Assistant discovery, the simulator's live view): it must reach the broker once at
 * start-up, with a message that says what to check when it does not; afterwards it
 * reconnects by itself. Given the nodes of one broker (a cluster, or brokers bridged on
 * the topic root), it starts on the first and tries the next one each time its
 * connection is lost, as the boards and the gateway do.
 */
import mqtt, { type IClientOptions, type MqttClient } from "mqtt"
import { socketAddress } from "./address.js"
import { safeUrl } from "./safe-url.js"

/** The nodes as mqtt.js's `servers`, which it takes in turn at each reconnect. */
function servers(nodes: readonly URL[]): IClientOptions["servers"] {
    return nodes.map(url => {
        const { host, port, tls } = socketAddress(url)
        return { host, port, protocol: tls ? "mqtts" : "mqtt" }
    })
}

/** Connects to `nodes` (one URL, or the nodes of one broker; credentials from the first). */
export async function connectWatcher(nodes: URL | readonly URL[], clientId: string): Promise<MqttClient> {
    const list: readonly URL[] = nodes instanceof URL ? [nodes] : nodes
    if (list.length === 0) throw new Error("connectWatcher: no broker given")
    try {
        return await mqtt.connectAsync(list[0]!.toString(), {
            clientId,
            reconnectPeriod: 1000,
            connectTimeout: 10000,
            ...(list.length > 1 ? { servers: servers(list) } : {}),
        })
    } catch (e) {
        throw new Error(
            `cannot reach the broker at ${list.map(safeUrl).join(", ")} (${(e as Error).message}); check --broker and that the broker is running`,
        )
    }
}
