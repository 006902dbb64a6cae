/**
 * Watches a broker the way a user's MQTT tool would and turns fieldlink traffic into
 * one readable line per message: what `fieldlink sim` prints.
 */
import type { MqttClient } from "mqtt"
import { connectWatcher } from "@fieldlink/lib/mqtt/watcher"
import { randomUUID } from "node:crypto"

export interface DeviceEvent {
    deviceId: string
    /** `status`, `info`, `telemetry`, or the rest of the topic under the device. */
    kind: string
    text: string
}

/** Parses `<root>/devices/<id>/<rest>`; null for any other topic. Pure. */
export function deviceEvent(root: string, topic: string, payload: string): DeviceEvent | null {
    const prefix = `${root}/devices/`
    if (!topic.startsWith(prefix)) return null
    const rest = topic.slice(prefix.length)
    const slash = rest.indexOf("/")
    if (slash <= 0 || slash === rest.length - 1) return null
    return { deviceId: rest.slice(0, slash), kind: rest.slice(slash + 1), text: payload }
}

/** `seq=4 temperature_c=21.1 humidity_pct=45` for a JSON sample; the text otherwise. Pure. */
export function describeEvent(e: DeviceEvent): string {
    if (e.kind === "telemetry" || e.kind === "info") {
        try {
            const value = JSON.parse(e.text) as Record<string, unknown>
            return Object.entries(value)
                .map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`)
                .join(" ")
        } catch {
            return e.text
        }
    }
    return e.text === "" ? "(empty)" : e.text
}

/** Watches `nodes` (one broker, or the nodes of one: it moves to the next when one goes). */
export async function startMonitor(
    nodes: URL | readonly URL[],
    root: string,
    onEvent: (e: DeviceEvent) => void,
): Promise<MqttClient> {
    // Not the pid: shards of one fleet in CI containers often share it, and one broker
    // takes a connection over when a second one brings the same client id.
    const client = await connectWatcher(nodes, `fieldlink-monitor-${randomUUID().slice(0, 13)}`)
    client.on("message", (topic, payload) => {
        const e = deviceEvent(root, topic, payload.toString("utf8"))
        if (e) onEvent(e)
    })
    await client.subscribeAsync(`${root}/devices/+/#`)
    return client
}
