/**
 * Telemetry uplink: QoS 0 samples straight to the broker when online, otherwise into a
 * bounded drop-oldest queue that is flushed, in order, after the next CONNACK.
 * The number of samples dropped is reported in the next sample delivered.
 *
 * Each queued sample keeps the monotonic time it was taken (ds.millis: the board has no
 * wall clock). A sample sent more than 2 s after that carries `"age_ms"`, added at the
 * moment it is written to the socket (protocol/age.ts), so a subscriber can place it in
 * time: taken = received − age_ms.
 */
import { lateAge } from "@fieldlink/protocol/age"
import { DropOldestQueue } from "../core/queue.js"
import { withAge, withDropped } from "../core/sample.js"
import { MqttClient } from "../mqtt/client.js"

export class Telemetry {
    private queue: DropOldestQueue<string>
    private flushing = false

    /** @param now the monotonic clock samples are stamped with (ds.millis). */
    constructor(
        private client: MqttClient,
        private topic: string,
        capacity: number,
        private now: () => number,
    ) {
        this.queue = new DropOldestQueue<string>(capacity)
    }

    queued(): number {
        return this.queue.size()
    }

    totalDropped(): number {
        return this.queue.totalDropped()
    }

    /** Sends `json`, taken at `takenAt` (ms, `now`'s clock), now if possible, else keeps it for later. */
    async send(json: string, takenAt: number): Promise<void> {
        // While a flush runs, new samples go behind the queued ones to keep order.
        if (this.flushing || this.queue.size() > 0 || !this.client.isOnline()) {
            this.queue.push(json, takenAt)
            return
        }
        const dropped = this.queue.unreportedDrops()
        if (await this.client.publish(this.topic, this.payload(json, takenAt, dropped), false))
            this.queue.dropsReported(dropped)
        else this.queue.push(json, takenAt)
    }

    /** Delivers queued samples oldest first; stops at the first failed write. */
    async flush(): Promise<void> {
        if (this.flushing) return
        this.flushing = true
        try {
            while (this.queue.size() > 0 && this.client.isOnline()) {
                const dropped = this.queue.unreportedDrops()
                // Not sent: sample and drop count stay for the next attempt (its age is
                // computed again then).
                if (
                    !(await this.client.publish(
                        this.topic,
                        this.payload(this.queue.peek(), this.queue.peekStamp(), dropped),
                        false,
                    ))
                )
                    break
                this.queue.dropsReported(dropped)
                this.queue.shift()
            }
        } finally {
            this.flushing = false
        }
    }

    /** The sample as sent now: drops owed, and its age if it is late. */
    private payload(json: string, takenAt: number, dropped: number): string {
        return withAge(withDropped(json, dropped), lateAge(this.now() - takenAt))
    }
}
