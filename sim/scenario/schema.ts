/**
 * The JSON Schema of scenario files (draft-07, checked by ajv with defaults filled in).
 * Rules that span fields (unique ids, targets that exist, times within the run) are
 * checked after it, in load.ts.
 */

const seconds = (description: string) => ({ type: "number", minimum: 0, maximum: 86400, description })
const timeRef = (description: string) => ({
    description: `${description} Seconds from the start, a fault's name (its start), or '<fault>.end'.`,
    type: ["number", "string"],
    minimum: 0,
    pattern: "^[A-Za-z0-9_-]+(\\.end)?$",
})
const device = {
    type: "string",
    minLength: 1,
    pattern: "^[A-Za-z0-9_*-]{1,64}$",
    description: "A device id, or a glob such as 'wifi-*' (every matching device).",
}

const waveform = {
    description: "How a simulated sensor's value moves over time.",
    type: "object",
    required: ["type"],
    discriminator: { propertyName: "type" },
    oneOf: [
        { properties: { type: { const: "constant" }, value: { type: "number" } }, required: ["value"] },
        {
            properties: {
                type: { const: "sine" },
                mean: { type: "number" },
                amplitude: { type: "number" },
                periodS: { type: "number", exclusiveMinimum: 0 },
            },
            required: ["mean", "amplitude", "periodS"],
        },
        {
            properties: {
                type: { const: "randomWalk" },
                start: { type: "number" },
                step: { type: "number", minimum: 0 },
                min: { type: "number" },
                max: { type: "number" },
            },
            required: ["start", "step", "min", "max"],
        },
        {
            properties: {
                type: { const: "steps" },
                values: { type: "array", items: { type: "number" }, minItems: 1 },
                everyS: { type: "number", exclusiveMinimum: 0 },
            },
            required: ["values", "everyS"],
        },
        {
            properties: {
                type: { const: "noise" },
                mean: { type: "number" },
                amplitude: { type: "number", minimum: 0 },
            },
            required: ["mean", "amplitude"],
        },
        {
            description:
                "A recorded series: a CSV file of time_s,value lines (relative to the scenario file), interpolated linearly; loop: start over after the last point.",
            properties: {
                type: { const: "series" },
                file: { type: "string", minLength: 1 },
                loop: { type: "boolean", default: false },
            },
            required: ["file"],
        },
    ],
}

const span = {
    from: { ...timeRef("Start of the window."), default: 0 },
    to: { ...timeRef("End of the window."), default: "end" },
}

export const SCENARIO_SCHEMA = {
    $schema: "http://json-schema.org/draft-07/schema#",
    title: "fieldlink simulator scenario",
    type: "object",
    additionalProperties: false,
    required: ["name", "duration"],
    properties: {
        name: { type: "string", minLength: 1, description: "Shown in the report." },
        description: { type: "string" },
        seed: {
            type: "integer",
            minimum: 0,
            maximum: 4294967295,
            default: 1,
            description: "Makes sensor values and reconnect jitter repeatable.",
        },
        duration: { ...seconds("How long the run lasts, in seconds."), exclusiveMinimum: 0 },
        topicRoot: {
            type: "string",
            minLength: 1,
            pattern: "^[^+#$][^+#]*$",
            default: "fieldlink",
            description: "First topic level(s).",
        },
        boards: {
            description: "WiFi sensor boards: each runs the real firmware in its own DeviceScript VM.",
            type: "array",
            default: [],
            items: {
                type: "object",
                additionalProperties: false,
                properties: {
                    id: {
                        type: "string",
                        pattern: "^[A-Za-z0-9_-]{1,64}$",
                        description: "One board with this device id.",
                    },
                    count: {
                        type: "integer",
                        minimum: 1,
                        maximum: 500,
                        description: "Or: this many boards, named <idPrefix>-1 … <idPrefix>-<count>.",
                    },
                    idPrefix: { type: "string", pattern: "^[A-Za-z0-9_-]{1,56}$", default: "board" },
                    keepalive: {
                        type: "integer",
                        minimum: 0,
                        maximum: 65535,
                        default: 30,
                        description: "MQTT keep-alive, seconds.",
                    },
                    interval: {
                        type: "integer",
                        minimum: 100,
                        maximum: 86400000,
                        default: 1000,
                        description: "Telemetry period, ms.",
                    },
                    queueMax: {
                        type: "integer",
                        minimum: 1,
                        maximum: 128,
                        description: "Samples kept while offline.",
                    },
                    temperature: waveform,
                    humidity: waveform,
                    soilMoisture: {
                        ...waveform,
                        description:
                            "Soil moisture as ds.SoilMoisture reads it, a ratio 0..1 (served only if the program reads it).",
                    },
                    illuminance: {
                        ...waveform,
                        description: "Light level, lx (served only if the program reads it).",
                    },
                    airPressure: {
                        ...waveform,
                        description: "Air pressure, hPa (served only if the program reads it).",
                    },
                    lightLevel: {
                        ...waveform,
                        description:
                            "Light level as ds.LightLevel reads it, a ratio 0..1 (served only if the program reads it).",
                    },
                },
            },
        },
        serial: {
            description: "Devices on serial ports (pseudo-terminals) behind the real gateway.",
            type: "array",
            default: [],
            items: {
                type: "object",
                additionalProperties: false,
                required: ["id"],
                properties: {
                    id: {
                        type: "string",
                        pattern: "^[A-Za-z0-9_-]{1,64}$",
                        description: "The device id it says in its hello.",
                    },
                    kind: {
                        enum: ["scripted", "firmware"],
                        default: "scripted",
                        description:
                            "scripted: a line-protocol script; firmware: the real firmware printing the protocol on its log UART.",
                    },
                    rate: {
                        type: "number",
                        exclusiveMinimum: 0,
                        maximum: 1000,
                        default: 1,
                        description: "scripted: samples per second.",
                    },
                    interval: {
                        type: "integer",
                        minimum: 100,
                        maximum: 86400000,
                        default: 1000,
                        description: "firmware: sample period, ms.",
                    },
                    baud: {
                        type: "integer",
                        minimum: 300,
                        maximum: 4000000,
                        default: 115200,
                        description: "The line rate the device claims; its lines are paced to it.",
                    },
                    live: {
                        type: "integer",
                        minimum: 1,
                        maximum: 86400,
                        default: 5,
                        description:
                            "scripted: live= of its hello, seconds of silence before the gateway calls it offline (× 1.5).",
                    },
                    checksum: {
                        type: "boolean",
                        default: true,
                        description: "scripted: append ` *XX` CRC-8 checksums.",
                    },
                    temperature: waveform,
                },
            },
        },
        gateway: {
            type: "object",
            additionalProperties: false,
            default: {},
            properties: {
                id: {
                    type: "string",
                    pattern: "^[A-Za-z0-9_-]{1,64}$",
                    default: "gw-sim",
                    description: "The gateway's id (gateways/<id>/status).",
                },
                keepalive: {
                    type: "integer",
                    minimum: 1,
                    maximum: 65535,
                    default: 30,
                    description:
                        "MQTT keep-alive of the gateway's upstream connections, seconds: after a power cut of its host the broker fires every will after 1.5 × this.",
                },
            },
        },
        faults: {
            description: "Things that go wrong, on a schedule.",
            type: "array",
            default: [],
            items: {
                type: "object",
                additionalProperties: false,
                required: ["type", "at"],
                properties: {
                    name: {
                        type: "string",
                        pattern: "^[A-Za-z0-9_-]+$",
                        description: "How expectations refer to this fault. Default: <type>-<n>.",
                    },
                    type: {
                        enum: [
                            "network-cut",
                            "network-blackhole",
                            "wifi-loss",
                            "network-delay",
                            "board-power-cut",
                            "broker-restart",
                            "serial-unplug",
                            "serial-silence",
                            "serial-garbage",
                            "serial-reset",
                            "gateway-kill",
                            "gateway-power-cut",
                        ],
                    },
                    at: seconds("When it starts, seconds from the start of the run."),
                    for: { ...seconds("How long it lasts, seconds."), default: 5 },
                    target: device,
                    delayMs: {
                        type: "integer",
                        minimum: 0,
                        maximum: 600000,
                        description: "network-delay: latency added each way, ms.",
                    },
                },
            },
        },
        inputs: {
            description: "Things done to boards on a schedule: a command sent, a button pressed.",
            type: "array",
            default: [],
            items: {
                type: "object",
                additionalProperties: false,
                required: ["at", "device"],
                properties: {
                    name: {
                        type: "string",
                        pattern: "^[A-Za-z0-9_-]+$",
                        description: "How expectations refer to it (after: <name>). Default: input-<n>.",
                    },
                    at: seconds("When, seconds from the start of the run."),
                    device,
                    command: {
                        type: "string",
                        pattern: "^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
                        description: "Send cmd/<command> to the device (live).",
                    },
                    payload: { type: "string", default: "", description: "The command's payload." },
                    press: { enum: ["button"], description: "Press the board's simulated button." },
                    ms: {
                        type: "integer",
                        minimum: 1,
                        maximum: 60000,
                        default: 200,
                        description: "press: how long, ms.",
                    },
                },
            },
        },
        expect: {
            description: "What must be seen on the broker for the run to pass.",
            type: "array",
            default: [],
            items: {
                type: "object",
                required: ["type", "device"],
                discriminator: { propertyName: "type" },
                oneOf: [
                    {
                        description:
                            "The device's status becomes <becomes> within <within> seconds of <after>.",
                        properties: {
                            type: { const: "status" },
                            device,
                            becomes: { enum: ["online", "offline"] },
                            after: timeRef("When the clock starts."),
                            within: seconds("The bound, seconds."),
                        },
                        required: ["becomes", "after", "within"],
                        additionalProperties: false,
                    },
                    {
                        description: "The device's status stays <status> throughout the window.",
                        properties: {
                            type: { const: "stays" },
                            device,
                            status: { enum: ["online", "offline"] },
                            ...span,
                        },
                        required: ["status"],
                        additionalProperties: false,
                    },
                    {
                        description:
                            "At least <atLeast> telemetry samples from the device within the window.",
                        properties: {
                            type: { const: "telemetry" },
                            device,
                            atLeast: { type: "integer", minimum: 1 },
                            ...span,
                        },
                        required: ["atLeast"],
                        additionalProperties: false,
                    },
                    {
                        description:
                            "No gap in the device's telemetry seq within the window (a sample taken is a sample delivered).",
                        properties: { type: { const: "no-telemetry-lost" }, device, ...span },
                        additionalProperties: false,
                    },
                    {
                        description: "Every sample in the window carries <field>, within [min, max].",
                        properties: {
                            type: { const: "reading" },
                            device,
                            field: { type: "string", minLength: 1 },
                            min: { type: "number" },
                            max: { type: "number" },
                            ...span,
                        },
                        required: ["field"],
                        additionalProperties: false,
                    },
                    {
                        description:
                            "<field> goes above <above> (or below <below>) within the window: a sample on the other side, then one past the value.",
                        properties: {
                            type: { const: "crosses" },
                            device,
                            field: { type: "string", minLength: 1 },
                            above: { type: "number" },
                            below: { type: "number" },
                            ...span,
                        },
                        required: ["field"],
                        additionalProperties: false,
                    },
                    {
                        description:
                            "The board's simulated actuator is in <state> within <within> seconds of <after> (an input's name, a fault's, or seconds).",
                        properties: {
                            type: { const: "actuator" },
                            device,
                            actuator: { enum: ["relay"], default: "relay" },
                            state: { enum: ["on", "off"] },
                            after: timeRef("When the clock starts."),
                            within: seconds("The bound, seconds."),
                        },
                        required: ["state", "after", "within"],
                        additionalProperties: false,
                    },
                    {
                        description:
                            "A line of the device's log containing <contains> within <within> seconds of <after>.",
                        properties: {
                            type: { const: "log" },
                            device,
                            contains: { type: "string", minLength: 1 },
                            after: timeRef("When the clock starts."),
                            within: seconds("The bound, seconds."),
                        },
                        required: ["contains", "after", "within"],
                        additionalProperties: false,
                    },
                ],
            },
        },
    },
} as const
