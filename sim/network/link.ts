/**
 * A simulated network link between one board and the world, as a `SocketConnector`
 * wrapped around the real one. A scenario drives its condition, and the board's power;
 * each models what a real TCP stack on each end would see (docs/scenarios.md has the
 * table):
 *
 * - `up`: bytes flow (after `delayMs`, if set, in order).
 * - `cut`: a reset both ways, as when a NAT box or router reboots: live connections are
 *   reset at once on both ends (the broker fires the will at once) and new ones fail.
 * - `blackhole`: nothing crosses in either direction, the board's own close included, and
 *   nobody is told. Bytes written meanwhile wait in each end's send buffer (TCP
 *   retransmits them); new connections hang (their SYN is lost). On restore the
 *   retransmissions arrive: a pending SYN at its next retransmission (the board's RTO,
 *   doubling: ./retransmit.ts), held bytes at once, a FIN sent meanwhile, and an
 *   end that forgot the connection (the board destroyed its socket, or the broker closed
 *   its side) answers the other's next segment with an RST.
 * - `wifi-loss`: the access point vanished. The board is told at once (its WiFi drops and
 *   its socket errors; new connections fail), the broker is not: its side stays open until
 *   its keep-alive gives up, or until it sends a segment after the link is back and the
 *   board's stack, which forgot the connection, answers with an RST.
 *
 * `powerCut()` is the board losing power: its connections go silent (no FIN, no RST)
 * whatever the link; the VM's own destroy of its socket never reaches the wire. After
 * `powerOn()` an old connection's next segment from the broker gets an RST from the
 * rebooted board.
 */
import {
    type BoardSocket,
    type SocketConnector,
    type SocketEvents,
    type SocketTarget,
} from "@fieldlink/devs-host"
import { nextRetransmit } from "./retransmit.js"

export type LinkCondition = "up" | "cut" | "blackhole" | "wifi-loss"

interface Connection {
    target: SocketTarget
    events: SocketEvents
    /** The far end's socket, once the SYN got through. */
    real: BoardSocket | undefined
    /** The board's stack no longer knows this connection: nothing more is reported to it. */
    boardGone: boolean
    /** The board closed gracefully while black-holed: its FIN waits for the link. */
    finHeld: boolean
    /** The far end is closed (or reset). */
    farGone: boolean
    /** The far end's close, not yet told to the board (it happened while black-holed). */
    farEndHeld: (() => void) | undefined
    /** Bytes each way waiting for a black hole to end (TCP retransmits them). */
    heldOut: Uint8Array[]
    heldIn: Uint8Array[]
    /** The far end sent a segment the board never answered: an RST is due when it can answer. */
    farSentUnanswered: boolean
    /** When the SYN went into a black hole (ms since the epoch). */
    synAt: number
}

export class NetworkLink implements SocketConnector {
    private condition: LinkCondition = "up"
    private powered = true
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
            for (const c of [...this.connections]) this.resetBothWays(c)
        } else if (condition === "wifi-loss") {
            for (const c of [...this.connections]) this.tellBoard(c, "network is unreachable (WiFi lost)")
        } else if (condition === "up" && was === "blackhole") {
            for (const c of [...this.connections]) this.retransmit(c)
        }
        if (condition === "up") for (const c of [...this.connections]) this.answerWithReset(c)
    }

    /** The board loses power: its connections go silent, nothing reaches either end. */
    powerCut(): void {
        this.powered = false
        for (const c of [...this.connections]) {
            this.forget(c)
            if (!c.real) this.drop(c)
        }
    }

    /** The board is back: it answers an old connection's next segment with an RST. */
    powerOn(): void {
        this.powered = true
        for (const c of [...this.connections]) this.answerWithReset(c)
    }

    connect(target: SocketTarget, events: SocketEvents): BoardSocket {
        const c: Connection = {
            target,
            events,
            real: undefined,
            boardGone: false,
            finHeld: false,
            farGone: false,
            farEndHeld: undefined,
            heldOut: [],
            heldIn: [],
            farSentUnanswered: false,
            synAt: Date.now(),
        }
        this.connections.add(c)
        if (this.condition === "cut" || this.condition === "wifi-loss") {
            const why =
                this.condition === "cut"
                    ? "network unreachable (link cut)"
                    : "network is unreachable (WiFi lost)"
            this.after(0, () => this.tellBoard(c, why))
        } else if (this.condition === "up") {
            this.open(c)
        }
        // blackhole: the SYN goes nowhere; it is retransmitted when the link is back, unless the board gives up first.
        return {
            write: chunk => this.boardWrites(c, chunk.slice()),
            end: () => this.boardCloses(c, "fin"),
            destroy: () => this.boardCloses(c, "abort"),
        }
    }

    /** Stops every timer and connection (the simulator is shutting down). */
    close(): void {
        for (const timer of this.timers) clearTimeout(timer)
        this.timers.clear()
        for (const c of [...this.connections]) {
            c.real?.destroy()
            this.connections.delete(c)
        }
    }

    private get passes(): boolean {
        return this.condition === "up" && this.powered
    }

    private open(c: Connection): void {
        c.real = this.inner.connect(c.target, {
            open: () => this.fromFar(c, () => c.events.open()),
            data: chunk => {
                const copy = chunk.slice()
                if (!c.boardGone && this.condition === "blackhole") c.heldIn.push(copy)
                else this.fromFar(c, () => c.events.data(copy))
            },
            error: message => this.farCloses(c, () => c.events.error(message)),
            close: () => this.farCloses(c, () => c.events.close()),
        })
    }

    /** A segment from the far end: delivered, or (to a board that forgot it) answered with an RST. */
    private fromFar(c: Connection, deliver: () => void): void {
        if (c.boardGone) {
            c.farSentUnanswered = true
            this.answerWithReset(c)
            return
        }
        if (!this.passes) return
        this.after(this.delay, () => {
            if (!c.boardGone) deliver()
        })
    }

    private farCloses(c: Connection, tell: () => void): void {
        if (c.farGone) return
        c.farGone = true
        if (c.boardGone) return this.drop(c)
        if (this.condition === "blackhole") {
            c.farEndHeld = tell
            return
        }
        this.after(this.passes ? this.delay : 0, () => {
            if (c.boardGone) return
            this.forget(c)
            this.drop(c)
            tell()
        })
    }

    private boardWrites(c: Connection, chunk: Uint8Array): void {
        if (c.boardGone || c.finHeld) return
        if (this.condition === "blackhole") {
            c.heldOut.push(chunk)
            return
        }
        if (c.farGone) {
            // The far end forgot the connection (its close was black-holed): RST.
            this.tellBoard(c, "connection reset by peer")
            return
        }
        if (!this.passes || !c.real) return
        this.after(this.delay, () => c.real?.write(chunk))
    }

    private boardCloses(c: Connection, how: "fin" | "abort"): void {
        if (c.boardGone) return
        if (this.condition === "blackhole" && how === "fin") {
            // The FIN is retransmitted until the link is back; the board hears nothing more.
            c.finHeld = true
            return
        }
        this.forget(c)
        if (this.passes && c.real && !c.farGone) {
            const real = c.real
            if (how === "fin") real.end()
            else real.destroy()
            this.drop(c)
        } else if (c.farGone || !c.real) {
            this.drop(c)
        }
        // Otherwise (black hole, abort): the RST is lost; the far end learns at its next segment.
    }

    /** The black hole ends: what each end retransmitted arrives. */
    private retransmit(c: Connection): void {
        if (!c.real && !c.boardGone && !c.finHeld) {
            // The SYN goes out again at its next retransmission, if the board still waits for it then.
            const at = nextRetransmit(c.synAt, Date.now())
            this.after(at - Date.now(), () => {
                if (!c.real && !c.boardGone && !c.finHeld && this.passes) this.open(c)
            })
            return
        }
        const out = c.heldOut.splice(0)
        const into = c.heldIn.splice(0)
        if (c.farGone) {
            const farEnd = c.farEndHeld
            c.farEndHeld = undefined
            if (c.boardGone || c.finHeld) return this.drop(c)
            // What the far end sent before its FIN arrives, then the FIN (or, had the board
            // retransmitted, the far end's RST).
            this.after(0, () => {
                if (c.boardGone) return
                for (const chunk of into) c.events.data(chunk)
                this.forget(c)
                this.drop(c)
                farEnd?.()
            })
            return
        }
        for (const chunk of out) c.real?.write(chunk)
        if (c.finHeld) {
            this.forget(c)
            c.real?.end()
            this.drop(c)
            return
        }
        if (c.boardGone) {
            if (into.length > 0) c.farSentUnanswered = true
            else if (!c.real) this.drop(c)
            return
        }
        this.after(0, () => {
            if (!c.boardGone) for (const chunk of into) c.events.data(chunk)
        })
    }

    /** A board that forgot a connection answers the far end's segment with an RST, once it can. */
    private answerWithReset(c: Connection): void {
        if (!c.boardGone || !c.farSentUnanswered || !this.passes) return
        c.real?.destroy()
        this.drop(c)
    }

    /** The board's socket errors now; its stack forgets the connection, the far end is not told. */
    private tellBoard(c: Connection, why: string): void {
        if (c.boardGone) return
        this.forget(c)
        if (!c.real || c.farGone) this.drop(c)
        const events = c.events
        this.after(0, () => events.error(`${c.target.host}:${c.target.port}: ${why}`))
    }

    private resetBothWays(c: Connection): void {
        const told = !c.boardGone
        this.forget(c)
        c.real?.destroy()
        this.drop(c)
        if (told)
            this.after(0, () =>
                c.events.error(`${c.target.host}:${c.target.port}: network unreachable (link cut)`),
            )
    }

    /** The board side is done with `c`: nothing more is reported to it. */
    private forget(c: Connection): void {
        c.boardGone = true
        c.heldIn = []
        c.heldOut = []
    }

    private drop(c: Connection): void {
        this.connections.delete(c)
    }

    private after(ms: number, fn: () => void): void {
        const timer = setTimeout(() => {
            this.timers.delete(timer)
            fn()
        }, ms)
        this.timers.add(timer)
    }
}
