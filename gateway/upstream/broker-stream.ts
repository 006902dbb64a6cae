/**
 * The byte stream an mqtt.js client runs over (MqttClient's stream builder): a TCP or
 * TLS socket to one broker node, and optionally a tap in front of it that takes out the
 * PUBACKs for the device queue's own PUBLISHes before mqtt.js parses anything
 * (puback-splitter.ts, queue-lane.ts).
 *
 * mqtt.js's `connect(url)` builds its socket itself and has no option to put anything
 * between the socket and its parser, so the link builds the socket here, from the same
 * URL and TLS settings, and hands it to mqtt.js's public `MqttClient` constructor.
 */
import net from "node:net"
import { Duplex } from "node:stream"
import tls from "node:tls"
import { socketAddress } from "@fieldlink/lib/mqtt/address"
import type { BrokerConfig } from "../config/types.js"
import type { PubackSplitter } from "./puback-splitter.js"

/** A socket to the broker at `url` (mqtt:// or mqtts://), with the broker's TLS settings. */
export function openBrokerSocket(url: URL, broker: BrokerConfig): net.Socket {
    const { host, port, tls: secure } = socketAddress(url)
    if (!secure) return net.createConnection({ host, port })
    const t = broker.tls
    return tls.connect({
        host,
        port,
        // As mqtt.js does: a host name is also the name the certificate must carry (SNI).
        servername: t?.servername ?? (net.isIP(host) === 0 ? host : undefined),
        rejectUnauthorized: t?.rejectUnauthorized ?? true,
        ...(t?.ca ? { ca: t.ca } : {}),
        ...(t?.cert ? { cert: t.cert } : {}),
        ...(t?.key ? { key: t.key } : {}),
        ...(t?.passphrase !== undefined ? { passphrase: t.passphrase } : {}),
    })
}

/**
 * A socket seen through a PubackSplitter: reads are what the splitter passes on, writes
 * go to the socket as they are (several at once in one corked write), and the socket's
 * end, errors and close are the tap's.
 */
export class PubackTap extends Duplex {
    constructor(
        private readonly socket: net.Socket,
        splitter: PubackSplitter,
    ) {
        super()
        socket.on("data", (chunk: Buffer) => {
            const rest = splitter.split(chunk)
            if (rest !== undefined && !this.push(rest)) socket.pause()
        })
        socket.on("end", () => this.push(null))
        socket.on("error", error => this.destroy(error))
        socket.on("close", () => this.destroy())
    }

    /** Every byte written to the tap has been handed to the kernel: none waits in a stream. */
    get drained(): boolean {
        return this.writableLength === 0 && this.socket.writableLength === 0
    }

    override _read(): void {
        this.socket.resume()
    }

    override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
        if (this.socket.write(chunk)) done()
        else this.socket.once("drain", () => done())
    }

    override _writev(chunks: { chunk: Buffer }[], done: (error?: Error | null) => void): void {
        this.socket.cork()
        let flowing = true
        for (const c of chunks) flowing = this.socket.write(c.chunk)
        this.socket.uncork()
        if (flowing) done()
        else this.socket.once("drain", () => done())
    }

    override _final(done: (error?: Error | null) => void): void {
        this.socket.end(() => done())
    }

    override _destroy(error: Error | null, done: (error?: Error | null) => void): void {
        this.socket.destroy()
        done(error)
    }
}
