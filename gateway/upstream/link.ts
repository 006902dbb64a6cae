/**
 * One upstream MQTT connection with a will (DESIGN §2), kept up for as long as it is
 * wanted. mqtt.js reconnects on a fixed period; here each attempt is a fresh mqtt.js
 * client with its own reconnect off, and the delay between attempts is exponential
 * backoff with full jitter, and when to reset it, follow the firmware's own policy
 * (protocol/reconnect.ts, shared with the firmware): a connection the broker drops soon after CONNACK does
 * not reset the backoff, and a run of such drops with no error on our side is reported
 * as a likely duplicate client id (another gateway, or a device twin) and waited out at
 * the cap instead of fought.
 * A fresh client per connection also means nothing of mqtt.js's in-memory store is
 * replayed behind our back: what to resend is the owner's business (its queue).
 * With MQTT 3.1.1 the owner's queue has a lane of its own on the connection
 * (queue-lane.ts), beside mqtt.js, which keeps the connection, will, subscriptions and pings.
 */
import type { Duplex } from "node:stream"
import { MqttClient, type IClientPublishOptions } from "mqtt"
import {
    ConnectionEnd,
    noteConnectionEnd,
    reconnectDelay,
    reconnectPolicy,
    reconnectStart,
    type ReconnectPolicy,
} from "@fieldlink/protocol/reconnect"
import type { BrokerConfig } from "../config/types.js"
import type { GatewayMetrics } from "../obs/gateway-metrics.js"
import type { Logger } from "../obs/logger.js"
import { LogThrottle } from "../obs/throttle.js"
import { openBrokerSocket, PubackTap } from "./broker-stream.js"
import { explainError } from "./explain.js"
import { mqttOptions } from "./mqtt-options.js"
import { PubackSplitter } from "./puback-splitter.js"
import { isQueueId, QueueLane, TopicBytes } from "./queue-lane.js"
import { nextLinkState, type LinkEvent, type LinkState } from "./state.js"

export interface LinkHandlers {
    /** CONNACK accepted: publish the birth, subscribe, resend the queue. */
    connected(): void
    /** The connection is gone (it will be retried unless stopped). */
    disconnected(): void
    /** A PUBACK came for the message the queue lane sent with this seq (see `queueLane`). */
    queueAcked?(seq: number): void
    /** `retained`: RETAIN = 1, a stored message sent because of a new subscription [MQTT-3.3.1-8]. */
    message?(topic: string, payload: Buffer, retained: boolean): void
}

export interface LinkOptions {
    /** "gateway" or the device id: the `client` label of metrics and logs. */
    name: string
    clientId: string
    will: { topic: string; payload: string }
    broker: BrokerConfig
    log: Logger
    metrics: GatewayMetrics
    /** Who else may be using this client id, and what to change: ends the takeover error. */
    duplicateHint: string
    random?: () => number
}

/** Receive Maximum when the broker does not say (MQTT 5 §3.2.2.3.3), and the field's largest value. */
const MQTT_MAX_RECEIVE = 65535

/** MQTT 5 DISCONNECT reason "Session taken over" (MQTT 5 §3.14.2.1). */
export const REASON_SESSION_TAKEN_OVER = 0x8e

/** How long a graceful stop waits for the final PUBACK and the DISCONNECT to go out. */
const STOP_TIMEOUT_MS = 3000

export class MqttLink {
    state: LinkState = "idle"
    private client: MqttClient | undefined
    private readonly reconnect = reconnectStart()
    private readonly policy: ReconnectPolicy
    /** performance.now() at CONNACK: monotonic, so a wall clock that jumps bends no backoff. */
    private connectedAt: number | undefined
    private timer: NodeJS.Timeout | undefined
    /** Index into broker.urls of the node this link tries next; moves on after every close. */
    private node = 0
    private lastError: { reason: string; message: string } | undefined
    private readonly throttle = new LogThrottle(60_000)
    private stopping: Promise<void> | undefined
    /** The queue lane of the current connection (MQTT 3.1.1 only). */
    private lane: QueueLane | undefined
    /** Topic bytes for the lanes, kept across connections. */
    private readonly topicBytes = new TopicBytes()
    /**
     * QoS 1 PUBLISHes the broker accepts unacknowledged at once on this connection: MQTT 5's
     * Receive Maximum from its CONNACK (§3.2.2.3.3; mosquitto says 20, HiveMQ 10, and a
     * broker may disconnect a client that exceeds it [MQTT-3.3.4-9]). MQTT 3.1.1 has none.
     */
    private brokerReceiveMaximum = MQTT_MAX_RECEIVE

    constructor(
        private readonly options: LinkOptions,
        private readonly handlers: LinkHandlers,
    ) {
        this.policy = reconnectPolicy(options.broker.reconnect)
    }

    /** Times a takeover of this client id was detected (each a new episode). */
    get takeovers(): number {
        return this.reconnect.takeovers
    }

    /** True while the link waits at its backoff cap because another client seems to hold its id. */
    get takeoverSuspected(): boolean {
        return this.reconnect.takeover
    }

    get connected(): boolean {
        return this.state === "connected"
    }

    /** The last failure, explained (for health output). */
    get lastFailure(): string | undefined {
        return this.lastError?.message
    }

    /** How many QoS 1 PUBLISHes may await their PUBACK at once (see brokerReceiveMaximum). */
    get receiveMaximum(): number {
        return this.brokerReceiveMaximum
    }

    /** The broker URL the next connection attempt uses. */
    private get brokerUrl(): string {
        const urls = this.options.broker.urls
        return urls[this.node % urls.length] ?? this.options.broker.url
    }

    start(): void {
        if (this.move("start") === "connecting") this.connect()
    }

    /**
     * Publishes when connected; `done` runs on PUBACK (QoS 1) or once written (QoS 0),
     * with an error if the connection is lost first. Returns false when not connected.
     * `properties` (MQTT 5 only) go with the PUBLISH.
     */
    publish(
        topic: string,
        payload: string | Buffer,
        qos: 0 | 1,
        retain: boolean,
        done?: (error?: Error) => void,
        properties?: IClientPublishOptions["properties"],
    ): boolean {
        const client = this.client
        if (!this.connected || client === undefined) return false
        client.publish(topic, payload, properties ? { qos, retain, properties } : { qos, retain }, error => {
            if (this.client === client) done?.(error ?? undefined)
        })
        return true
    }

    /**
     * While connected with MQTT 3.1.1: the lane for the queue's QoS 1 messages
     * (queue-lane.ts), acknowledged through `handlers.queueAcked`. Anything published
     * with `publish` after the lane's last flush goes out after it, and before its next.
     */
    get queueLane(): QueueLane | undefined {
        return this.connected ? this.lane : undefined
    }

    subscribe(filter: string): void {
        const client = this.client
        if (!this.connected || client === undefined) return
        client.subscribe(filter, { qos: 1 }, (error, granted) => {
            if (error || granted?.some(g => g.qos === 128))
                this.options.log.error(
                    { client: this.options.name, filter, err: error?.message },
                    "the broker refused a subscription",
                )
        })
    }

    /**
     * Stops for good. When connected, `final` (the retained `offline`) is published at
     * QoS 1 and awaited, then DISCONNECT is sent, so the broker discards the will.
     */
    stop(final?: { topic: string; payload: string }): Promise<void> {
        this.stopping ??= this.stopOnce(final)
        return this.stopping
    }

    private async stopOnce(final?: { topic: string; payload: string }): Promise<void> {
        const wasConnected = this.connected
        if (this.move("stop") === "stopped") return
        clearTimeout(this.timer)
        const client = this.client
        if (client === undefined) {
            this.move("stopped")
            return
        }
        if (wasConnected) {
            try {
                if (final)
                    await withTimeout(
                        client.publishAsync(final.topic, final.payload, { qos: 1, retain: true }),
                        STOP_TIMEOUT_MS,
                    )
                await withTimeout(client.endAsync(false), STOP_TIMEOUT_MS)
            } catch (e) {
                this.options.log.warn(
                    { client: this.options.name, err: (e as Error).message },
                    "no clean goodbye to the broker; closing",
                )
            }
        }
        await client.endAsync(true).catch(() => undefined)
        this.setConnected(false)
        this.client = undefined
        this.move("stopped")
    }

    private move(event: LinkEvent): LinkState {
        this.state = nextLinkState(this.state, event)
        return this.state
    }

    private setConnected(up: boolean): void {
        this.options.metrics.upstreamConnected.set({ client: this.options.name }, up ? 1 : 0)
    }

    private connect(): void {
        const o = this.options
        const url = this.brokerUrl
        const client: MqttClient = new MqttClient(() => this.openStream(url, () => client), mqttOptions(o))
        this.client = client
        let failure: Error | undefined
        let disconnectReason: number | undefined
        client.on("connect", connack => {
            if (this.client !== client || this.move("connack") !== "connected") return
            this.connectedAt = performance.now()
            this.brokerReceiveMaximum = connack.properties?.receiveMaximum ?? MQTT_MAX_RECEIVE
            if (this.lastError)
                o.log.info(
                    { client: o.name, ...(o.broker.urls.length > 1 ? { broker: url } : {}) },
                    "connected to the broker again",
                )
            else
                o.log.debug(
                    { client: o.name, ...(o.broker.urls.length > 1 ? { broker: url } : {}) },
                    "connected to the broker",
                )
            this.lastError = undefined
            o.metrics.upstreamConnects.inc({ client: o.name })
            this.setConnected(true)
            this.handlers.connected()
        })
        client.on("error", error => {
            failure ??= error
        })
        // MQTT 5: the broker says why it closes (0x8E: another client took the session).
        client.on("disconnect", packet => {
            disconnectReason ??= packet.reasonCode
        })
        client.on("message", (topic, payload, packet) => {
            if (this.client === client) this.handlers.message?.(topic, payload, packet.retain)
        })
        client.on("close", () => {
            if (this.client !== client) return
            const was = this.state
            if (this.move("closed") !== "waiting") return
            client.removeAllListeners("connect")
            client.end(true)
            const online = was === "connected" && this.connectedAt !== undefined
            const heldMs = online ? performance.now() - this.connectedAt! : 0
            const end = !online
                ? ConnectionEnd.NEVER_ONLINE
                : disconnectReason === REASON_SESSION_TAKEN_OVER
                  ? ConnectionEnd.TAKEN_OVER
                  : failure !== undefined
                    ? ConnectionEnd.OURS
                    : ConnectionEnd.BROKER_CLOSED
            if (noteConnectionEnd(this.reconnect, end, heldMs, performance.now(), this.policy))
                this.reportTakeover(disconnectReason)
            else {
                const closed = Object.assign(
                    new Error(
                        was === "connected"
                            ? this.closedMessage(disconnectReason)
                            : "the connection closed before CONNACK",
                    ),
                    {
                        code: was === "connected" ? "CLOSED" : "NO_CONNACK",
                    },
                )
                if (!this.reconnect.takeover) this.report(failure ?? closed, was === "connected")
            }
            if (was === "connected") {
                this.setConnected(false)
                this.handlers.disconnected()
            }
            // With several nodes, the next attempt goes to the next one: a node that went
            // away is not waited for while another is up. The backoff is the same.
            this.node = (this.node + 1) % o.broker.urls.length
            const delay = reconnectDelay(this.reconnect, this.policy, o.random ?? Math.random)
            this.timer = setTimeout(() => {
                if (this.move("retry") === "connecting") this.connect()
            }, delay)
        })
    }

    /**
     * The client's stream (its builder runs once: each client makes one connection). With
     * MQTT 3.1.1 it comes with a lane for the queue, whose PUBACKs are taken out in front
     * of mqtt.js; MQTT 5 PUBACKs can carry reason codes and properties, so there mqtt.js
     * handles every message.
     */
    private openStream(url: string, client: () => MqttClient): Duplex {
        const socket = openBrokerSocket(new URL(url), this.options.broker)
        this.lane = undefined
        if (this.options.broker.protocolVersion !== 4) return socket
        const splitter = new PubackSplitter(isQueueId, id => lane.puback(id))
        const tap = new PubackTap(socket, splitter)
        const lane = new QueueLane(tap, this.topicBytes, seq => {
            if (this.client === client()) this.handlers.queueAcked?.(seq)
        })
        this.lane = lane
        return tap
    }

    private closedMessage(reason: number | undefined): string {
        return reason === undefined
            ? "the broker closed the connection"
            : `the broker closed the connection (DISCONNECT reason ${hex(reason)})`
    }

    /** Once per episode: an error naming the likely cause and the fix. */
    private reportTakeover(reason: number | undefined): void {
        const o = this.options
        const cap = o.broker.reconnect.capMs
        const evidence =
            reason === REASON_SESSION_TAKEN_OVER
                ? "the broker says: session taken over (MQTT 5 DISCONNECT reason 0x8E)"
                : `the broker closed the connection ${this.reconnect.brokerCloses} times in a row, no error on our side`
        o.metrics.upstreamTakeovers.inc({ client: o.name })
        this.lastError = { reason: "takeover", message: `another client is using the id \`${o.clientId}\`` }
        o.log.error(
            {
                client: o.name,
                clientId: o.clientId,
                reason: "takeover",
                ...(reason !== undefined ? { disconnectReason: hex(reason) } : {}),
                retryMs: [cap / 2, cap],
            },
            `another client is using the id \`${o.clientId}\`: ${o.duplicateHint} (${evidence}); retrying every ${cap / 2000}-${cap / 1000} s instead of fighting over it`,
        )
    }

    private report(error: Error, wasConnected: boolean): void {
        const o = this.options
        const explained = explainError(error as Error & { code?: string }, {
            ...o.broker,
            url: this.brokerUrl,
        })
        o.metrics.upstreamErrors.inc({ client: o.name, reason: explained.reason })
        const changed = this.lastError?.reason !== explained.reason
        this.lastError = explained
        // The first failure of a kind is a warning; repeats during a long outage are
        // summarised once a minute per connection.
        const verdict = changed ? { log: true, suppressed: 0 } : this.throttle.check(explained.reason)
        if (changed) this.throttle.check(explained.reason)
        if (!verdict.log) return
        o.log.warn(
            {
                client: o.name,
                reason: explained.reason,
                attempt: this.reconnect.attempt,
                ...(verdict.suppressed ? { repeated: verdict.suppressed } : {}),
            },
            wasConnected ? `lost the broker: ${explained.message}` : `cannot connect: ${explained.message}`,
        )
    }
}

function hex(n: number): string {
    return `0x${n.toString(16).toUpperCase().padStart(2, "0")}`
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    return Promise.race([
        promise,
        new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
        }),
    ]).finally(() => clearTimeout(timer))
}
