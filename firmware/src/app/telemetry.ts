/**
 * Telemetry uplink: QoS 0 samples straight to the broker when online, otherwise into a
 * bounded drop-oldest queue that is flushed, in order, after the next CONNACK.
 * The number of samples dropped is reported in the next sample delivered.
 */
import { DropOldestQueue } from "../core/queue.js"
import { withDropped } from "../core/sample.js"
import { MqttClient } from "../mqtt/client.js"

export class Telemetry {
    private queue: DropOldestQueue<string>
    private flushing = false

    constructor(private client: MqttClient, private topic: string, capacity: number) {
        this.queue = new DropOldestQueue<string>(capacity)
    }

    queued(): number {
        return this.queue.size()
    }

    totalDropped(): number {
        return this.queue.totalDropped()
    }

    /** Sends `json` now if possible, else keeps it for later. */
    async send(json: string): Promise<void> {
        // While a flush runs, new samples go behind the queued ones to keep order.
        if (this.flushing || this.queue.size() > 0 || !this.client.isOnline()) {
            this.queue.push(json)
            return
        }
        const dropped = this.queue.unreportedDrops()
        if (await this.client.publish(this.topic, withDropped(json, dropped), false)) this.queue.dropsReported(dropped)
        else this.queue.push(json)
    }

    /** Delivers queued samples oldest first; stops at the first failed write. */
    async flush(): Promise<void> {
        if (this.flushing) return
        this.flushing = true
        try {
            while (this.queue.size() > 0 && this.client.isOnline()) {
                const dropped = this.queue.unreportedDrops()
                // Not sent: sample and drop count stay for the next attempt.
                if (!(await this.client.publish(this.topic, withDropped(this.queue.peek(), dropped), false))) break
                this.queue.dropsReported(dropped)
                this.queue.shift()
            }
        } finally {
            this.flushing = false
        }
    }
}
