/**
 * Packet ids split in two ranges on one connection: mqtt.js allocates from the lower
 * half (birth, info, subscriptions, the final `offline`: a handful per connection), the
 * device queue's own PUBLISHes (queue-lane.ts) use the upper half, so a PUBACK's id alone
 * says whose it is (puback-splitter.ts).
 */
import type { IClientOptions } from "mqtt"

type MessageIdProvider = NonNullable<IClientOptions["messageIdProvider"]>

/** The first id of the queue's range; mqtt.js's range is 1 to this − 1. */
export const QUEUE_ID_FIRST = 0x8000
/**
 * Ids the queue lane cycles through, from QUEUE_ID_FIRST: four times a device's send
 * window (1,024), few enough that the lane's id → seq table stays small (32 KB).
 */
export const QUEUE_ID_COUNT = 4096

/**
 * mqtt.js's `messageIdProvider` option: ids 1 to 0x7FFF in turn, like mqtt.js's default
 * provider over the whole range. With only a few in flight at once, an id comes round
 * again long after its PUBACK.
 */
export class LowerIdProvider implements MessageIdProvider {
    private last = 0

    allocate(): number {
        this.last = this.last >= QUEUE_ID_FIRST - 1 ? 1 : this.last + 1
        return this.last
    }

    getLastAllocated(): number | null {
        return this.last === 0 ? null : this.last
    }

    register(id: number): boolean {
        return id >= 1 && id < QUEUE_ID_FIRST
    }

    deallocate(): void {}

    clear(): void {}
}
