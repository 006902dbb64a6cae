/**
 * The broker check's connections: mqtt.js clients that record what they receive, and a
 * raw socket that speaks CONNECT and then falls silent (mqtt.js would keep pinging).
 * Every connection opened here is closed by `closeAll`.
 */
import net from "node:net"
import tls from "node:tls"
import mqtt, { type IClientOptions, type MqttClient } from "mqtt"
import { encodeConnect, type WillOptions } from "@fieldlink/protocol/mqtt"
import { nodeBytes, toBuffer } from "@fieldlink/lib/bytes-node"
import { socketAddress } from "@fieldlink/lib/mqtt/address"

export interface Received {
    topic: string
    payload: Buffer
    retain: boolean
    at: number
}

export interface Probe {
    client: MqttClient
    received: Received[]
    /** Resolves with the first message (already received or to come) matching, or null after `ms`. */
    waitFor(match: (m: Received) => boolean, ms: number): Promise<Received | null>
    /** Resolves once `count` messages match, or after `ms`; returns how many matched. */
    waitForCount(match: (m: Received) => boolean, count: number, ms: number): Promise<number>
}

// A cluster node under load (or over TLS on a slow link) can take seconds to answer; mqtt.js
// itself waits 30 s by default. 10 s keeps a dead address quick to report.
const CONNECT_TIMEOUT_MS = 10000

/** What to try for the usual ways a connection fails. */
function hintFor(error: Error & { code?: string | number }): string {
    if (error.code === "ECONNREFUSED")
        return "; nothing listens there: is the broker running, and is the port right?"
    if (error.code === "ENOTFOUND" || error.code === "EAI_AGAIN") return "; the host name does not resolve"
    if (error.code === 4 || error.code === 5)
        return "; give the user name and password in the URL: mqtt://user:pass@host:1883"
    // mqtt-packet's parse errors: something answered that does not speak MQTT, e.g.
    // RabbitMQ's AMQP port, whose "AMQP" greeting parses as a malformed PUBACK.
    if (error.code === undefined && /^Invalid /.test(error.message))
        return "; what answers there does not speak MQTT: is it the broker's MQTT port? (RabbitMQ's AMQP port is 5672, its MQTT plugin listens on 1883)"
    return ""
}

export class Connections {
    private readonly clients = new Set<MqttClient>()
    private readonly sockets = new Set<net.Socket>()

    /** Connects one client; rejects naming the URL when the broker does not accept it in time. */
    async open(url: string, clientId: string, options: IClientOptions = {}): Promise<Probe> {
        const client = mqtt.connect(url, {
            clientId,
            protocolVersion: 4,
            reconnectPeriod: 0,
            connectTimeout: CONNECT_TIMEOUT_MS,
            ...options,
        })
        this.clients.add(client)
        const received: Received[] = []
        const waiters = new Set<() => void>()
        client.on("message", (topic, payload, packet) => {
            received.push({ topic, payload, retain: packet.retain, at: Date.now() })
            for (const wake of [...waiters]) wake()
        })
        await new Promise<void>((resolve, reject) => {
            client.once("connect", () => resolve())
            client.once("error", error =>
                reject(new Error(`${url}: ${error.message} (client ${clientId})${hintFor(error)}`)),
            )
            client.once("close", () =>
                reject(
                    new Error(
                        `${url}: the broker closed the connection of ${clientId} before CONNACK (does it need a user name and password in the URL, or TLS with mqtts://?)`,
                    ),
                ),
            )
        })
        client.on("error", () => undefined) // later errors end in "close"; the probe sees what is missing
        const waitForCount = (match: (m: Received) => boolean, count: number, ms: number) =>
            new Promise<number>(resolve => {
                const check = () => {
                    const n = received.filter(match).length
                    if (n < count) return false
                    finish(n)
                    return true
                }
                const timer = setTimeout(() => finish(received.filter(match).length), ms)
                const finish = (n: number) => {
                    clearTimeout(timer)
                    waiters.delete(wake)
                    resolve(n)
                }
                const wake = () => void check()
                waiters.add(wake)
                check()
            })
        const waitFor = async (match: (m: Received) => boolean, ms: number) =>
            (await waitForCount(match, 1, ms)) > 0 ? received.find(match)! : null
        return { client, received, waitFor, waitForCount }
    }

    /**
     * CONNECTs over a plain socket with `will` and `keepAliveS`, waits for CONNACK, then
     * sends nothing more: the broker must fire the will after 1.5 × keep-alive.
     */
    async silent(url: string, clientId: string, keepAliveS: number, will: WillOptions): Promise<net.Socket> {
        const target = new URL(url)
        const { host, port, tls: secure } = socketAddress(target)
        const socket = secure
            ? tls.connect({ host, port, servername: net.isIP(host) === 0 ? host : undefined })
            : net.connect({ host, port })
        this.sockets.add(socket)
        const username = target.username ? decodeURIComponent(target.username) : undefined
        const password = target.password
            ? nodeBytes.encodeUtf8(decodeURIComponent(target.password))
            : undefined
        const connect = toBuffer(
            encodeConnect(nodeBytes, {
                clientId,
                cleanSession: true,
                keepAlive: keepAliveS,
                will,
                username,
                password,
            }),
        )
        await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(
                () => reject(new Error(`${url}: no CONNACK for ${clientId} within ${CONNECT_TIMEOUT_MS} ms`)),
                CONNECT_TIMEOUT_MS,
            )
            socket.once("error", error => reject(new Error(`${url}: ${error.message}`)))
            socket.once("data", data => {
                clearTimeout(timer)
                // CONNACK is 0x20 0x02 <flags> <return code>; 0 is accepted.
                if (data[0] === 0x20 && data[3] === 0) resolve()
                else reject(new Error(`${url}: CONNECT of ${clientId} refused (return code ${data[3]})`))
            })
            socket.write(connect)
        })
        socket.on("error", () => undefined)
        return socket
    }

    async closeAll(): Promise<void> {
        for (const socket of this.sockets) socket.destroy()
        await Promise.all([...this.clients].map(client => client.endAsync(true).catch(() => undefined)))
        this.clients.clear()
        this.sockets.clear()
    }
}
