/**
 * fieldlink's own MQTT 3.1.1 client for DeviceScript boards.
 *
 * Ours rather than `@devicescript/net`'s MQTTClient, whose defects we must not have:
 * keep-alive sent modulo 256, a fixed 40 s ping whatever the keep-alive, no PINGRESP
 * deadline, a 2-byte remaining-length cap, no DISCONNECT on stop, packet id fixed at 1,
 * `+` filters that never match, and each PUBLISH split over two socket writes.
 *
 * This file is the I/O shell only. Options and the CONNECT they make are in `options`,
 * packets come from the shared pure codec (protocol/mqtt), the connection life from
 * `core/connection`, ping timing from
 * `core/keepalive`, reconnect delays from `protocol/reconnect` (a connection the broker drops
 * soon after CONNACK does not reset the backoff; a run of them means a duplicate client
 * id), broker-side input it cannot use from `inbound`. Every packet goes out in exactly
 * one socket write.
 *
 * The DeviceScript runtime allows one socket per VM: while this client runs, nothing else
 * in the firmware may open one (opening another silently terminates ours).
 */
import * as ds from "@devicescript/core"
import { connect, Socket } from "@devicescript/net"
import { ByteArray } from "@fieldlink/protocol/bytes"
import {
    connackReason,
    encodeDisconnect,
    encodePingreq,
    encodePuback,
    encodePublish,
    encodeSubscribe,
    MqttPacket,
    PacketParser,
    PacketType,
    ParseError,
    topicMatches,
} from "@fieldlink/protocol/mqtt"
import { brokerAddressText } from "@fieldlink/protocol/broker-hosts"
import { InboundGuard } from "./inbound.js"
import { connectPacket, MqttClientHandlers, MqttClientOptions } from "./options.js"
import { RetryTracker } from "./retry.js"
import {
    ConnectionEvent,
    ConnectionState,
    connectionStateName,
    nextConnectionState,
} from "../core/connection.js"
import {
    KeepAliveAction,
    keepAliveAction,
    keepAliveStart,
    KeepAliveState,
    nextKeepAliveCheck,
    noteReceived,
    notePingSent,
    noteSent,
} from "../core/keepalive.js"
import { dsBytes } from "../bytes-ds.js"

/** Bytes parsed between two yields (see parse()). */
const PARSE_SLICE = 512

export class MqttClient {
    private state = ConnectionState.IDLE
    /** Bumped for every connection, so fibers of an old one know to quit. */
    private generation = 0
    /** Index into `options.brokers` of the node this (or the next) connection uses. */
    private node = 0
    private socket: Socket = null
    private parser: PacketParser
    private keepAlive: KeepAliveState = null
    private retry: RetryTracker
    private inbound: InboundGuard
    private nextPacketId = 1
    private wake = ds.emitter<number>()
    /** Packets parsed from the current chunk, handled in order once parsing is done. */
    private inbox: MqttPacket[] = []
    private collect: (p: MqttPacket) => void
    private stopped = ds.emitter<number>()

    constructor(
        private options: MqttClientOptions,
        private handlers: MqttClientHandlers,
    ) {
        this.parser = new PacketParser(dsBytes, options.maxPacketSize, true)
        this.retry = new RetryTracker(options.backoff, options.clientId, options.duplicateHint, handlers.log)
        this.inbound = new InboundGuard(handlers.log)
        const inbox = this.inbox
        this.collect = p => {
            inbox.push(p)
        }
    }

    isOnline(): boolean {
        return this.state === ConnectionState.ONLINE
    }

    stateName(): string {
        return connectionStateName(this.state)
    }

    /** Starts connecting in the background; reconnects until `stop()`. */
    start(): void {
        this.transition(ConnectionEvent.START)
        this.run.start()
    }

    /**
     * QoS 0 publish in one socket write. Returns false when the client is not online or
     * the write failed; the caller decides whether to queue.
     */
    async publish(topic: string, payload: string, retain: boolean): Promise<boolean> {
        if (this.state !== ConnectionState.ONLINE) return false
        return await this.write(
            encodePublish(dsBytes, { topic: topic, payload: Buffer.from(payload), qos: 0, retain: retain }),
        )
    }

    /**
     * Graceful stop: retained `offline` on the status topic, then DISCONNECT (so the
     * broker discards the will), then close. Resolves once the socket is closed.
     */
    async stop(): Promise<void> {
        const wasOnline = this.state === ConnectionState.ONLINE
        this.transition(ConnectionEvent.STOP)
        if (wasOnline) {
            await this.write(this.statusPacket(this.options.willPayload))
            await this.write(encodeDisconnect(dsBytes))
            this.handlers.log("mqtt: sent offline and DISCONNECT")
        }
        await this.dropSocket()
        this.transition(ConnectionEvent.LINK_LOST)
        this.wake.emit(0)
        this.stopped.emit(0)
    }

    private stopRequested(): boolean {
        return this.state === ConnectionState.STOPPED || this.state === ConnectionState.STOPPING
    }

    private transition(event: ConnectionEvent): void {
        const next = nextConnectionState(this.state, event)
        if (next !== this.state) {
            this.state = next
            this.handlers.log("mqtt: state " + connectionStateName(next))
        }
    }

    private async run(): Promise<void> {
        while (this.state !== ConnectionState.STOPPED) {
            await this.session()
            if (this.stopRequested()) break
            this.transition(ConnectionEvent.LINK_LOST)
            // Several nodes: the next attempt goes to the next one, with the same backoff,
            // so a node that went away is not waited for while another is up.
            this.node = (this.node + 1) % this.options.brokers.length
            const delay = this.retry.nextDelay(this.options.random)
            await ds.wait(this.stopped, delay)
            this.transition(ConnectionEvent.RETRY)
        }
    }

    /** One connection, from TCP connect until it is lost. */
    private async session(): Promise<void> {
        const gen = ++this.generation
        const o = this.options
        const broker = o.brokers[this.node]
        this.parser.reset()
        this.retry.connecting()
        try {
            this.socket = await connect({
                host: broker.host,
                port: broker.port,
                proto: o.tls ? "tls" : "tcp",
                timeout: o.connectTimeoutMs,
            })
        } catch (e) {
            this.handlers.log(
                "mqtt: connect to " + brokerAddressText(broker) + " failed: " + (e as Error).message,
            )
            return
        }
        if (this.state === ConnectionState.STOPPED) {
            await this.dropSocket()
            return
        }
        this.transition(ConnectionEvent.SOCKET_OPEN)
        this.keepAlive = keepAliveStart(ds.millis(), o.keepAliveSeconds)
        this.readLoop.start(gen)
        if (!(await this.write(connectPacket(o)))) return
        // The read loop moves us to ONLINE or BACKING_OFF; wait for either, bounded.
        const deadline = ds.millis() + o.connectTimeoutMs
        while (this.generation === gen && this.state === ConnectionState.AWAITING_CONNACK) {
            const left = deadline - ds.millis()
            if (left <= 0) {
                this.handlers.log("mqtt: no CONNACK within " + o.connectTimeoutMs + " ms")
                this.retry.endedByUs()
                await this.dropSocket()
                return
            }
            await ds.wait(this.wake, left)
        }
        if (this.state !== ConnectionState.ONLINE) {
            await this.dropSocket()
            return
        }
        this.retry.online()
        if (o.brokers.length > 1) this.handlers.log("mqtt: on broker " + brokerAddressText(broker))
        await this.write(this.statusPacket(o.birthPayload))
        if (o.subscriptions.length > 0) {
            const subs = o.subscriptions.map(topic => ({ topic: topic, qos: 1 }))
            const id = this.packetId()
            this.inbound.subscribed(id, o.subscriptions)
            await this.write(encodeSubscribe(dsBytes, id, subs))
        }
        await this.handlers.online()
        await this.keepAliveLoop(gen)
    }

    /** Runs while connection `gen` is online: pings on time, gives up on a silent broker. */
    private async keepAliveLoop(gen: number): Promise<void> {
        while (this.generation === gen && this.state === ConnectionState.ONLINE) {
            const ka = this.keepAlive
            const action = keepAliveAction(ka, ds.millis())
            if (action === KeepAliveAction.PING) {
                notePingSent(ka, ds.millis())
                if (!(await this.write(encodePingreq(dsBytes)))) break
            } else if (action === KeepAliveAction.TIMEOUT) {
                this.handlers.log("mqtt: no PINGRESP within " + ka.periodMs / 2 + " ms; reconnecting")
                this.retry.endedByUs()
                await this.dropSocket()
                break
            }
            const due = nextKeepAliveCheck(ka)
            // Keep-alive 0: nothing to time, just wait for the link to change.
            await ds.wait(this.wake, due < 0 ? 60000 : Math.max(1, due - ds.millis()))
        }
    }

    private async readLoop(gen: number): Promise<void> {
        const sock = this.socket
        while (this.generation === gen) {
            let chunk: Buffer
            try {
                chunk = await sock.recv()
            } catch (e) {
                this.handlers.log("mqtt: socket error: " + (e as Error).message)
                this.retry.endedByUs()
                break
            }
            if (chunk === null || chunk === undefined) break
            if (this.keepAlive) noteReceived(this.keepAlive, ds.millis())
            const error = await this.parse(chunk)
            if (error) {
                this.inbound.parseError(error)
                this.retry.endedByUs()
                break
            }
        }
        if (this.generation === gen) {
            this.handlers.log("mqtt: connection closed")
            await this.dropSocket()
        }
    }

    /**
     * Parses a chunk a slice at a time, handling the packets of each slice and yielding
     * between slices: a chunk packed with small packets (a flood of commands) would
     * otherwise cost more than the VM's ~128 Ki instructions between awaits and panic.
     */
    private async parse(chunk: Buffer): Promise<ParseError> {
        const n = chunk.length
        for (let at = 0; at < n; at += PARSE_SLICE) {
            // DeviceScript's slice does not clamp: past the end it pads with zeros.
            const end = at + PARSE_SLICE < n ? at + PARSE_SLICE : n
            const part = n <= PARSE_SLICE ? chunk : chunk.slice(at, end)
            const error = this.parser.feed(part, this.collect)
            while (this.inbox.length > 0) await this.handle(this.inbox.shift())
            if (error) return error
            if (n > PARSE_SLICE) await ds.sleep(0)
        }
        return null
    }

    private async handle(p: MqttPacket): Promise<void> {
        if (p.type === PacketType.CONNACK) {
            if (this.state !== ConnectionState.AWAITING_CONNACK) return this.inbound.unexpected(p)
            if (p.returnCode === 0) {
                this.transition(ConnectionEvent.CONNACK_ACCEPTED)
            } else {
                this.handlers.log("mqtt: broker refused connection: " + connackReason(p.returnCode))
                this.transition(ConnectionEvent.CONNACK_REFUSED)
            }
            this.wake.emit(0)
        } else if (p.type === PacketType.PUBLISH) {
            // Acknowledged whatever becomes of it, so the broker does not send it again.
            if (p.qos === 1) await this.write(encodePuback(dsBytes, p.packetId))
            if (p.oversize !== undefined) this.inbound.oversize(p, this.options.maxPacketSize)
            else if (!this.matchesSubscription(p.topic)) this.inbound.unsubscribed(p.topic)
            else if (this.inbound.allowCommand(p.topic))
                await this.handlers.message(p.topic, p.payload as Buffer, p.retain === true)
        } else if (p.type === PacketType.SUBACK) {
            this.inbound.suback(p)
        } else if (p.type !== PacketType.PINGRESP && p.type !== PacketType.PUBACK) {
            this.inbound.unexpected(p)
        }
        // PINGRESP, PUBACK: receipt alone is what matters (keep-alive noted it).
    }

    private matchesSubscription(topic: string): boolean {
        for (const filter of this.options.subscriptions) if (topicMatches(filter, topic)) return true
        return false
    }

    private statusPacket(payload: string): ByteArray {
        return encodePublish(dsBytes, {
            topic: this.options.statusTopic,
            payload: Buffer.from(payload),
            qos: 1,
            retain: true,
            packetId: this.packetId(),
        })
    }

    private packetId(): number {
        const id = this.nextPacketId
        this.nextPacketId = id >= 65535 ? 1 : id + 1
        return id
    }

    /** One packet, one socket write. False when there is no socket or the write failed. */
    private async write(packet: ByteArray): Promise<boolean> {
        const sock = this.socket
        if (!sock) return false
        try {
            await sock.send(packet as Buffer)
        } catch (e) {
            this.handlers.log("mqtt: write failed: " + (e as Error).message)
            this.retry.endedByUs()
            await this.dropSocket()
            return false
        }
        if (this.keepAlive) noteSent(this.keepAlive, ds.millis())
        return true
    }

    private async dropSocket(): Promise<void> {
        const sock = this.socket
        this.socket = null
        this.generation++
        if (sock) await sock.close()
        this.wake.emit(0)
    }
}
