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

/** What a topic under the root is: a device's or a gateway's, and its leaf (`status`, `cmd/interval`, …). */
export interface FleetTopic {
    kind: "device" | "gateway"
    id: string
    leaf: string
}

/**
 * Parses `<root>/devices/<id>/<leaf>` or `<root>/gateways/<gw>/<leaf>`; null for any other
 * topic. The id is not validated here (see idError); the leaf may have several levels.
 */
export function parseFleetTopic(root: string, topic: string): FleetTopic | null {
    if (topic.length <= root.length + 1 || topic.slice(0, root.length + 1) !== root + "/") return null
    const rest = topic.slice(root.length + 1)
    let kind: "device" | "gateway"
    let after: string
    if (rest.slice(0, 8) === "devices/") {
        kind = "device"
        after = rest.slice(8)
    } else if (rest.slice(0, 9) === "gateways/") {
        kind = "gateway"
        after = rest.slice(9)
    } else return null
    const slash = after.indexOf("/")
    if (slash <= 0 || slash === after.length - 1) return null
    return { kind, id: after.slice(0, slash), leaf: after.slice(slash + 1) }
}
