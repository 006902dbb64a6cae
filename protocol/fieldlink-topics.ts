/**
 * The fieldlink topic layout (DESIGN §1). One device looks the same on every path —
 * WiFi firmware, gateway, simulator — so every part builds its topics here.
 */

export const DEFAULT_TOPIC_ROOT = "fieldlink"
export const STATUS_ONLINE = "online"
export const STATUS_OFFLINE = "offline"

/** `<root>/devices/<id>/<leaf>`, e.g. leaf `status`, `info`, `telemetry`, `cmd/#`. */
export function deviceTopic(root: string, deviceId: string, leaf: string): string {
    return root + "/devices/" + deviceId + "/" + leaf
}

/** `<root>/gateways/<gw>/<leaf>`, leaf `status` or `stats`. */
export function gatewayTopic(root: string, gatewayId: string, leaf: string): string {
    return root + "/gateways/" + gatewayId + "/" + leaf
}

/** The command name of `<root>/devices/<id>/cmd/<name>`, or null when `topic` is not one. */
export function commandName(root: string, deviceId: string, topic: string): string | null {
    const prefix = deviceTopic(root, deviceId, "cmd/")
    if (topic.length <= prefix.length || topic.slice(0, prefix.length) !== prefix) return null
    return topic.slice(prefix.length)
}
