/**
 * One device's upstream side: its own MQTT connection with its will (DESIGN §2), its
 * queue drained in order, its birth and info re-published on every connection, and its
 * commands passed down.
 *
 * A device is *present* while it speaks on a port. Present: after each CONNACK the
 * uplink publishes `online` (retained), `info` (retained), subscribes to `cmd/#`, then
 * sends the queue. *Absent* (silent past its bound, port gone, or only its old queue
 * left from a previous run): it drains the queue, then publishes `offline` itself and
 * sends DISCONNECT, and is retired. If the broker is down meanwhile it keeps trying, so
 * the broker always ends up told.
 */
import { lateAge } from "@fieldlink/protocol/age"
import { commandName, deviceTopic, STATUS_OFFLINE, STATUS_ONLINE } from "@fieldlink/protocol/fieldlink-topics"
import type { GatewayConfig } from "../config/types.js"
import type { GatewayMetrics } from "../obs/gateway-metrics.js"
import type { CounterSeries } from "../obs/metrics.js"
import type { Logger } from "../obs/logger.js"
import { LogThrottle } from "../obs/throttle.js"
import type { OutgoingMessage } from "../queue/queue.js"
import { stampMessage } from "../queue/stamp.js"
import type { StoredQueue } from "../queue/store.js"
import { MqttLink } from "../upstream/link.js"

export interface DeviceInfo {
    port: string
    fw?: string
    board?: string
    live: number
}

/** A message on `<root>/devices/<id>/cmd/<name>`. */
export interface DeviceCommand {
    topic: string
    name: string
    payload: Buffer
    /** RETAIN = 1: stored by the broker and sent again because of our subscription, not live. */
    retained: boolean
}

export interface UplinkContext {
    config: GatewayConfig
    log: Logger
    metrics: GatewayMetrics
    onCommand(id: string, command: DeviceCommand): void
    onRetired(id: string): void
    /**
     * The broker is up but takes the device's messages slower than it sends them: true asks
     * its port to stop being read until the queue has drained (see `checkBacklog`), false
     * lets it be read again.
     */
    onBacklog?(id: string, hold: boolean): void
}

/**
 * Messages in flight at once per device (sent, PUBACK not yet in), and their topic and
 * payload bytes. Enough to fill a far link: 1,024 per round trip is ~10,000 messages a
 * second to a broker 100 ms away, more than a port at 921,600 baud carries; and on a
 * near one, more messages per socket write and per PUBACK read (with 64, the window
 * before, the gateway bench measured a quarter to a third more CPU per line at full
 * rate). Few enough that a lost connection resends a short tail, and that a device of
 * long lines does not fill the socket's buffers: past SEND_WINDOW_BYTES no more go until
 * PUBACKs come (one always may).
 */
export const SEND_WINDOW = 1024
export const SEND_WINDOW_BYTES = 256 * 1024

/**
 * While this many messages await their PUBACK the device is ahead of the broker, and
 * sending is clocked by the PUBACKs (Nagle's rule, by message): a new message is not
 * written at once but with the next refill, and a refill that leaves messages waiting
 * comes 1 ms after the PUBACK that frees a slot rather than in the same turn. With fewer
 * in flight each serial read's lines go at once, so a steady device sees no added
 * latency. Behind, writing per serial read and per PUBACK read made the gateway and the
 * broker trade small batches: in the gateway bench's 50,000-line burst (one device, six
 * rounds) a round took 1,200 to 10,000 socket writes (17,000 with the first rule alone),
 * and the CPU per line followed; clocked, 800 to 2,000, and the median CPU per 1,000
 * lines went from 12–15 ms to 11 (lines/s 30,000–33,700 → 36,500).
 */
export const ACK_CLOCKED_FROM = 32

/**
 * The queue's window on a connection whose broker takes at most `receiveMaximum`
 * unacknowledged QoS 1 messages, `own` of the uplink's own (birth, info) among them.
 */
export function sendWindow(receiveMaximum: number, own: number): number {
    return Math.max(0, Math.min(SEND_WINDOW, receiveMaximum - own))
}

export class DeviceUplink {
    private present = false
    private info: DeviceInfo | undefined
    private infoDirty = false
    private announced: "none" | "online" = "none"
    private finishing = false
    private readonly link: MqttLink
    /** Topics by leaf, built once (a device uses a handful). */
    private readonly topics = new Map<string, string>()
    private readonly published: CounterSeries
    private readonly droppedSeries: CounterSeries
    private readonly backlogSeries: CounterSeries
    /** A refill of the send window is scheduled (see pump). */
    private refill: NodeJS.Immediate | NodeJS.Timeout | undefined
    private readonly refillNow = () => {
        this.refill = undefined
        this.pump()
    }
    /** New messages wait for the end of the serial read that brought them (see enqueue). */
    private sendQueued = false
    /** The port is asked not to be read: the queue is deep while the broker is up. */
    private holding = false
    /** The uplink's own QoS 1 messages (birth, info) awaiting their PUBACK on this connection. */
    private ownInFlight = 0
    /** Connections made so far: which one an own message went out on. */
    private connection = 0
    /** Holds are logged once, then at most once a minute with how many came between. */
    private readonly holdLog = new LogThrottle(60_000)

    constructor(
        readonly id: string,
        private readonly stored: StoredQueue,
        private readonly ctx: UplinkContext,
    ) {
        const c = ctx.config
        this.published = ctx.metrics.published.series({ device: id })
        this.droppedSeries = ctx.metrics.queueDropped.series({ device: id })
        this.backlogSeries = ctx.metrics.queueBackpressure.series({ device: id })
        this.link = new MqttLink(
            {
                name: id,
                clientId: `${c.broker.clientIdPrefix}${id}`,
                will: { topic: this.topic("status"), payload: STATUS_OFFLINE },
                broker: c.broker,
                log: ctx.log,
                metrics: ctx.metrics,
                duplicateHint: `the device \`${id}\` on two gateways, or a board with device id \`${id}\` also on WiFi? give each device its own id`,
            },
            {
                connected: () => {
                    this.announced = "none"
                    this.connection++
                    this.ownInFlight = 0
                    this.reconcile()
                    this.checkBacklog()
                },
                queueAcked: seq => this.sent(seq, undefined),
                disconnected: () => {
                    this.announced = "none"
                    this.stored.queue.resendUnacked()
                    this.checkBacklog()
                },
                message: (topic, payload, retained) => {
                    const name = commandName(c.topicRoot, id, topic)
                    if (name !== null) ctx.onCommand(id, { topic, name, payload, retained })
                },
            },
        )
    }

    get connected(): boolean {
        return this.link.connected
    }

    get isPresent(): boolean {
        return this.present
    }

    /** True once it has begun its final goodbye: a returning device needs a new uplink. */
    get retiring(): boolean {
        return this.finishing
    }

    get queue() {
        return this.stored.queue
    }

    get lastFailure(): string | undefined {
        return this.link.lastFailure
    }

    /** Times another client seemed to use this device's client id. */
    get takeovers(): number {
        return this.link.takeovers
    }

    setPresent(info: DeviceInfo): void {
        const changed = JSON.stringify(info) !== JSON.stringify(this.info)
        this.info = info
        this.infoDirty ||= changed
        this.present = true
        this.link.start()
        this.reconcile()
    }

    setAbsent(): void {
        this.present = false
        this.checkBacklog()
        this.link.start()
        this.reconcile()
    }

    /**
     * Queues a device message; it is sent as soon as the code that brought it is done (a
     * microtask): every line of one serial read then leaves in one socket write, not one
     * write per line, with no added wait — unless ACK_CLOCKED_FROM messages await their
     * PUBACK: then with the refill those bring. Returns how many old ones were dropped.
     */
    enqueue(subtopic: string, payload: string, retain: boolean): number {
        const dropped = this.stored.queue.push(
            this.topic(subtopic),
            payload,
            retain,
            this.ctx.config.broker.qos,
        )
        if (dropped > 0) this.droppedSeries.inc(dropped)
        if (!this.holding) this.checkBacklog()
        if (!this.sendQueued && !this.ahead()) {
            this.sendQueued = true
            queueMicrotask(() => {
                this.sendQueued = false
                this.pump()
            })
        }
        return dropped
    }

    /** Gateway shutdown: `offline` from us, then DISCONNECT (no will). The queue stays for next time. */
    async shutdown(): Promise<void> {
        this.finishing = true
        this.checkBacklog()
        await this.link.stop({ topic: this.topic("status"), payload: STATUS_OFFLINE })
    }

    private topic(leaf: string): string {
        let topic = this.topics.get(leaf)
        if (topic === undefined) {
            topic = deviceTopic(this.ctx.config.topicRoot, this.id, leaf)
            // A device could make up endless leaves (pub lines): keep only the first few.
            if (this.topics.size < 32) this.topics.set(leaf, topic)
        }
        return topic
    }

    private infoPayload(): string {
        const i = this.info!
        return JSON.stringify({
            id: this.id,
            fw: i.fw ?? "unknown",
            board: i.board ?? "unknown",
            transport: "serial",
            gateway: this.ctx.config.id,
            port: i.port,
            live_s: i.live,
        })
    }

    private reconcile(): void {
        if (!this.link.connected || this.finishing) return
        if (this.present) {
            if (this.announced !== "online") {
                // Birth first, then info, then the queue: one connection keeps this order.
                this.publishOwn("status", STATUS_ONLINE)
                this.publishOwn("info", this.infoPayload())
                this.link.subscribe(this.topic("cmd/#"))
                this.announced = "online"
                this.infoDirty = false
            } else if (this.infoDirty) {
                this.publishOwn("info", this.infoPayload())
                this.infoDirty = false
            }
        }
        this.pump()
        if (!this.present && this.stored.queue.depth === 0) {
            this.finishing = true
            void this.link
                .stop({ topic: this.topic("status"), payload: STATUS_OFFLINE })
                .then(() => this.ctx.onRetired(this.id))
        }
    }

    /**
     * Fills the send window. New messages go out at once (enqueue); after PUBACKs the
     * refill waits for setImmediate, so every PUBACK of one socket read (mqtt.js handles
     * each in its own tick) is counted first and the freed slots leave together, in one
     * socket write, rather than one write per PUBACK (1 ms when the device is ahead of the
     * broker: ACK_CLOCKED_FROM).
     */
    private pump(): void {
        if (!this.link.connected || this.finishing) return
        const queue = this.stored.queue
        const config = this.ctx.config
        // QoS 1 messages go by the link's queue lane when it has one (MQTT 3.1.1): one
        // write for the whole refill, no per-message work in mqtt.js.
        const lane = this.link.queueLane
        const window = sendWindow(this.link.receiveMaximum, this.ownInFlight)
        while (queue.inFlight < window && (queue.inFlight === 0 || queue.inFlightBytes < SEND_WINDOW_BYTES)) {
            const m = queue.nextToSend()
            if (m === undefined) break
            const waitedMs = queue.waited(m)
            // The queued bytes as they are, unless stamped: a string only when needed.
            let payload: string | OutgoingMessage = m
            let properties: { userProperties: { age_ms: string } } | undefined
            if (lateAge(waitedMs) !== 0 || config.timestamp !== "off") {
                // Its age (if late) and receive time are added now, as it goes (queue/stamp.ts).
                // Otherwise the device's text goes as it came (the common case: nothing built).
                const out = stampMessage(
                    { payload: m.payload, retain: m.retain, waitedMs, receivedAt: m.receivedAt },
                    config.timestamp,
                )
                payload = out.payload
                if (out.userProperty !== undefined && config.broker.protocolVersion === 5)
                    properties = { userProperties: { age_ms: out.userProperty } }
            }
            if (lane !== undefined && m.qos === 1 && lane.add(m.seq, m.topic, payload, m.retain)) continue
            // What the lane holds goes first: one connection, one order.
            lane?.flush()
            const seq = m.seq
            const text = typeof payload === "string" ? payload : m.payload
            this.link.publish(m.topic, text, m.qos, m.retain, error => this.sent(seq, error), properties)
        }
        lane?.flush()
    }

    /**
     * Publishes one of the uplink's own retained messages at QoS 1, counted against the
     * broker's Receive Maximum with the queue's until its PUBACK (or the connection's end).
     */
    private publishOwn(leaf: string, payload: string): void {
        const connection = this.connection
        if (!this.link.publish(this.topic(leaf), payload, 1, true, () => this.ownDone(connection))) return
        this.ownInFlight++
    }

    private ownDone(connection: number): void {
        if (connection !== this.connection) return // counted afresh on the new connection
        this.ownInFlight--
        this.scheduleRefill()
    }

    /**
     * Backpressure while the broker is up. A device can write faster than its link
     * carries (a remote broker 100 ms away takes at most SEND_WINDOW messages per round
     * trip); its queue would then fill and drop its oldest messages although nothing is
     * wrong. So past half the queue's bounds, with the link up, the port stops being read —
     * the device, the OS and the line wait, as on any slow consumer — until the queue is
     * down to a quarter. During an outage the port is read as before: the queue (and its
     * journal) is what outlives the outage, and past its bounds the oldest are dropped.
     */
    private checkBacklog(): void {
        const queue = this.stored.queue
        const { maxMessages, maxBytes } = queue.limits
        const deep = queue.depth >= maxMessages / 2 || queue.bytes >= maxBytes / 2
        const drained = queue.depth <= maxMessages / 4 && queue.bytes <= maxBytes / 4
        const hold =
            this.link.connected && this.present && !this.finishing && (this.holding ? !drained : deep)
        if (hold === this.holding) return
        this.holding = hold
        if (hold) {
            this.backlogSeries.inc()
            // Worth knowing (a link too slow for the device), not worth a line per hold.
            const verdict = this.holdLog.check("hold")
            if (verdict.log)
                this.ctx.log.info(
                    {
                        device: this.id,
                        queued: queue.depth,
                        ...(verdict.suppressed ? { repeated: verdict.suppressed } : {}),
                    },
                    "the broker takes this device's messages slower than it sends them: its port is read again once its queue drains",
                )
        }
        this.ctx.onBacklog?.(this.id, hold)
    }

    private sent(seq: number, error: Error | undefined): void {
        if (error) return // the connection went; the queue resends from its head
        const queue = this.stored.queue
        const consumed = queue.ack(seq)
        if (consumed > 0) this.published.inc(consumed)
        if (this.holding) this.checkBacklog()
        if (!this.present && queue.depth === 0) this.reconcile()
        else this.scheduleRefill()
    }

    /** A slot of the window came free: refill once every PUBACK of this read is counted (see pump). */
    private scheduleRefill(): void {
        if (this.refill !== undefined) return
        const queue = this.stored.queue
        // Ahead with messages still to send: a millisecond gathers more PUBACKs and lines per write.
        const waiting = this.ahead() && queue.depth > queue.inFlight
        this.refill = waiting ? setTimeout(this.refillNow, 1) : setImmediate(this.refillNow)
    }

    /** The device is ahead of the broker: sending is clocked by PUBACKs (ACK_CLOCKED_FROM). */
    private ahead(): boolean {
        return this.stored.queue.inFlight >= ACK_CLOCKED_FROM
    }
}
