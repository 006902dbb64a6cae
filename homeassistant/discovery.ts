/**
 * Home Assistant MQTT discovery messages for fieldlink devices and gateways (DESIGN §7):
 * one retained config per entity at `<prefix>/<component>/<node>/<object>/config`, and an
 * empty retained payload at the same topic to remove it. Pure: the service decides when.
 *
 * Field names are Home Assistant's long forms (homeassistant/components/mqtt/schemas.py,
 * sensor.py, number.py, button.py); test/homeassistant/ha-schema.ts checks every payload
 * against the rules read from those files.
 */
import {
    deviceTopic,
    gatewayTopic,
    STATUS_OFFLINE,
    STATUS_ONLINE,
} from "@fieldlink/protocol/fieldlink-topics"
import { readingName, type ReadingClass } from "./readings.js"

export const DEFAULT_DISCOVERY_PREFIX = "homeassistant"

export interface DiscoveryContext {
    /** Discovery prefix, `homeassistant` unless Home Assistant is configured otherwise. */
    prefix: string
    topicRoot: string
    /** fieldlink's version, sent as the origin's `sw_version`. */
    version: string
}

/** What a device's retained `info` says (DESIGN §1); every field may be missing. */
export interface DeviceInfo {
    fw?: unknown
    board?: unknown
    transport?: unknown
    gateway?: unknown
    interval_ms?: unknown
}

export interface DiscoveryMessage {
    topic: string
    /** JSON config, or "" to remove the entity. */
    payload: string
}

/** A topic root as one discovery topic level: `fieldlink`, `site_a_fieldlink` for `site-a/fieldlink`. */
function rootSlug(root: string): string {
    return root.replace(/[^A-Za-z0-9_-]/g, "_")
}

/**
 * The node id (second-to-last discovery level) and the device identifier: stable for as
 * long as the topic root and the device id stay the same, whatever restarts.
 */
export function deviceNode(topicRoot: string, deviceId: string): string {
    return `${rootSlug(topicRoot)}_device_${deviceId}`
}

export function gatewayNode(topicRoot: string, gatewayId: string): string {
    return `${rootSlug(topicRoot)}_gateway_${gatewayId}`
}

/** Whether a discovery node level belongs to this topic root's fleet (for forgetting). */
export function ownsNode(topicRoot: string, node: string): boolean {
    return (
        node.startsWith(`${rootSlug(topicRoot)}_device_`) ||
        node.startsWith(`${rootSlug(topicRoot)}_gateway_`)
    )
}

export function configTopic(prefix: string, component: string, node: string, object: string): string {
    return `${prefix}/${component}/${node}/${object}/config`
}

function text(value: unknown): string | undefined {
    return typeof value === "string" && value !== "" ? value : undefined
}

function origin(ctx: DiscoveryContext) {
    return { name: "fieldlink", sw_version: ctx.version }
}

function availability(topic: string) {
    // fieldlink's status payloads are Home Assistant's defaults; said anyway, for readers.
    return {
        availability_topic: topic,
        payload_available: STATUS_ONLINE,
        payload_not_available: STATUS_OFFLINE,
    }
}

function deviceBlock(ctx: DiscoveryContext, deviceId: string, info: DeviceInfo) {
    const gateway = text(info.gateway)
    const model = text(info.board)
    const sw = text(info.fw)
    return {
        identifiers: [deviceNode(ctx.topicRoot, deviceId)],
        name: deviceId,
        manufacturer: "fieldlink",
        ...(model ? { model } : {}),
        ...(sw ? { sw_version: sw } : {}),
        ...(gateway ? { via_device: gatewayNode(ctx.topicRoot, gateway) } : {}),
    }
}

/** Readings, in the order given: one `sensor` each. */
export function readingConfigs(
    ctx: DiscoveryContext,
    deviceId: string,
    info: DeviceInfo,
    readings: Map<string, ReadingClass>,
): DiscoveryMessage[] {
    const node = deviceNode(ctx.topicRoot, deviceId)
    const device = deviceBlock(ctx, deviceId, info)
    const out: DiscoveryMessage[] = []
    for (const [key, c] of readings) {
        const config = {
            name: readingName(key),
            unique_id: `${node}_${key}`,
            state_topic: deviceTopic(ctx.topicRoot, deviceId, "telemetry"),
            // The key is [A-Za-z][A-Za-z0-9_]*: safe in a template without quoting.
            value_template: `{{ value_json.${key} }}`,
            ...(c.deviceClass ? { device_class: c.deviceClass } : {}),
            ...(c.unit ? { unit_of_measurement: c.unit } : {}),
            state_class: c.stateClass,
            ...(c.diagnostic ? { entity_category: "diagnostic" } : {}),
            ...availability(deviceTopic(ctx.topicRoot, deviceId, "status")),
            device,
            origin: origin(ctx),
        }
        out.push({ topic: configTopic(ctx.prefix, "sensor", node, key), payload: JSON.stringify(config) })
    }
    return out
}

/**
 * The commands a device advertises: a board running the fieldlink firmware says its
 * `interval_ms` in `info` and obeys `cmd/interval` and `cmd/restart` (docs/firmware.md);
 * others (serial devices behind the gateway) get none.
 */
export function commandConfigs(
    ctx: DiscoveryContext,
    deviceId: string,
    info: DeviceInfo,
): DiscoveryMessage[] {
    if (typeof info.interval_ms !== "number") return []
    const node = deviceNode(ctx.topicRoot, deviceId)
    const common = {
        ...availability(deviceTopic(ctx.topicRoot, deviceId, "status")),
        device: deviceBlock(ctx, deviceId, info),
        origin: origin(ctx),
    }
    // No state_topic: the board says its interval only at connect time, so Home Assistant
    // keeps the value it last sent (optimistic) rather than showing a stale one.
    const interval = {
        name: "Interval",
        unique_id: `${node}_interval`,
        command_topic: deviceTopic(ctx.topicRoot, deviceId, "cmd/interval"),
        min: 100,
        max: 86400000,
        step: 100,
        mode: "box",
        unit_of_measurement: "ms",
        entity_category: "config",
        ...common,
    }
    const restart = {
        name: "Restart",
        unique_id: `${node}_restart`,
        command_topic: deviceTopic(ctx.topicRoot, deviceId, "cmd/restart"),
        device_class: "restart",
        entity_category: "config",
        ...common,
    }
    return [
        { topic: configTopic(ctx.prefix, "number", node, "interval"), payload: JSON.stringify(interval) },
        { topic: configTopic(ctx.prefix, "button", node, "restart"), payload: JSON.stringify(restart) },
    ]
}

/** A gateway as a device of its own (bridged devices name it as `via_device`), with its queue and drops. */
export function gatewayConfigs(ctx: DiscoveryContext, gatewayId: string): DiscoveryMessage[] {
    const node = gatewayNode(ctx.topicRoot, gatewayId)
    const common = {
        state_topic: gatewayTopic(ctx.topicRoot, gatewayId, "stats"),
        entity_category: "diagnostic",
        ...availability(gatewayTopic(ctx.topicRoot, gatewayId, "status")),
        device: {
            identifiers: [node],
            name: gatewayId,
            manufacturer: "fieldlink",
            model: "fieldlink gateway",
        },
        origin: origin(ctx),
    }
    const queued = {
        name: "Queued",
        unique_id: `${node}_queued`,
        value_template: "{{ value_json.totals.queued }}",
        state_class: "measurement",
        ...common,
    }
    const drops = {
        name: "Drops",
        unique_id: `${node}_drops`,
        value_template: "{{ value_json.totals.drops }}",
        state_class: "total_increasing",
        ...common,
    }
    return [
        { topic: configTopic(ctx.prefix, "sensor", node, "queued"), payload: JSON.stringify(queued) },
        { topic: configTopic(ctx.prefix, "sensor", node, "drops"), payload: JSON.stringify(drops) },
    ]
}

/** The messages that remove what `configs` announced. */
export function removals(configs: DiscoveryMessage[]): DiscoveryMessage[] {
    return configs.map(m => ({ topic: m.topic, payload: "" }))
}
