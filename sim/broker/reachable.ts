/**
 * The first node of a broker list that accepts a TCP connection: where `fieldlink sim`'s
 * live view and dashboard watch, so a first node that is down does not stop the run
 * (the boards and the gateway find the next node on their own).
 */
import net from "node:net"
import { socketAddress } from "@fieldlink/lib/mqtt/address"

function accepts(url: URL, timeoutMs: number): Promise<boolean> {
    const { host, port } = socketAddress(url)
    return new Promise(resolve => {
        const socket = net.connect({ host, port })
        const done = (ok: boolean) => {
            clearTimeout(timer)
            socket.destroy()
            resolve(ok)
        }
        const timer = setTimeout(() => done(false), timeoutMs)
        socket.once("connect", () => done(true))
        socket.once("error", () => done(false))
    })
}

/** The first of `urls` that accepts a connection, or the first of all when none does (its error then says why). */
export async function firstReachable(urls: readonly URL[], timeoutMs = 3000): Promise<URL> {
    for (const url of urls) if (await accepts(url, timeoutMs)) return url
    return urls[0]
}
