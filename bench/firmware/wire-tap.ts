/**
 * A SocketConnector that sits between a simulated board and the network and records
 * every MQTT packet on the wire: direction, time, exact bytes, and how many socket
 * writes it took. It wraps the simulator's real TCP connector, so the board talks to a
 * real broker; nothing is changed, only seen.
 *
 * Counting at the connector (rather than in a TCP proxy) sees each `send()` of the
 * firmware as one write, which is what a board's TCP stack turns into segments.
 */
import { performance } from "node:perf_hooks"
import { netConnector, type BoardSocket, type SocketConnector } from "@fieldlink/devs-host"
import { PACKET_NAMES, readFixedHeader, type PacketName } from "@fieldlink/test-support/mqtt-framer"

/** "up" is board → broker, "down" is broker → board. */
export type Direction = "up" | "down"

export interface WirePacket {
    /** ms on the tap's clock (performance.now()). */
    at: number
    direction: Direction
    name: PacketName
    bytes: Buffer
    /** Socket writes (up) or reads (down) that carried part of this packet. */
    chunks: number
    /** 1-based number of the board's connection this packet belongs to. */
    connection: number
}

export interface LinkEvent {
    at: number
    connection: number
    what: "open" | "error" | "closed by peer" | "closed by board"
    detail?: string
}

/**
 * Splits a byte stream into whole packets by the fixed header, counting for each
 * packet how many chunks carried a part of it.
 */
class CountingFramer {
    private buffered: Buffer = Buffer.alloc(0)
    /** Chunks that carried bytes of the packet at the head of `buffered`. */
    private chunksOfHead = 0

    push(chunk: Buffer): Array<{ name: PacketName; bytes: Buffer; chunks: number }> {
        this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk])
        this.chunksOfHead++
        const packets: Array<{ name: PacketName; bytes: Buffer; chunks: number }> = []
        for (;;) {
            const header = readFixedHeader(this.buffered)
            if (header === undefined) break
            const total = header.headerLength + header.remainingLength
            if (this.buffered.length < total) break
            const bytes = Buffer.from(this.buffered.subarray(0, total))
            packets.push({ name: PACKET_NAMES[bytes[0] >> 4], bytes, chunks: this.chunksOfHead })
            this.buffered = this.buffered.subarray(total)
            // The next packet, if any, starts inside the chunk that ended this one.
            this.chunksOfHead = this.buffered.length > 0 ? 1 : 0
        }
        return packets
    }
}

export class WireTap implements SocketConnector {
    readonly packets: WirePacket[] = []
    readonly events: LinkEvent[] = []
    private connections = 0

    constructor(private readonly inner: SocketConnector = netConnector) {}

    connect(
        target: Parameters<SocketConnector["connect"]>[0],
        events: Parameters<SocketConnector["connect"]>[1],
    ): BoardSocket {
        const connection = ++this.connections
        const up = new CountingFramer()
        const down = new CountingFramer()
        const record = (direction: Direction, framer: CountingFramer, chunk: Uint8Array) => {
            const at = performance.now()
            for (const p of framer.push(Buffer.from(chunk)))
                this.packets.push({ at, direction, connection, ...p })
        }
        const note = (what: LinkEvent["what"], detail?: string) =>
            this.events.push({ at: performance.now(), connection, what, detail })
        const socket = this.inner.connect(target, {
            open: () => {
                note("open")
                events.open()
            },
            data: chunk => {
                record("down", down, chunk)
                events.data(chunk)
            },
            error: message => {
                note("error", message)
                events.error(message)
            },
            close: () => {
                note("closed by peer")
                events.close()
            },
        })
        return {
            write: chunk => {
                record("up", up, chunk)
                socket.write(chunk)
            },
            end: () => {
                note("closed by board")
                socket.end()
            },
            destroy: () => {
                note("closed by board")
                socket.destroy()
            },
        }
    }

    count(direction: Direction, name: PacketName): number {
        return this.packets.filter(p => p.direction === direction && p.name === name).length
    }
}
