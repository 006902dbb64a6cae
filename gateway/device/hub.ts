/**
 * Every device the gateway knows, by id: which port holds it now, its uplink, its queue.
 * Ports attach and detach devices; the hub keeps ids unique across ports, routes
 * commands back to the right port, and starts uplinks for queues a previous run left.
 */
import type { GatewayConfig } from "../config/types.js"
import type { GatewayMetrics } from "../obs/gateway-metrics.js"
import type { Logger } from "../obs/logger.js"
import type { QueueStore } from "../queue/store.js"
import { DeviceUplink, type DeviceCommand, type DeviceInfo } from "./uplink.js"

/** What the hub needs of a port session. */
export interface PortHandle {
    /** The port's path: who holds an id. */
    readonly key: string
    command(command: DeviceCommand): void
    /** true: stop reading the port (its device's queue is deep while the broker is up); false: read again. */
    holdReading(hold: boolean): void
}

export interface HubContext {
    config: GatewayConfig
    log: Logger
    metrics: GatewayMetrics
    store: QueueStore
}

export class DeviceHub {
    private readonly uplinks = new Map<string, DeviceUplink>()
    private readonly holders = new Map<string, PortHandle>()
    /** Devices that came back while their old uplink was saying goodbye. */
    private readonly returning = new Map<string, DeviceInfo>()
    private stopping = false

    constructor(private readonly ctx: HubContext) {}

    /** Queues left on disk by a previous run are delivered (then `offline` is said for them). */
    start(waiting: string[]): void {
        for (const id of waiting) {
            if (this.holders.has(id)) continue
            this.ctx.log.info(
                { device: id, queued: this.ctx.store.get(id).queue.depth },
                "delivering messages queued before the restart",
            )
            this.uplink(id).setAbsent()
        }
    }

    /** The port holding `id`, if any. */
    holder(id: string): string | undefined {
        return this.holders.get(id)?.key
    }

    /**
     * `port` now speaks for device `id` (its first valid line, or a hello). Returns a
     * reason when another port holds that id.
     */
    attach(id: string, port: PortHandle, info: DeviceInfo): string | undefined {
        const holder = this.holders.get(id)
        if (holder && holder !== port) return `id "${id}" is already used by the device on ${holder.key}`
        this.holders.set(id, port)
        this.ctx.metrics.deviceOnline.set({ device: id, port: port.key }, 1)
        const existing = this.uplinks.get(id)
        if (existing?.retiring) {
            this.returning.set(id, info)
            return undefined
        }
        this.uplink(id).setPresent(info)
        return undefined
    }

    /** New info (a hello with another fw, say) for a device `port` holds. */
    update(id: string, port: PortHandle, info: DeviceInfo): void {
        if (this.holders.get(id) !== port) return
        if (this.returning.has(id)) this.returning.set(id, info)
        else this.uplinks.get(id)?.setPresent(info)
    }

    /** `port` no longer speaks for `id`: the device is offline. */
    detach(id: string, port: PortHandle): void {
        if (this.holders.get(id) !== port) return
        this.holders.delete(id)
        this.returning.delete(id)
        port.holdReading(false)
        this.ctx.metrics.deviceOnline.set({ device: id, port: port.key }, 0)
        this.uplinks.get(id)?.setAbsent()
    }

    /** Queues a message of device `id` (held by `port`). Returns how many old ones were dropped. */
    publish(id: string, subtopic: string, payload: string, retain: boolean): number {
        return this.uplink(id).enqueue(subtopic, payload, retain)
    }

    all(): DeviceUplink[] {
        return [...this.uplinks.values()]
    }

    /** Every device says `offline` itself and disconnects; queues stay on disk. */
    async shutdown(): Promise<void> {
        this.stopping = true
        await Promise.all([...this.uplinks.values()].map(u => u.shutdown()))
    }

    private uplink(id: string): DeviceUplink {
        let uplink = this.uplinks.get(id)
        if (uplink) return uplink
        uplink = new DeviceUplink(id, this.ctx.store.get(id), {
            config: this.ctx.config,
            log: this.ctx.log.child({ device: id }),
            metrics: this.ctx.metrics,
            onCommand: (device, command) => this.command(device, command),
            onRetired: device => this.retired(device),
            onBacklog: (device, hold) => this.holders.get(device)?.holdReading(hold),
        })
        this.uplinks.set(id, uplink)
        return uplink
    }

    private command(id: string, command: DeviceCommand): void {
        const port = this.holders.get(id)
        if (!port) {
            this.ctx.metrics.commands.inc({ device: id, result: "no-device" })
            this.ctx.log.warn(
                { device: id, command: command.name, retained: command.retained },
                "command for a device that is offline: dropped",
            )
            return
        }
        port.command(command)
    }

    private retired(id: string): void {
        this.uplinks.delete(id)
        if (this.stopping) return
        const info = this.returning.get(id)
        this.returning.delete(id)
        if (info) return this.uplink(id).setPresent(info)
        // Gone for good (offline said, queue empty): nothing of it stays, so ids that
        // come and go (a device renamed every minute) keep memory and files bounded.
        if (this.ctx.store.retire(id)) {
            this.ctx.metrics.registry.forget("device", id)
            this.ctx.metrics.registry.forget("client", id)
        }
    }
}
