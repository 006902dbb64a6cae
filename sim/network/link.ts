/**
 * A simulated network link between one board and the world, as a `SocketConnector`
 * wrapped around the real one. A scenario drives its condition:
 *
 * - `up`: bytes flow (after `delayMs`, if set, in order).
 * - `cut`: the link is down hard, like an access point that vanished with a reset: live
 *   connections are reset at once (the broker sees the socket close and fires the will
 *   immediately) and new ones fail.
 * - `blackhole`: packets vanish both ways, and nobody is told. Connections stay "open";
 *   new ones hang. The board notices only through its keep-alive, the broker only after
 *   1.5 × keep-alive of silence. When the link comes back, a connection attempt still
 *   pending completes (as TCP's next SYN retransmit would), and a close from the far
 *   side that happened meanwhile is delivered (as the RST a real board would get on its
 *   next send).
 */
import { type BoardSocket, type SocketConnector, type SocketEvents, type SocketTarget } from "@fieldlink/devs-host"

export type LinkCondition = "up" | "cut" | "blackhole"

interface Connection {
    target: SocketTarget
    events: SocketEvents
    real: BoardSocket | undefined
    /** The far side closed or failed while the link was black-holed: tell on restore. */
    pendingEnd: (() => void) | undefined
    done: boolean
}

export class NetworkLink implements SocketConnector {
    private condition: LinkCondition = "up"
    private delay = 0
    private readonly connections = new Set<Connection>()
    private readonly timers = new Set<NodeJS.Timeout>()

    constructor(private readonly inner: SocketConnector) {}

    get state(): LinkCondition {
        return this.condition
    }

    get delayMs(): number {
        return this.delay
    }

    /** Adds latency to every chunk, both ways (0 = none). */
    setDelay(ms: number): void {
        this.delay = Math.max(0, ms)
    }

    set(condition: LinkCondition): void {
        const was = this.condition
        this.condition = condition
        if (condition === "cut") {
            for (const c of [...this.connections]) this.reset(c, "network unreachable (link cut)")
        } else if (condition === "up" && was === "blackhole") {
            for (const c of [...this.connections]) {
                if (!c.real && !c.done) {
                    this.open(c)
                    continue
                }
                const end = c.pendingEnd
                c.pendingEnd = undefined
                if (end) end()
            }
        }
    }

    connect(target: SocketTarget, events: SocketEvents): BoardSocket {
        const c: Connection = { target, events, real: undefined, pendingEnd: undefined, done: false }
        const later = (fn: () => void) => this.after(0, fn)
        if (this.condition === "cut") {
            c.done = true
            later(() => events.error(`${target.host}:${target.port}: network unreachable (link cut)`))
        } else if (this.condition === "up") {
            this.open(c)
        }
        // blackhole: the connection attempt goes nowhere; the board's own timeout ends it.
        this.connections.add(c)
        return {
            write: (chunk) => {
                if (c.done || this.condition !== "up" || !c.real) return
                const copy = chunk.slice()
                this.after(this.delay, () => c.real?.write(copy))
            },
            end: () => this.finish(c, (s) => s.end()),
            destroy: () => this.finish(c, (s) => s.destroy()),
        }
    }

    /** Stops every timer and connection (the simulator is shutting down). */
    close(): void {
        for (const timer of this.timers) clearTimeout(timer)
        this.timers.clear()
        for (const c of [...this.connections]) this.finish(c, (s) => s.destroy())
    }

    private open(c: Connection): void {
        const events: SocketEvents = {
            open: () => this.deliver(c, () => c.events.open()),
            data: (chunk) => {
                const copy = chunk.slice()
                this.deliver(c, () => c.events.data(copy))
            },
            error: (message) => this.deliverEnd(c, () => c.events.error(message)),
            close: () => this.deliverEnd(c, () => c.events.close()),
        }
        c.real = this.inner.connect(c.target, events)
    }

    /** Far side → board, subject to the link. */
    private deliver(c: Connection, fn: () => void): void {
        if (c.done || this.condition !== "up") return
        this.after(this.delay, () => {
            if (!c.done) fn()
        })
    }

    private deliverEnd(c: Connection, fn: () => void): void {
        if (c.done) return
        if (this.condition === "blackhole") {
            c.pendingEnd = () => this.deliverEnd(c, fn)
            return
        }
        this.after(this.condition === "up" ? this.delay : 0, () => {
            if (c.done) return
            c.done = true
            this.connections.delete(c)
            fn()
        })
    }

    private reset(c: Connection, why: string): void {
        if (c.done) return
        c.done = true
        this.connections.delete(c)
        c.real?.destroy()
        const events = c.events
        this.after(0, () => events.error(`${c.target.host}:${c.target.port}: ${why}`))
    }

    private finish(c: Connection, how: (s: BoardSocket) => void): void {
        if (c.done) return
        c.done = true
        this.connections.delete(c)
        if (c.real) how(c.real)
    }

    private after(ms: number, fn: () => void): void {
        const timer = setTimeout(() => {
            this.timers.delete(timer)
            fn()
        }, ms)
        this.timers.add(timer)
    }
}
