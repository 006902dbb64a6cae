/**
 * Ports come and go: every `scanIntervalMs` the manager asks the finder which configured
 * ports exist, opens the new ones, and closes the ones that vanished (or whose symlink
 * now points at another device node). A port that fails to open, or closes by itself,
 * is retried with exponential backoff (1 s doubling to 30 s); its path reappearing does
 * not skip the wait, but a successful open resets it.
 */
import path from "node:path"
import { RetainedCommands } from "@fieldlink/protocol/commands"
import { backoffCeiling } from "@fieldlink/protocol/backoff"
import { topicSafe } from "../config/resolve.js"
import type { GatewayConfig } from "../config/types.js"
import type { DeviceHub } from "../device/hub.js"
import { PortSession } from "../device/session.js"
import type { GatewayMetrics } from "../obs/gateway-metrics.js"
import type { Logger } from "../obs/logger.js"
import { LogThrottle } from "../obs/throttle.js"
import type { FoundPort, PortFinder } from "./discovery.js"
import type { OpenSerial, SerialTransport } from "./transport.js"

export interface ManagerContext {
    config: GatewayConfig
    transport: SerialTransport
    finder: PortFinder
    hub: DeviceHub
    log: Logger
    metrics: GatewayMetrics
}

interface OpenPort {
    session: PortSession
    serial: OpenSerial
    realPath: string
    /** performance.now() of the last bytes read. */
    lastDataAt: number
}

const REOPEN = { baseMs: 1000, capMs: 30000 }

/**
 * At shutdown a port is read until it has been quiet this long, so lines the device had
 * already sent — still in the kernel's tty buffer or a USB adapter's — are queued (and
 * journaled) instead of lost with the close. Bounded by DRAIN_MAX_MS for a device that
 * never stops talking.
 */
export const DRAIN_QUIET_MS = 250
export const DRAIN_MAX_MS = 3000

export class PortManager {
    private readonly open = new Map<string, OpenPort>()
    private readonly opening = new Set<string>()
    /** Ports waiting to be opened again: `at` is on the monotonic clock (a wall clock may step back). */
    private readonly retry = new Map<string, { attempt: number; at: number }>()
    /** The last hello id seen on each port, kept while the gateway runs. */
    private readonly helloIds = new Map<string, string>()
    /** Retained commands seen on each port, kept while the gateway runs: reported once, not at every reopen. */
    private readonly retained = new Map<string, RetainedCommands>()
    private readonly throttle = new LogThrottle(10_000)
    private timer: NodeJS.Timeout | undefined
    private scanning: Promise<void> | undefined
    private stopped = false

    constructor(private readonly ctx: ManagerContext) {}

    start(): Promise<void> {
        this.timer = setInterval(() => void this.scan(), this.ctx.config.scanIntervalMs)
        return this.scan()
    }

    sessions(): PortSession[] {
        return [...this.open.values()].map(p => p.session)
    }

    /** Paths configured or seen, with whether they are open now (for stats). */
    portStates(): { path: string; open: boolean; session?: PortSession }[] {
        const out: { path: string; open: boolean; session?: PortSession }[] = [...this.open.entries()].map(
            ([p, o]) => ({ path: p, open: true, session: o.session }),
        )
        for (const p of this.retry.keys())
            if (!this.open.has(p)) out.push({ path: p, open: false, session: undefined })
        return out
    }

    /** One scan; concurrent calls share it. */
    scan(): Promise<void> {
        this.scanning ??= this.scanOnce().finally(() => (this.scanning = undefined))
        return this.scanning
    }

    /**
     * Closes every port without marking devices offline (their uplinks say so at
     * shutdown), each once what it still holds has been read (see DRAIN_QUIET_MS).
     */
    async stop(): Promise<void> {
        this.stopped = true
        clearInterval(this.timer)
        await this.scanning?.catch(() => undefined)
        await Promise.all(
            [...this.open.keys()].map(async p => {
                await this.drain(p)
                await this.close(p, false)
            }),
        )
    }

    private async drain(p: string): Promise<void> {
        const deadline = performance.now() + DRAIN_MAX_MS
        for (;;) {
            const o = this.open.get(p)
            if (o === undefined) return
            const now = performance.now()
            const quietLeft = o.lastDataAt + DRAIN_QUIET_MS - now
            if (quietLeft <= 0 || now >= deadline) return
            await new Promise(resolve => setTimeout(resolve, Math.min(quietLeft, deadline - now)))
        }
    }

    private async scanOnce(): Promise<void> {
        if (this.stopped) return
        let found: FoundPort[]
        try {
            found = await this.ctx.finder.find(this.ctx.config.ports)
        } catch (e) {
            this.ctx.log.error({ err: (e as Error).message }, "cannot list serial ports")
            return
        }
        const present = new Map(found.map(f => [f.path, f]))
        for (const [p, o] of this.open) {
            const now = present.get(p)
            if (now === undefined) {
                this.ctx.log.info({ port: p }, "port vanished")
                await this.close(p, true)
            } else if (now.realPath !== o.realPath) {
                this.ctx.log.info(
                    { port: p, was: o.realPath, now: now.realPath },
                    "port now leads to another device node; reopening",
                )
                await this.close(p, true)
            }
        }
        const t = performance.now()
        for (const f of found) {
            if (this.stopped || this.open.has(f.path) || this.opening.has(f.path)) continue
            const wait = this.retry.get(f.path)
            if (wait && wait.at > t) continue
            void this.openPort(f)
        }
    }

    private async openPort(f: FoundPort): Promise<void> {
        const { config } = f
        this.opening.add(f.path)
        try {
            const derivedIds: string[] = []
            if (config.id) derivedIds.push(config.id)
            else {
                const usb = await this.ctx.finder.usbInfo(f.path)
                if (usb?.serialNumber) derivedIds.push(topicSafe(usb.serialNumber))
                derivedIds.push(topicSafe(path.basename(f.path)))
            }
            const session = new PortSession({
                path: f.path,
                config,
                hub: this.ctx.hub,
                log: this.ctx.log,
                metrics: this.ctx.metrics,
                throttle: this.throttle,
                derivedIds,
                rememberedId: this.helloIds.get(f.path),
                retained: this.retainedOn(f.path),
                onHello: id => this.helloIds.set(f.path, id),
            })
            const serial = await this.ctx.transport.open(f.path, config, {
                data: chunk => {
                    const o = this.open.get(f.path)
                    if (o?.session === session) o.lastDataAt = performance.now()
                    session.data(chunk)
                },
                closed: error => this.closedByItself(f.path, session, error),
            })
            if (this.stopped) {
                await serial.close()
                return
            }
            session.start(serial)
            this.open.set(f.path, { session, serial, realPath: f.realPath, lastDataAt: performance.now() })
            this.retry.delete(f.path)
            this.ctx.metrics.portOpen.set({ port: f.path }, 1)
            this.ctx.metrics.portOpens.inc({ port: f.path })
            this.ctx.log.info(
                {
                    port: f.path,
                    node: f.realPath !== f.path ? f.realPath : undefined,
                    baudRate: config.baudRate,
                    ids: derivedIds,
                },
                "port open",
            )
        } catch (e) {
            this.ctx.metrics.portOpenFailures.inc({ port: f.path })
            const delay = this.backoff(f.path)
            const verdict = this.throttle.check(`open|${f.path}`)
            if (verdict.log)
                this.ctx.log.warn(
                    { port: f.path, err: (e as Error).message, retryInMs: delay },
                    "cannot open port",
                )
        } finally {
            this.opening.delete(f.path)
        }
    }

    private retainedOn(p: string): RetainedCommands {
        let seen = this.retained.get(p)
        if (seen === undefined) {
            seen = new RetainedCommands()
            this.retained.set(p, seen)
        }
        return seen
    }

    private backoff(p: string): number {
        const attempt = (this.retry.get(p)?.attempt ?? -1) + 1
        const delay = backoffCeiling(attempt, REOPEN)
        this.retry.set(p, { attempt, at: performance.now() + delay })
        return delay
    }

    private closedByItself(p: string, session: PortSession, error?: Error): void {
        const o = this.open.get(p)
        if (!o || o.session !== session) return
        this.open.delete(p)
        session.end(true)
        this.ctx.finder.forget(p)
        this.ctx.metrics.portOpen.set({ port: p }, 0)
        this.ctx.log.warn({ port: p, err: error?.message }, "port closed by itself (unplugged?)")
        this.backoff(p)
    }

    private async close(p: string, detach: boolean): Promise<void> {
        const o = this.open.get(p)
        if (!o) return
        this.open.delete(p)
        o.session.end(detach)
        this.ctx.finder.forget(p)
        this.ctx.metrics.portOpen.set({ port: p }, 0)
        await o.serial.close().catch(() => undefined)
    }
}
