/**
 * An mqtt.js connection for a long-running watcher of the fleet (dashboard, Home
 * Assistant discovery): it must reach the broker once at start-up, with a message that
 * says what to check when it does not; afterwards it reconnects by itself.
 */
import mqtt, { type MqttClient } from "mqtt"

export async function connectWatcher(broker: URL, clientId: string): Promise<MqttClient> {
    try {
        return await mqtt.connectAsync(broker.toString(), {
            clientId,
            reconnectPeriod: 1000,
            connectTimeout: 10000,
        })
    } catch (e) {
        const shown = new URL(broker.toString())
        shown.username = ""
        shown.password = ""
        throw new Error(
            `cannot reach the broker at ${shown} (${(e as Error).message}); check --broker and that the broker is running`,
        )
    }
}
