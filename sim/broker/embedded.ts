// The embedded MQTT broker: aedes over plain TCP, in this process. It is the default
// broker of `npm start` (nothing to install) and the fallback when mosquitto is absent.
// aedes implements what fieldlink relies on: wills (fired when a socket closes without
// DISCONNECT, or after 1.5 × keep-alive of silence), retained messages, QoS 0/1/2,
// keep-alive. State lives in memory and ends with close().
import net from "node:net"
import { Aedes, type AedesOptions } from "aedes"

export interface EmbeddedBrokerOptions {
    /** TCP port; 0 (the default) picks a free one. */
    port?: number
    /** Address to listen on. Default 127.0.0.1: pass "0.0.0.0" to let real boards reach it. */
    host?: string
    /** Passed to aedes (e.g. `keepaliveLimit`, `authenticate`). */
    aedes?: AedesOptions
}

export interface EmbeddedBroker {
    /** mqtt://<host>:<port>, with 127.0.0.1 for a wildcard host. */
    readonly url: string
    readonly port: number
    readonly host: string
    /** The aedes instance, for its events ("client", "publish", "keepaliveTimeout", …). */
    readonly aedes: Aedes
    /** Closes every client connection (aedes publishes their wills as it does), stops listening, frees the port. */
    close(): Promise<void>
}

export async function startEmbeddedBroker(options: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
    const host = options.host ?? "127.0.0.1"
    const aedes = await Aedes.createBroker(options.aedes)
    const sockets = new Set<net.Socket>()
    const server = net.createServer(socket => {
        sockets.add(socket)
        socket.once("close", () => sockets.delete(socket))
        aedes.handle(socket)
    })

    try {
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject)
            server.listen({ port: options.port ?? 0, host }, () => {
                server.off("error", reject)
                resolve()
            })
        })
    } catch (err) {
        await new Promise<void>(resolve => aedes.close(() => resolve()))
        const code = (err as NodeJS.ErrnoException).code
        const hint =
            code === "EADDRINUSE"
                ? "; another broker may be running there, or pass port 0 for a free one"
                : ""
        // Keep the code: callers fall back to a free port on EADDRINUSE.
        throw Object.assign(
            new Error(
                `The embedded broker could not listen on ${host}:${options.port ?? 0}: ${(err as Error).message}${hint}`,
            ),
            { code },
        )
    }
    const { port } = server.address() as net.AddressInfo
    const urlHost =
        host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host

    let closing: Promise<void> | undefined
    const close = () => {
        closing ??= (async () => {
            const serverClosed = new Promise<void>(resolve => server.close(() => resolve()))
            await new Promise<void>(resolve => aedes.close(() => resolve()))
            // aedes closes the clients it knows; a socket that never sent CONNECT is not one.
            for (const socket of sockets) socket.destroy()
            await serverClosed
        })()
        return closing
    }

    return { url: `mqtt://${urlHost}:${port}`, port, host, aedes, close }
}
