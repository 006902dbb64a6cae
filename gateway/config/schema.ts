/**
 * The gateway's configuration file, as one JSON Schema (draft-07, checked by ajv with
 * defaults filled in). Titles and descriptions are the reference; docs/gateway.md shows
 * them in use. Rules that span fields are checked after the schema, in resolve.ts.
 */

const secret = (what: string) => ({
    title: what,
    description: `${what}: a string, or { env: NAME } to read an environment variable, or { file: PATH } to read a file (e.g. a systemd credential).`,
    type: ["string", "object"],
    properties: {
        env: { type: "string", minLength: 1, description: "Name of the environment variable that holds it." },
        file: {
            type: "string",
            minLength: 1,
            description: "File that holds it (one trailing newline is dropped).",
        },
    },
    additionalProperties: false,
})

const id = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$" }

/** A command name as it follows `cmd/`: one or more levels (protocol/serial/reply.ts cmdLine). */
export const COMMAND_NAME_PATTERN = "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$"

const portOptions = {
    baudRate: {
        title: "Baud rate",
        type: "integer",
        minimum: 50,
        maximum: 4000000,
        description: "Line speed. Ignored by USB-CDC devices and pseudo-terminals.",
    },
    dataBits: { type: "integer", enum: [5, 6, 7, 8] },
    parity: { type: "string", enum: ["none", "even", "odd", "mark", "space"] },
    stopBits: { type: "number", enum: [1, 1.5, 2] },
    rtscts: { type: "boolean", description: "Hardware flow control." },
    live: {
        title: "Liveness interval (s)",
        type: "integer",
        minimum: 0,
        maximum: 86400,
        description:
            "Longest silence before the device may be called offline (× 1.5). A device's hello live= overrides it; 0 turns the silence check off.",
    },
    maxLineBytes: {
        title: "Longest line (bytes)",
        type: "integer",
        minimum: 64,
        maximum: 1048576,
        description: "Longer lines are discarded up to the next newline and answered with err too-long.",
    },
    checksum: {
        type: "string",
        enum: ["optional", "required"],
        description:
            "optional: a ` *XX` suffix is checked when present. required: lines without one are refused, and the gateway's own lines carry one.",
    },
    acks: {
        type: "boolean",
        description:
            "Answer every accepted pub, pubr and JSON line with `ok <verb>` (hello is always answered).",
    },
    retainedCommands: {
        title: "Commands restored from a retained message",
        type: "array",
        items: { type: "string", pattern: COMMAND_NAME_PATTERN },
        description:
            "Commands that set a state the device may restore (e.g. interval): a retained message on cmd/<name> is passed down at every (re)connection. Every other command is an action: passed down only when sent live; a retained one is logged once with the mosquitto_pub that clears it, and dropped. restart and stop can never be listed. A port's own list replaces the one under defaults. Default: none (every command is an action).",
    },
}

const PORT_DEFAULTS = {
    baudRate: 115200,
    dataBits: 8,
    parity: "none",
    stopBits: 1,
    rtscts: false,
    live: 30,
    maxLineBytes: 1024,
    checksum: "optional",
    acks: false,
    retainedCommands: [] as string[],
}

export const CONFIG_SCHEMA = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "fieldlink gateway configuration",
    type: "object",
    additionalProperties: false,
    required: ["broker", "ports"],
    properties: {
        gateway: {
            title: "This gateway",
            type: "object",
            additionalProperties: false,
            default: {},
            properties: {
                id: {
                    ...id,
                    title: "Gateway id",
                    description: "Its topic level under gateways/. Default: the host name made topic-safe.",
                },
                topicRoot: {
                    type: "string",
                    minLength: 1,
                    default: "fieldlink",
                    title: "Topic root",
                    description: "First topic level(s): <root>/devices/<id>/…",
                },
                stateDir: {
                    type: "string",
                    minLength: 1,
                    title: "State folder",
                    description:
                        "Where the queues are kept. Default: $STATE_DIRECTORY (systemd), else $XDG_STATE_HOME/fieldlink, else ~/.local/state/fieldlink.",
                },
                statsIntervalS: {
                    type: "integer",
                    minimum: 0,
                    maximum: 86400,
                    default: 60,
                    description: "Period of the gateways/<gw>/stats message; 0 turns it off.",
                },
                scanIntervalMs: {
                    type: "integer",
                    minimum: 100,
                    maximum: 600000,
                    default: 2000,
                    description: "How often ports are looked for (appear/vanish).",
                },
                timestamp: {
                    type: "string",
                    enum: ["off", "epoch", "iso"],
                    default: "off",
                    title: "Receive time on JSON messages",
                    description:
                        'Adds "ts", when the gateway received the line, to every bridged JSON object message: epoch = ms since 1970, iso = ISO 8601 text in UTC. Only worth it on a host whose clock is kept right (NTP).',
                },
            },
        },
        broker: {
            title: "Upstream broker",
            type: "object",
            additionalProperties: false,
            properties: {
                url: {
                    type: "string",
                    pattern: "^mqtts?://",
                    title: "Broker URL",
                    description: "mqtt://host:1883 or mqtts://host:8883.",
                },
                urls: {
                    type: "array",
                    minItems: 1,
                    items: { type: "string", pattern: "^mqtts?://" },
                    title: "Broker URLs",
                    description:
                        "Instead of url: several nodes of one broker (a cluster, or brokers bridged on the topic root), tried in turn when one cannot be reached.",
                },
                protocolVersion: {
                    type: "integer",
                    enum: [4, 5],
                    default: 4,
                    description: "4 = MQTT 3.1.1, 5 = MQTT 5.",
                },
                keepaliveS: {
                    type: "integer",
                    minimum: 0,
                    maximum: 65535,
                    default: 30,
                    description:
                        "MQTT keep-alive of every connection; the broker fires a will after 1.5 × this of silence.",
                },
                connectTimeoutMs: { type: "integer", minimum: 1000, maximum: 300000, default: 10000 },
                clientIdPrefix: {
                    type: "string",
                    maxLength: 40,
                    default: "fieldlink-",
                    description:
                        "Device connections use <prefix><device id>; the gateway's own uses <prefix>gateway.<gw>.",
                },
                username: secret("User name"),
                password: secret("Password"),
                qos: {
                    type: "integer",
                    enum: [0, 1],
                    default: 1,
                    description:
                        "QoS of device messages from the gateway to the broker. 1 = delivered at least once (queued until PUBACK).",
                },
                reconnect: {
                    type: "object",
                    additionalProperties: false,
                    default: {},
                    description: "Exponential backoff with full jitter between connection attempts.",
                    properties: {
                        baseMs: { type: "integer", minimum: 10, maximum: 600000, default: 500 },
                        capMs: { type: "integer", minimum: 100, maximum: 3600000, default: 60000 },
                    },
                },
                tls: {
                    title: "TLS",
                    type: "object",
                    additionalProperties: false,
                    description: "For mqtts:// URLs. Paths are relative to the config file.",
                    properties: {
                        ca: {
                            type: "string",
                            minLength: 1,
                            description:
                                "PEM file of the CA(s) that sign the broker's certificate. Default: the system's CAs.",
                        },
                        cert: {
                            type: "string",
                            minLength: 1,
                            description: "PEM file of this gateway's client certificate.",
                        },
                        key: { type: "string", minLength: 1, description: "PEM file of its private key." },
                        keyPassphrase: secret("Private key passphrase"),
                        servername: {
                            type: "string",
                            minLength: 1,
                            description:
                                "Name to check the broker's certificate against (SNI). Default: the URL's host.",
                        },
                        rejectUnauthorized: {
                            type: "boolean",
                            default: true,
                            description:
                                "Refuse a broker whose certificate does not verify. Turn off only to debug.",
                        },
                    },
                },
            },
        },
        queue: {
            title: "Queue (per device)",
            type: "object",
            additionalProperties: false,
            default: {},
            properties: {
                maxMessages: {
                    type: "integer",
                    minimum: 1,
                    maximum: 10000000,
                    default: 10000,
                    description:
                        "Most messages kept per device while the broker is unreachable; past it the oldest are dropped and counted.",
                },
                maxBytes: {
                    type: "integer",
                    minimum: 1024,
                    maximum: 1073741824,
                    default: 4194304,
                    description:
                        "Most payload and topic bytes kept per device; past it the oldest are dropped and counted.",
                },
                flushMs: {
                    type: "integer",
                    minimum: 10,
                    maximum: 60000,
                    default: 200,
                    description:
                        "How often the messages not yet acknowledged by the broker are written to disk (a crash loses at most this long of them).",
                },
                fsync: {
                    type: "boolean",
                    default: false,
                    description: "fsync after each write to disk: survives power loss, costs SD-card wear.",
                },
            },
        },
        defaults: {
            title: "Port defaults",
            type: "object",
            additionalProperties: false,
            default: {},
            description: "Options every port gets unless it sets its own.",
            properties: portOptions,
        },
        ports: {
            title: "Serial ports",
            type: "array",
            minItems: 1,
            description: "Each entry chooses ports by path, glob or USB ids.",
            items: {
                type: "object",
                additionalProperties: false,
                properties: {
                    path: {
                        type: "string",
                        minLength: 1,
                        description: "One port, e.g. /dev/ttyUSB0 or /dev/serial/by-id/…",
                    },
                    glob: {
                        type: "string",
                        minLength: 1,
                        description:
                            "Every port matching, e.g. /dev/ttyACM* or /dev/serial/by-id/*. * and ? match within one path level.",
                    },
                    usb: {
                        type: "object",
                        additionalProperties: false,
                        minProperties: 1,
                        description: "Every USB serial port with these ids (hex, as lsusb shows them).",
                        properties: {
                            vendorId: { type: "string", pattern: "^[0-9A-Fa-f]{4}$" },
                            productId: { type: "string", pattern: "^[0-9A-Fa-f]{4}$" },
                            serialNumber: { type: "string", minLength: 1 },
                        },
                    },
                    id: {
                        ...id,
                        title: "Device id",
                        description: "Used until the device says hello. Only for a port chosen by path.",
                    },
                    ...portOptions,
                },
            },
        },
        log: {
            type: "object",
            additionalProperties: false,
            default: {},
            properties: {
                level: {
                    type: "string",
                    enum: ["trace", "debug", "info", "warn", "error", "fatal", "silent"],
                    default: "info",
                },
                format: {
                    type: "string",
                    enum: ["auto", "json", "pretty"],
                    default: "auto",
                    description: "auto: pretty on a terminal, JSON otherwise.",
                },
            },
        },
        http: {
            title: "Health and metrics",
            type: "object",
            additionalProperties: false,
            default: {},
            description: "GET /healthz, /readyz and /metrics (Prometheus).",
            properties: {
                port: {
                    type: "integer",
                    minimum: 0,
                    maximum: 65535,
                    default: 9464,
                    description: "0 picks a free port (logged).",
                },
                host: { type: "string", minLength: 1, default: "127.0.0.1" },
                enabled: { type: "boolean", default: true },
            },
        },
    },
} as const

export { PORT_DEFAULTS }
