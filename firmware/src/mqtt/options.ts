/**
 * What the MQTT client is told (options) and whom it tells (handlers), and the CONNECT
 * packet the options make: the client itself (client.ts) is the I/O shell around them.
 */
import { BackoffPolicy } from "@fieldlink/protocol/backoff"
import { BrokerAddress } from "@fieldlink/protocol/broker-hosts"
import { ByteArray } from "@fieldlink/protocol/bytes"
import { encodeConnect } from "@fieldlink/protocol/mqtt"
import { dsBytes } from "../bytes-ds.js"

export interface MqttClientOptions {
    /** The broker's nodes (the setting `mqtt_host`), tried in turn: one after each lost connection. */
    brokers: BrokerAddress[]
    tls: boolean
    clientId: string
    username?: string
    password?: string
    /** Seconds, 0..65535; 0 disables keep-alive. */
    keepAliveSeconds: number
    /** Will and birth share one topic: the will says `willPayload`, the birth `birthPayload`. */
    statusTopic: string
    birthPayload: string
    willPayload: string
    /** Filters to (re)subscribe after every CONNACK. */
    subscriptions: string[]
    backoff: BackoffPolicy
    connectTimeoutMs: number
    /** Largest packet accepted from the broker; a larger PUBLISH is skipped and reported. */
    maxPacketSize: number
    /** Says who else may hold this client id, for the takeover log line. */
    duplicateHint: string
    /** Numbers in [0, 1) for reconnect jitter; must differ from board to board. */
    random: () => number
}

export interface MqttClientHandlers {
    /** After CONNACK and the birth: publish what a fresh session needs (info, queued data). */
    online(): Promise<void>
    /** `retained`: the PUBLISH had RETAIN = 1, sent because of our subscription [MQTT-3.3.1-8]. */
    message(topic: string, payload: Buffer, retained: boolean): Promise<void>
    log(line: string): void
}

/** CONNECT with the will: clean session, `statusTopic` = `willPayload`, retained, QoS 1. */
export function connectPacket(o: MqttClientOptions): ByteArray {
    return encodeConnect(dsBytes, {
        clientId: o.clientId,
        cleanSession: true,
        keepAlive: o.keepAliveSeconds,
        will: {
            topic: o.statusTopic,
            payload: Buffer.from(o.willPayload),
            qos: 1,
            retain: true,
        },
        username: o.username,
        password: o.password ? Buffer.from(o.password) : undefined,
    })
}
