/**
 * Watching the broker for a freshly flashed board's birth: the retained `online` it
 * publishes on `<root>/devices/<id>/status` after its CONNACK (DESIGN §2).
 *
 * The watch subscribes before the board is written, so the birth cannot be missed. A
 * retained copy delivered on subscribing is an older session's (MQTT 3.1.1 §3.3.1.3:
 * only those carry the retain flag) and does not count; neither does a fresh `offline`,
 * which is the broker firing the previous firmware's will when the board was reset.
 */
import mqtt, { type MqttClient } from "mqtt"
import { deviceTopic } from "@fieldlink/protocol/fieldlink-topics"
import { FlashError } from "./errors.js"

export interface BirthWatchOptions {
    broker: URL
    topicRoot: string
    deviceId: string
    connectTimeoutMs?: number
}

export interface Birth {
    /** Since the watch was armed. */
    afterMs: number
    /** The board's retained `info`, when it came within a moment of the birth. */
    info?: Record<string, unknown>
}

/** How long to wait for `info` after the birth (the firmware publishes it right after). */
const INFO_GRACE_MS = 3000

export class BirthWatch {
    private birthAt: number | undefined
    private info: Record<string, unknown> | undefined
    /** Births count only once armed: after the write, so an old firmware's cannot pass. */
    private armedAt: number | undefined
    private readonly waiters = new Set<() => void>()

    private constructor(
        private readonly client: MqttClient,
        readonly statusTopic: string,
    ) {}

    /** Connects and subscribes; fails with what to try when the broker cannot be reached. */
    static async start(o: BirthWatchOptions): Promise<BirthWatch> {
        const statusTopic = deviceTopic(o.topicRoot, o.deviceId, "status")
        const infoTopic = deviceTopic(o.topicRoot, o.deviceId, "info")
        let client: MqttClient
        try {
            client = await mqtt.connectAsync(o.broker.toString(), {
                clientId: `fieldlink-flash-${process.pid}-${Math.floor(Math.random() * 1e6)}`,
                connectTimeout: o.connectTimeoutMs ?? 10_000,
                reconnectPeriod: 1000,
                protocolVersion: 4,
            })
        } catch (error) {
            throw new FlashError(
                `cannot reach the broker ${o.broker.protocol}//${o.broker.host} from this computer to watch for the board: ${(error as Error).message}`,
                [
                    "check --broker (or mqtt_host and mqtt_port in firmware/.env.local): the board gets the same address",
                    "is the broker running and reachable from this network?",
                    "to flash without waiting for the board, pass --timeout 0",
                ],
            )
        }
        const watch = new BirthWatch(client, statusTopic)
        client.on("message", (topic, payload, packet) => {
            if (packet.retain) return
            if (watch.armedAt === undefined) return
            if (topic === statusTopic && payload.toString() === "online" && watch.birthAt === undefined)
                watch.birthAt = Date.now()
            if (topic === infoTopic) {
                try {
                    watch.info = JSON.parse(payload.toString()) as Record<string, unknown>
                } catch {
                    // not ours to judge here
                }
            }
            for (const w of watch.waiters) w()
        })
        await client.subscribeAsync([statusTopic, infoTopic], { qos: 1 })
        return watch
    }

    /** From now on a birth counts. */
    arm(): void {
        this.armedAt ??= Date.now()
    }

    /** Resolves at the birth (with `info` if it follows soon), or with undefined at the deadline. */
    async wait(timeoutMs: number): Promise<Birth | undefined> {
        const deadline = Date.now() + timeoutMs
        const until = (done: () => boolean, end: number) =>
            new Promise<void>(resolve => {
                const check = () => {
                    if (done() || Date.now() >= end) {
                        clearTimeout(timer)
                        this.waiters.delete(check)
                        resolve()
                    }
                }
                const timer = setTimeout(check, Math.max(0, end - Date.now()))
                this.waiters.add(check)
                check()
            })
        await until(() => this.birthAt !== undefined, deadline)
        if (this.birthAt === undefined) return undefined
        await until(() => this.info !== undefined, this.birthAt + INFO_GRACE_MS)
        return { afterMs: this.birthAt - (this.armedAt ?? this.birthAt), info: this.info }
    }

    async close(): Promise<void> {
        for (const w of this.waiters) w()
        await this.client.endAsync(true).catch(() => undefined)
    }
}
