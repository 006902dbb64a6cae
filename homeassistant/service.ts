/**
 * Home Assistant discovery for a whole fleet, run on the host: watches every device's
 * `info` and `telemetry` and every gateway's `status` under the topic root, and keeps
 * one retained discovery config per entity on the broker. It covers WiFi boards, serial
 * devices behind the gateway and simulated boards alike, since they all look the same
 * on the broker (DESIGN §1), and keeps the firmware small.
 *
 * - A device is announced once its retained `info` is known; each numeric reading when
 *   it first appears in a sample.
 * - Everything is announced again when Home Assistant's birth (`<prefix>/status` =
 *   `online`) arrives, and when a device's `info` changes (a new firmware version).
 * - A device is **forgotten** when its retained `info` is cleared (an empty retained
 *   message, `mosquitto_pub -r -n -t <root>/devices/<id>/info`); a gateway when its
 *   retained `status` is cleared. Then every config under its node is cleared too,
 *   including those announced by an earlier run (learned from the retained configs).
 */
import type { MqttClient } from "mqtt"
import { idError } from "@fieldlink/protocol/mqtt"
import { parseFleetTopic } from "@fieldlink/protocol/fieldlink-topics"
import {
    commandConfigs,
    deviceNode,
    gatewayConfigs,
    gatewayNode,
    ownsNode,
    readingConfigs,
    type DeviceInfo,
    type DiscoveryContext,
    type DiscoveryMessage,
} from "./discovery.js"
import { readingsOf, type ReadingClass } from "./readings.js"

export interface HomeAssistantOptions extends DiscoveryContext {
    client: MqttClient
    log?: (line: string) => void
}

interface DeviceState {
    info?: DeviceInfo
    infoText?: string
    readings: Map<string, ReadingClass>
}

/** `<prefix>/<component>/<node>/<object>/config` → node, or null. */
function configNode(prefix: string, topic: string): string | null {
    if (!topic.startsWith(`${prefix}/`) || !topic.endsWith("/config")) return null
    const levels = topic.slice(prefix.length + 1).split("/")
    return levels.length === 4 ? levels[1] : null
}

export class HomeAssistantDiscovery {
    private readonly devices = new Map<string, DeviceState>()
    private readonly gateways = new Set<string>()
    /** Config topics on the broker under each node of ours, as the broker reports them. */
    private readonly retained = new Map<string, Set<string>>()
    private readonly onMessage = (topic: string, payload: Buffer) =>
        this.handle(topic, payload.toString("utf8"))
    private filters: string[] = []

    constructor(private readonly o: HomeAssistantOptions) {}

    async start(): Promise<void> {
        const { topicRoot: root, prefix } = this.o
        this.filters = [
            `${prefix}/+/+/+/config`,
            `${root}/devices/+/info`,
            `${root}/devices/+/telemetry`,
            `${root}/gateways/+/status`,
            `${prefix}/status`,
        ]
        this.o.client.on("message", this.onMessage)
        await this.o.client.subscribeAsync(this.filters, { qos: 1 })
    }

    async stop(): Promise<void> {
        this.o.client.off("message", this.onMessage)
        if (this.o.client.connected) await this.o.client.unsubscribeAsync(this.filters).catch(() => undefined)
    }

    /** Device ids announced so far (for tests and the dashboard). */
    announcedDevices(): string[] {
        return [...this.devices.entries()].filter(([, d]) => d.info).map(([id]) => id)
    }

    private handle(topic: string, text: string): void {
        const { prefix, topicRoot } = this.o
        if (topic === `${prefix}/status`) {
            if (text === "online") this.announceAll("Home Assistant came online")
            return
        }
        const node = configNode(prefix, topic)
        if (node !== null) {
            if (!ownsNode(topicRoot, node)) return
            const set = this.retained.get(node) ?? new Set<string>()
            if (text === "") set.delete(topic)
            else set.add(topic)
            this.retained.set(node, set)
            return
        }
        const t = parseFleetTopic(topicRoot, topic)
        if (!t || idError(t.id) !== null) return
        if (t.kind === "gateway" && t.leaf === "status") {
            if (text === "") return this.forgetGateway(t.id)
            if (!this.gateways.has(t.id)) {
                this.gateways.add(t.id)
                this.publish(gatewayConfigs(this.o, t.id))
            }
        } else if (t.kind === "device" && t.leaf === "info") {
            if (text === "") return this.forgetDevice(t.id)
            this.info(t.id, text)
        } else if (t.kind === "device" && t.leaf === "telemetry") {
            this.telemetry(t.id, text)
        }
    }

    private state(id: string): DeviceState {
        let d = this.devices.get(id)
        if (!d) this.devices.set(id, (d = { readings: new Map() }))
        return d
    }

    private info(id: string, text: string): void {
        let info: unknown
        try {
            info = JSON.parse(text)
        } catch {
            this.o.log?.(`home assistant: ${id}: info is not JSON, not announced: ${text.slice(0, 80)}`)
            return
        }
        if (info === null || typeof info !== "object" || Array.isArray(info)) {
            this.o.log?.(`home assistant: ${id}: info is not a JSON object, not announced`)
            return
        }
        const d = this.state(id)
        if (d.infoText === text) return
        d.info = info as DeviceInfo
        d.infoText = text
        this.publish([
            ...readingConfigs(this.o, id, d.info, d.readings),
            ...commandConfigs(this.o, id, d.info),
        ])
    }

    private telemetry(id: string, text: string): void {
        const d = this.state(id)
        const fresh = new Map([...readingsOf(text)].filter(([key]) => !d.readings.has(key)))
        if (fresh.size === 0) return
        for (const [key, c] of fresh) d.readings.set(key, c)
        if (d.info) this.publish(readingConfigs(this.o, id, d.info, fresh))
    }

    private announceAll(why: string): void {
        const messages: DiscoveryMessage[] = []
        for (const gw of this.gateways) messages.push(...gatewayConfigs(this.o, gw))
        for (const [id, d] of this.devices)
            if (d.info)
                messages.push(
                    ...readingConfigs(this.o, id, d.info, d.readings),
                    ...commandConfigs(this.o, id, d.info),
                )
        this.o.log?.(`home assistant: ${why}: ${messages.length} config(s) announced again`)
        this.publish(messages)
    }

    private forgetDevice(id: string): void {
        const d = this.devices.get(id)
        this.devices.delete(id)
        const mine = d?.info
            ? [...readingConfigs(this.o, id, d.info, d.readings), ...commandConfigs(this.o, id, d.info)].map(
                  m => m.topic,
              )
            : []
        this.clearNode(
            deviceNode(this.o.topicRoot, id),
            mine,
            `device ${id} forgotten (its info was cleared)`,
        )
    }

    private forgetGateway(id: string): void {
        this.gateways.delete(id)
        this.clearNode(
            gatewayNode(this.o.topicRoot, id),
            gatewayConfigs(this.o, id).map(m => m.topic),
            `gateway ${id} forgotten (its status was cleared)`,
        )
    }

    private clearNode(node: string, known: string[], why: string): void {
        const topics = new Set([...known, ...(this.retained.get(node) ?? [])])
        this.retained.delete(node)
        if (topics.size === 0) return
        this.o.log?.(`home assistant: ${why}: ${topics.size} config(s) removed`)
        this.publish([...topics].map(topic => ({ topic, payload: "" })))
    }

    private publish(messages: DiscoveryMessage[]): void {
        for (const m of messages) {
            this.o.client.publish(m.topic, m.payload, { retain: true, qos: 1 }, error => {
                if (error) this.o.log?.(`home assistant: could not publish ${m.topic}: ${error.message}`)
            })
        }
    }
}
