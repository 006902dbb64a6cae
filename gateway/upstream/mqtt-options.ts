/**
 * The options every link gives mqtt.js: what it should and should not do per message.
 */
import type { IClientOptions } from "mqtt"
import type { BrokerConfig } from "../config/types.js"
import { LowerIdProvider } from "./message-ids.js"
import { NoReplayStore } from "./no-replay-store.js"

export interface MqttOptionsInput {
    clientId: string
    will: { topic: string; payload: string }
    broker: BrokerConfig
}

/**
 * Whether a DEBUG setting turns on mqtt.js's log (`mqttjs:client`), read as the `debug`
 * package reads it: names and `*` wildcards, separated by commas or spaces.
 */
export function mqttDebugWanted(debug: string | undefined): boolean {
    return (debug ?? "")
        .split(/[\s,]+/)
        .filter(pattern => pattern !== "" && !pattern.startsWith("-"))
        .some(pattern =>
            new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(
                "mqttjs:client",
            ),
        )
}

function noLog(): void {}

/**
 * mqtt.js's options for one connection of a link. The socket (and its TLS settings) is
 * the link's own (broker-stream.ts), so none of those are here.
 */
export function mqttOptions(o: MqttOptionsInput): IClientOptions {
    const b = o.broker
    const options: IClientOptions = {
        clientId: o.clientId,
        protocolVersion: b.protocolVersion,
        keepalive: b.keepaliveS,
        clean: true,
        reconnectPeriod: 0,
        connectTimeout: b.connectTimeoutMs,
        resubscribe: false,
        queueQoSZero: false,
        // mqtt-packet otherwise builds a table of all 65,536 two-byte numbers (packet ids,
        // lengths) on the first write: ~6 MB of heap (8 MB of RSS) held for good, to save
        // one 2-byte allocation per number written.
        writeCache: false,
        // By default mqtt.js restarts its keep-alive timer on every PUBACK (a clearTimeout
        // and setTimeout per message). Off, it sends PINGREQ every keep-alive period even
        // while messages flow (2 bytes each way) and still closes a link whose PINGRESP
        // does not come: the same check, without work per message.
        reschedulePings: false,
        // The owner's queue resends, on a fresh client: mqtt.js need not keep copies.
        outgoingStore: new NoReplayStore(),
        // mqtt.js's ids stay below the range of the queue lane's (message-ids.ts).
        messageIdProvider: new LowerIdProvider(),
        will: { topic: o.will.topic, payload: Buffer.from(o.will.payload), qos: 1, retain: true },
    }
    // mqtt.js calls its `debug` logger several times for every packet, and each call asks
    // whether that log is on: unless DEBUG names mqtt.js's log, it gets one that is off.
    if (!mqttDebugWanted(process.env.DEBUG)) options.log = noLog
    if (b.username !== undefined) options.username = b.username
    if (b.password !== undefined) options.password = b.password
    if (b.protocolVersion === 5) options.properties = { sessionExpiryInterval: 0 }
    return options
}
