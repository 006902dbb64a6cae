/**
 * mqtt.js's outgoing store for our links, keeping nothing.
 *
 * mqtt.js keeps a copy of every QoS 1 PUBLISH until its PUBACK (its default in-memory
 * Store), so that a reconnecting client can send them again. Our links never reconnect
 * a client (link.ts: each connection is a fresh client) and the device's queue is the
 * record of what to resend (queue/queue.ts), so those copies would only be held and freed
 * again for every message. This store (mqtt.js's `outgoingStore` option) accepts them and
 * lets them go. mqtt.js still tracks message ids and calls each publish back on its PUBACK.
 */
import { Store } from "mqtt"

type Packet = Parameters<Store["put"]>[0]
type PacketDone = Parameters<Store["del"]>[1]

/** mqtt.js's own Store with nothing put in it: its createStream() then replays nothing. */
export class NoReplayStore extends Store {
    override put(_packet: Packet, cb: () => void): this {
        cb?.()
        return this
    }

    override del(packet: Pick<Packet, "messageId">, cb: PacketDone): this {
        // mqtt.js only needs to hear that the id is free; it passes the packet on unread.
        cb?.(undefined, { cmd: "puback", messageId: packet.messageId } as Packet)
        return this
    }

    override get(_packet: Pick<Packet, "messageId">, cb: PacketDone): this {
        cb?.(new Error("no stored packet: this store keeps none (QoS 2 is not used)"))
        return this
    }
}
