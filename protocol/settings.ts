/**
 * Firmware settings: names, defaults and validation, kept pure so that Node tests cover
 * them and the firmware only supplies a `read(key)` over DeviceScript settings.
 *
 * Setting names are at most 13 characters: @devicescript/settings refuses longer keys.
 * An invalid value is never silently used: it is reported and its default applies.
 */
import { idError } from "./mqtt/topics.js"
import { BrokerAddress, parseBrokerHosts } from "./broker-hosts.js"
import { integer, isWholeIn } from "./whole-number.js"

export interface FirmwareConfig {
    /** The setting `mqtt_host` as written: one host, or several separated by commas. */
    brokerHost: string
    /** The setting `mqtt_port`: the port of every host listed without one. */
    brokerPort: number
    /** The broker nodes `mqtt_host` lists, in the order they are tried (at least one). */
    brokers: BrokerAddress[]
    tls: boolean
    username: string
    password: string
    topicRoot: string
    /** Empty means: derive from the hardware id. */
    deviceId: string
    intervalMs: number
    keepAliveSeconds: number
    queueMax: number
    board: string
    transport: string
    /** Seed of the reconnect jitter; 0 means hardware entropy (the normal case). */
    randomSeed: number
}

/** Setting key → what it holds, for docs and `fieldlink` tooling. */
export const SETTING_KEYS = {
    brokerHost: "mqtt_host",
    brokerPort: "mqtt_port",
    tls: "mqtt_tls",
    username: "mqtt_user",
    password: "mqtt_pass",
    topicRoot: "topic_root",
    deviceId: "device_id",
    intervalMs: "interval_ms",
    keepAliveSeconds: "keepalive_s",
    queueMax: "queue_max",
    board: "board",
    transport: "transport",
    randomSeed: "rand_seed",
}

export const DEFAULT_CONFIG: FirmwareConfig = {
    brokerHost: "mqtt.local",
    brokerPort: 1883,
    brokers: [{ host: "mqtt.local", port: 1883 }],
    tls: false,
    username: "",
    password: "",
    topicRoot: "fieldlink",
    deviceId: "",
    intervalMs: 10000,
    keepAliveSeconds: 60,
    queueMax: 32,
    board: "unknown",
    transport: "wifi",
    randomSeed: 0,
}

export const MIN_INTERVAL_MS = 100
export const MAX_INTERVAL_MS = 86400000
/** Each queued sample costs about 93 bytes of heap (measured); see docs/firmware.md for the budget. */
export const MAX_QUEUE = 128

/** A raw value as DeviceScript settings return it: string, number, boolean or undefined. */
export type RawSetting = string | number | boolean | undefined

export interface ResolvedConfig {
    config: FirmwareConfig
    /** One sentence per rejected setting: which, what was found, what is expected. */
    errors: string[]
}

/** Interval of a `cmd/interval` payload or setting: whole ms in range, else NaN. */
export function parseIntervalMs(raw: RawSetting): number {
    const n = integer(raw)
    return isWholeIn(n, MIN_INTERVAL_MS, MAX_INTERVAL_MS) ? n : NaN
}

export function resolveConfig(read: (key: string) => RawSetting): ResolvedConfig {
    const c: FirmwareConfig = {
        brokerHost: DEFAULT_CONFIG.brokerHost,
        brokerPort: DEFAULT_CONFIG.brokerPort,
        brokers: [],
        tls: DEFAULT_CONFIG.tls,
        username: DEFAULT_CONFIG.username,
        password: DEFAULT_CONFIG.password,
        topicRoot: DEFAULT_CONFIG.topicRoot,
        deviceId: DEFAULT_CONFIG.deviceId,
        intervalMs: DEFAULT_CONFIG.intervalMs,
        keepAliveSeconds: DEFAULT_CONFIG.keepAliveSeconds,
        queueMax: DEFAULT_CONFIG.queueMax,
        board: DEFAULT_CONFIG.board,
        transport: DEFAULT_CONFIG.transport,
        randomSeed: DEFAULT_CONFIG.randomSeed,
    }
    const errors: string[] = []
    const reject = (key: string, raw: RawSetting, expected: string) => {
        errors.push(
            "setting " +
                key +
                ": found " +
                JSON.stringify(raw) +
                ", expected " +
                expected +
                "; using the default",
        )
    }
    const text = (key: string, fallback: string): string => {
        const raw = read(key)
        if (raw === undefined || raw === null) return fallback
        if (typeof raw === "string") return raw
        if (typeof raw === "number" || typeof raw === "boolean") return "" + raw
        return fallback
    }
    const whole = (key: string, fallback: number, min: number, max: number): number => {
        const raw = read(key)
        if (raw === undefined || raw === null || raw === "") return fallback
        const n = integer(raw)
        if (isWholeIn(n, min, max)) return n
        reject(key, raw, "a whole number from " + min + " to " + max)
        return fallback
    }
    const flag = (key: string, fallback: boolean): boolean => {
        const raw = read(key)
        if (raw === undefined || raw === null || raw === "") return fallback
        if (raw === true || raw === 1 || raw === "1" || raw === "true") return true
        if (raw === false || raw === 0 || raw === "0" || raw === "false") return false
        reject(key, raw, "true or false")
        return fallback
    }
    const k = SETTING_KEYS
    c.brokerPort = whole(k.brokerPort, c.brokerPort, 1, 65535)
    c.brokerHost = text(k.brokerHost, c.brokerHost)
    // A list of nodes: a bad entry is named and left out; the others are still tried.
    const hosts = parseBrokerHosts(c.brokerHost, c.brokerPort)
    const fallback = hosts.brokers.length > 0 ? "skipping it" : "using the default"
    for (const e of hosts.errors) errors.push("setting " + k.brokerHost + ": " + e + "; " + fallback)
    if (c.brokerHost.trim().length === 0) reject(k.brokerHost, c.brokerHost, "a host name or address")
    if (hosts.brokers.length > 0) c.brokers = hosts.brokers
    else {
        c.brokerHost = DEFAULT_CONFIG.brokerHost
        c.brokers = [{ host: DEFAULT_CONFIG.brokerHost, port: c.brokerPort }]
    }
    c.tls = flag(k.tls, c.tls)
    c.username = text(k.username, c.username)
    c.password = text(k.password, c.password)
    c.intervalMs = whole(k.intervalMs, c.intervalMs, MIN_INTERVAL_MS, MAX_INTERVAL_MS)
    c.keepAliveSeconds = whole(k.keepAliveSeconds, c.keepAliveSeconds, 0, 65535)
    c.queueMax = whole(k.queueMax, c.queueMax, 1, MAX_QUEUE)
    c.board = text(k.board, c.board)
    c.transport = text(k.transport, c.transport)
    c.randomSeed = whole(k.randomSeed, c.randomSeed, 0, 4294967295)

    const root = text(k.topicRoot, c.topicRoot)
    if (root.length === 0 || root.indexOf("+") >= 0 || root.indexOf("#") >= 0 || root.charAt(0) === "$")
        reject(k.topicRoot, root, "a topic prefix without +, # or a leading $")
    else c.topicRoot = root

    const id = text(k.deviceId, "")
    if (id.length > 0) {
        const why = idError(id)
        if (why) reject(k.deviceId, id, "an id of 1-64 letters, digits, _ or - (" + why + ")")
        else c.deviceId = id
    }
    return { config: c, errors: errors }
}
