/**
 * Settings for a simulated board, in the firmware's own setting names
 * (protocol/settings.ts), so that a simulated board is configured exactly like
 * a flashed one.
 */
import { SETTING_KEYS } from "@fieldlink/protocol/settings"
import type { BoardSettings } from "@fieldlink/devs-host"

export interface SimBoardConfig {
    deviceId: string
    broker: URL
    /**
     * Every node of the broker, in the order the board tries them (`mqtt_host` as a list;
     * docs/firmware.md). Default: `broker` alone. All use `broker`'s scheme and login.
     */
    brokers?: readonly URL[]
    topicRoot: string
    keepAliveSeconds: number
    intervalMs: number
    queueMax?: number
    board?: string
    /** Pins the firmware's reconnect jitter (`rand_seed`); unset = hardware entropy. */
    randomSeed?: number
    /** `serial`: the firmware speaks the gateway's line protocol on its log UART instead of MQTT. */
    transport?: "sim" | "serial"
}

export function simBoardSettings(c: SimBoardConfig): BoardSettings {
    const tls = c.broker.protocol === "mqtts:"
    const defaultPort = tls ? 8883 : 1883
    const nodes = c.brokers && c.brokers.length > 1 ? c.brokers : undefined
    const settings: Record<string, string | number | boolean> = {
        // One broker: host and port as always. Several: host:port,host:port.
        [SETTING_KEYS.brokerHost]: nodes
            ? nodes.map(u => `${u.hostname}:${u.port || defaultPort}`).join(",")
            : c.broker.hostname,
        [SETTING_KEYS.brokerPort]: c.broker.port && !nodes ? Number(c.broker.port) : defaultPort,
        [SETTING_KEYS.tls]: tls,
        [SETTING_KEYS.topicRoot]: c.topicRoot,
        [SETTING_KEYS.deviceId]: c.deviceId,
        [SETTING_KEYS.keepAliveSeconds]: c.keepAliveSeconds,
        [SETTING_KEYS.intervalMs]: c.intervalMs,
        [SETTING_KEYS.board]: c.board ?? "sim",
        [SETTING_KEYS.transport]: c.transport ?? "sim",
    }
    if (c.queueMax !== undefined) settings[SETTING_KEYS.queueMax] = c.queueMax
    if (c.randomSeed !== undefined) settings[SETTING_KEYS.randomSeed] = c.randomSeed
    if (c.broker.username) settings[SETTING_KEYS.username] = decodeURIComponent(c.broker.username)
    if (c.broker.password) settings[SETTING_KEYS.password] = decodeURIComponent(c.broker.password)
    return settings
}
