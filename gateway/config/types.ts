/** The gateway's configuration once resolved: complete, checked, frozen, passed in. */

export type PortSelector =
    | { kind: "path"; path: string }
    | { kind: "glob"; pattern: string }
    | { kind: "usb"; vendorId?: string; productId?: string; serialNumber?: string }

export interface PortOptions {
    baudRate: number
    dataBits: 5 | 6 | 7 | 8
    parity: "none" | "even" | "odd" | "mark" | "space"
    stopBits: 1 | 1.5 | 2
    rtscts: boolean
    /** Seconds of silence (× 1.5) before a device is offline; 0 = never by silence. */
    live: number
    maxLineBytes: number
    checksum: "optional" | "required"
    acks: boolean
    /** Command names passed down even when retained (states the device restores); the rest are actions. */
    retainedCommands: readonly string[]
}

export interface PortConfig extends PortOptions {
    selector: PortSelector
    /** How the entry reads in logs: the path, the glob, or usb:vvvv:pppp. */
    label: string
    /** Device id until the device says hello (path entries only). */
    id?: string
}

export interface TlsConfig {
    ca?: Buffer
    cert?: Buffer
    key?: Buffer
    passphrase?: string
    servername?: string
    rejectUnauthorized: boolean
    /** The file names, for error messages (never the contents). */
    files: { ca?: string; cert?: string; key?: string }
}

export interface BrokerConfig {
    /** The first (or only) broker URL, without user info. */
    url: string
    /** Every broker node, in the order they are tried, without user info (`url` is the first). */
    urls: string[]
    protocolVersion: 4 | 5
    keepaliveS: number
    connectTimeoutMs: number
    clientIdPrefix: string
    username?: string
    password?: string
    qos: 0 | 1
    reconnect: { baseMs: number; capMs: number }
    tls?: TlsConfig
}

export interface QueueConfig {
    maxMessages: number
    maxBytes: number
    flushMs: number
    fsync: boolean
}

export interface GatewayConfig {
    id: string
    /** True when `id` is this machine's host name, not set on purpose. */
    idFromHostName: boolean
    topicRoot: string
    stateDir: string
    statsIntervalS: number
    scanIntervalMs: number
    /** `ts` on bridged JSON messages (queue/stamp.ts). */
    timestamp: "off" | "epoch" | "iso"
    broker: BrokerConfig
    queue: QueueConfig
    ports: PortConfig[]
    log: { level: string; format: "auto" | "json" | "pretty" }
    http: { enabled: boolean; host: string; port: number }
}

/** Deep-freezes a plain object graph (Buffers are left as they are). */
export function deepFreeze<T>(value: T): T {
    if (value && typeof value === "object" && !Buffer.isBuffer(value)) {
        for (const child of Object.values(value)) deepFreeze(child)
        Object.freeze(value)
    }
    return value
}
