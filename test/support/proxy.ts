// A TCP proxy between an MQTT client and a broker, for fault injection: count packets,
// drop chosen ones (swallow PINGRESP), go silent (blackhole), cut every connection, or
// hold what one side sends for a while (a broker far away).
//
//   const proxy = await startProxy({ targetPort: broker.port, filterDownstream: (p) => p.name === "pingresp" ? "drop" : "pass" });
//   … point the client at proxy.url …
//   await waitFor(() => proxy.seen("up", "pingreq") >= 2, { what: "two PINGREQs" });
//
// It frames both directions into whole packets by their fixed header only and forwards
// each passed packet's original bytes unchanged. Plain TCP only: TLS bytes cannot be framed.
import net from "node:net"
import { MqttFramer, PACKET_NAMES, type FramedPacket, type PacketName } from "./mqtt-framer.js"

/** "up" is client → broker, "down" is broker → client. */
export type Direction = "up" | "down"
/** "close": forward the packet, then end both sides cleanly (FIN), as a broker that drops the client would. */
export type Verdict = "pass" | "drop" | "close"
/** Decides one packet's fate; `connection` is the 1-based number of the client connection. */
export type PacketFilter = (packet: FramedPacket, connection: number) => Verdict
export type PacketCounts = Record<PacketName, number>

export interface ProxyOptions {
    targetPort: number
    targetHost?: string
    filterDownstream?: PacketFilter
    filterUpstream?: PacketFilter
    /** Each packet passed in this direction is forwarded this many ms after it came, in order. */
    delayMs?: Partial<Record<Direction, number>>
}

export interface FaultProxy {
    readonly port: number
    /** mqtt://127.0.0.1:<port> */
    readonly url: string
    /** Packets of `name` the proxy received in `direction` (forwarded or not). */
    seen(direction: Direction, name: PacketName): number
    /** Packets of `name` not forwarded in `direction` (by a filter or the blackhole). */
    dropped(direction: Direction, name: PacketName): number
    /** A snapshot of all counters. */
    counts(): { seen: Record<Direction, PacketCounts>; dropped: Record<Direction, PacketCounts> }
    /** Client connections accepted since start: 2 after the first reconnect. */
    connections(): number
    /** Client connections open now. */
    liveConnections(): number
    /** Stream errors seen (e.g. an unframeable byte stream), for diagnosis. */
    errors(): string[]
    setFilter(direction: Direction, filter: PacketFilter | undefined): void
    /** Writes `bytes` (whole packets) to every live connection in `direction`, as if the other side sent them. */
    inject(direction: Direction, bytes: Buffer): void
    /** Resets (RST) every live connection on both sides, as a cut cable would. New ones are accepted. */
    cut(): void
    /** Ends every live connection cleanly (FIN) on both sides, as a broker closing them would. */
    end(): void
    /** While on, sockets stay open but nothing is forwarded either way. */
    blackhole(on: boolean): void
    /** Cuts every connection and stops listening. */
    close(): Promise<void>
}

interface Pair {
    client: net.Socket
    upstream: net.Socket
}

function zeroCounts(): PacketCounts {
    return Object.fromEntries(PACKET_NAMES.map(name => [name, 0])) as PacketCounts
}

export async function startProxy(options: ProxyOptions): Promise<FaultProxy> {
    const targetHost = options.targetHost ?? "127.0.0.1"
    const filters: Record<Direction, PacketFilter | undefined> = {
        up: options.filterUpstream,
        down: options.filterDownstream,
    }
    const seen: Record<Direction, PacketCounts> = { up: zeroCounts(), down: zeroCounts() }
    const dropped: Record<Direction, PacketCounts> = { up: zeroCounts(), down: zeroCounts() }
    const live = new Set<Pair>()
    const errors: string[] = []
    let accepted = 0
    let silent = false

    const server = net.createServer(client => {
        const connection = ++accepted
        const upstream = net.connect({ port: options.targetPort, host: targetHost })
        const pair: Pair = { client, upstream }
        live.add(pair)
        const forget = () => live.delete(pair)
        client.once("close", forget)
        upstream.once("close", forget)
        relay(client, upstream, "up", connection)
        relay(upstream, client, "down", connection)
    })

    function relay(from: net.Socket, to: net.Socket, direction: Direction, connection: number): void {
        const framer = new MqttFramer()
        from.on("data", (chunk: Buffer) => {
            let packets: FramedPacket[]
            try {
                packets = framer.push(chunk)
            } catch (err) {
                errors.push(`connection ${connection} ${direction}: ${(err as Error).message}`)
                from.destroy()
                to.destroy()
                return
            }
            for (const packet of packets) {
                seen[direction][packet.name]++
                const verdict = silent ? "drop" : (filters[direction]?.(packet, connection) ?? "pass")
                const delay = options.delayMs?.[direction] ?? 0
                if (verdict === "drop") dropped[direction][packet.name]++
                else if (delay > 0 && verdict === "pass")
                    // Timers of one duration fire in the order they were set: the order holds.
                    setTimeout(() => to.destroyed || to.writableEnded || to.write(packet.bytes), delay)
                else if (!to.destroyed) to.write(packet.bytes)
                if (verdict === "close") {
                    to.end()
                    from.end()
                    break
                }
            }
        })
        from.on("error", err => {
            errors.push(`connection ${connection} ${direction}: ${err.message}`)
        })
        // A FIN is passed on as a FIN once written data is flushed; an error or reset closes
        // the other side at once.
        from.on("end", () => to.end())
        from.on("close", () => {
            if (!to.writableEnded) to.destroy()
            else setTimeout(() => to.destroy(), 1000).unref()
        })
    }

    await new Promise<void>((resolve, reject) => {
        server.once("error", reject)
        server.listen({ port: 0, host: "127.0.0.1" }, () => {
            server.off("error", reject)
            resolve()
        })
    })
    const address = server.address() as net.AddressInfo

    const cut = () => {
        for (const { client, upstream } of live) {
            for (const socket of [client, upstream]) if (!socket.destroyed) socket.resetAndDestroy()
        }
        live.clear()
    }

    return {
        port: address.port,
        url: `mqtt://127.0.0.1:${address.port}`,
        seen: (direction, name) => seen[direction][name],
        dropped: (direction, name) => dropped[direction][name],
        counts: () => ({
            seen: { up: { ...seen.up }, down: { ...seen.down } },
            dropped: { up: { ...dropped.up }, down: { ...dropped.down } },
        }),
        connections: () => accepted,
        liveConnections: () => live.size,
        errors: () => [...errors],
        setFilter: (direction, filter) => {
            filters[direction] = filter
        },
        inject: (direction, bytes) => {
            for (const { client, upstream } of live) {
                const to = direction === "down" ? client : upstream
                if (!to.destroyed) to.write(bytes)
            }
        },
        cut,
        end: () => {
            for (const { client, upstream } of live) {
                client.end()
                upstream.end()
            }
        },
        blackhole: on => {
            silent = on
        },
        close: async () => {
            const closed = new Promise<void>(resolve => server.close(() => resolve()))
            cut()
            await closed
        },
    }
}
