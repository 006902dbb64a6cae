/**
 * One open serial port, the protocol side: bytes → lines → messages (protocol/serial),
 * replies to the device, which device it is, and whether it is alive.
 *
 * Identity: a device is attached under an id when it first sends a valid line — the id
 * of its `hello`, else a derived one (configured id, USB serial number, port name).
 * Liveness: a device silent for 1.5 × `live` seconds is detached (offline); its next
 * valid line attaches it again. Bad lines never count as life.
 */
import { clearRetainedCommand, type RetainedCommands } from "@fieldlink/protocol/commands"
import {
    cmdLine,
    errLine,
    frameLine,
    LineFramer,
    okLine,
    parseLine,
    PONG,
    type DeviceLine,
    type ErrorCode,
} from "@fieldlink/protocol/serial"
import type { PortConfig } from "../config/types.js"
import type { GatewayMetrics } from "../obs/gateway-metrics.js"
import type { CounterSeries } from "../obs/metrics.js"
import type { Logger } from "../obs/logger.js"
import type { LogThrottle } from "../obs/throttle.js"
import type { OpenSerial } from "../serial/transport.js"
import type { DeviceHub, PortHandle } from "./hub.js"
import type { DeviceCommand } from "./uplink.js"

export interface SessionContext {
    path: string
    config: PortConfig
    hub: DeviceHub
    log: Logger
    metrics: GatewayMetrics
    throttle: LogThrottle
    /** Ids to use without a hello, best first (configured, USB serial, port name). */
    derivedIds: string[]
    /** The id this port's device last said hello with, if the gateway saw one. */
    rememberedId?: string
    /** Retained commands seen for this port, kept while the gateway runs (reported once, not per connection). */
    retained: RetainedCommands
    onHello?(id: string): void
    now?: () => number
}

/** Lines to a device that does not read its port are dropped past this many bytes. */
export const MAX_PENDING_TX_BYTES = 64 * 1024

export interface PortStats {
    lines: number
    bytesIn: number
    bytesOut: number
    errors: Record<string, number>
    txDropped: number
}

export class PortSession implements PortHandle {
    readonly key: string
    readonly stats: PortStats = { lines: 0, bytesIn: 0, bytesOut: 0, errors: {}, txDropped: 0 }
    private readonly framer: LineFramer
    private serial: OpenSerial | undefined
    private identity: string | undefined
    private hello: { fw?: string; board?: string; live?: number } = {}
    private attached = false
    private lastValidAt = 0
    private liveTimer: NodeJS.Timeout | undefined
    private pendingTx = 0
    /** Reading is held back (the device's queue is deep while the broker is up). */
    private held = false
    private readonly now: () => number
    /** Per-line counters, their label keys built once for this port. */
    private readonly bytesInSeries: CounterSeries
    private readonly lineSeries = new Map<string, CounterSeries>()

    constructor(private readonly ctx: SessionContext) {
        this.key = ctx.path
        this.framer = new LineFramer(ctx.config.maxLineBytes)
        this.identity = ctx.rememberedId
        this.now = ctx.now ?? Date.now
        this.bytesInSeries = ctx.metrics.bytesIn.series({ port: this.key })
    }

    /** The device id in use, once the device has spoken. */
    get deviceId(): string | undefined {
        return this.attached ? this.identity : undefined
    }

    get online(): boolean {
        return this.attached
    }

    get liveSeconds(): number {
        return this.hello.live ?? this.ctx.config.live
    }

    start(serial: OpenSerial): void {
        this.serial = serial
    }

    /** Bytes from the port. */
    data(chunk: Buffer): void {
        this.stats.bytesIn += chunk.length
        this.bytesInSeries.inc(chunk.length)
        for (const event of this.framer.push(chunk)) {
            if (event.kind === "too-long")
                this.refuse(
                    "too-long",
                    `line of ${event.length} bytes is longer than this port's limit of ${this.ctx.config.maxLineBytes}`,
                )
            else
                this.line(
                    parseLine(event.bytes, { requireChecksum: this.ctx.config.checksum === "required" }),
                )
        }
    }

    /**
     * The port is gone or being closed. `detach` false on gateway shutdown: the uplinks
     * then say offline themselves, all at once.
     */
    end(detach: boolean): void {
        clearTimeout(this.liveTimer)
        this.liveTimer = undefined
        this.framer.reset()
        this.serial = undefined
        this.held = false
        if (this.attached && detach) this.goOffline("its port closed")
        this.ctx.throttle.forget(this.key + "|")
    }

    /**
     * Holds back reading the port, or reads it again. While held the device is not
     * silent, only unread: the liveness bound restarts when reading does.
     */
    holdReading(hold: boolean): void {
        if (hold === this.held) return
        this.held = hold
        if (hold) this.serial?.pause()
        else {
            this.lastValidAt = this.now()
            this.serial?.resume()
        }
    }

    /** A command from the broker for this port's device. */
    command(command: DeviceCommand): void {
        if (this.heldBack(command)) return
        const { name, payload } = command
        const m = this.ctx.metrics
        let text: string
        try {
            text = new TextDecoder("utf-8", { fatal: true }).decode(payload)
        } catch {
            m.commands.inc({ device: this.identity ?? "", result: "refused" })
            this.ctx.log.warn(
                { port: this.key, command: name },
                "command refused: its payload is not UTF-8 text",
            )
            return
        }
        const built = cmdLine(name, text, this.ctx.config.maxLineBytes)
        if ("problem" in built) {
            m.commands.inc({ device: this.identity ?? "", result: "refused" })
            this.ctx.log.warn({ port: this.key, command: name }, `command refused: ${built.problem}`)
            return
        }
        m.commands.inc({ device: this.identity ?? "", result: "sent" })
        this.send(built.line)
    }

    /**
     * Commands are actions (DESIGN §1): one that arrives retained (RETAIN = 1) would run
     * again at every connection, so it goes down only when the port's `retainedCommands`
     * lists it as a state the device may restore. True when it must not go down.
     */
    private heldBack(command: DeviceCommand): boolean {
        const { name } = command
        const kind = this.ctx.config.retainedCommands.includes(name) ? "state" : "action"
        const decision = this.ctx.retained.decide(
            command.topic,
            kind,
            command.retained,
            command.payload.length,
        )
        const where = { port: this.key, device: this.identity, command: name }
        if (decision.verdict === "restore")
            this.ctx.log.debug(where, "passing down a retained command: the port's retainedCommands lists it")
        if (decision.verdict !== "ignore" && decision.verdict !== "cleared") return false
        this.ctx.metrics.commands.inc({
            device: this.identity ?? "",
            result: decision.verdict === "ignore" ? "retained" : "cleared",
        })
        if (!decision.report) return true
        if (decision.verdict === "cleared") {
            this.ctx.log.info(
                where,
                `not passed down: an empty cmd/${name} after a retained one is taken as its clearing (mosquitto_pub -r -n); send it again to pass it down`,
            )
        } else {
            const clear = clearRetainedCommand(command.topic)
            this.ctx.log.warn(
                { ...where, clear },
                `retained command not passed down: cmd/${name} is stored on the broker and would run again at every connection (if it sets a state the device may restore, list "${name}" in this port's retainedCommands); clear it: ${clear}`,
            )
        }
        return true
    }

    private line(line: DeviceLine): void {
        switch (line.kind) {
            case "empty":
                return
            case "error":
                return this.refuse(line.code, line.reason)
            case "hello":
                return this.onHello(line)
        }
        if (!this.ensureAttached()) return
        this.alive(
            line.kind === "json" ? "json" : line.kind === "pub" ? (line.retain ? "pubr" : "pub") : "ping",
        )
        if (line.kind === "ping") return this.send(PONG)
        const dropped =
            line.kind === "json"
                ? this.ctx.hub.publish(this.identity!, "telemetry", line.payload, false)
                : this.ctx.hub.publish(this.identity!, line.subtopic, line.payload, line.retain)
        if (dropped > 0)
            this.ctx.log.debug(
                { port: this.key, device: this.identity, dropped },
                "queue full: oldest messages dropped",
            )
        if (this.ctx.config.acks)
            this.send(okLine(line.kind === "json" ? "json" : line.retain ? "pubr" : "pub"))
    }

    private onHello(hello: DeviceLine & { kind: "hello" }): void {
        const previous = this.attached ? this.identity : undefined
        if (previous !== undefined && previous !== hello.id)
            this.goOffline(`it now says hello as ${hello.id}`)
        const taken = this.ctx.hub.holder(hello.id)
        if (taken !== undefined && taken !== this.key)
            return this.refuse("bad-id", `id "${hello.id}" is already used by the device on ${taken}`)
        this.identity = hello.id
        this.hello = { fw: hello.fw, board: hello.board, live: hello.live }
        this.ctx.onHello?.(hello.id)
        if (this.attached) this.ctx.hub.update(hello.id, this, this.info())
        else if (!this.ensureAttached()) return
        this.alive("hello")
        this.rearmLiveness()
        this.send(okLine("hello"))
    }

    /** Attaches the device under its id, trying the derived ids in turn. */
    private ensureAttached(): boolean {
        if (this.attached) return true
        const candidates = this.identity !== undefined ? [this.identity] : this.ctx.derivedIds
        for (const id of candidates) {
            const problem = this.ctx.hub.attach(id, this, this.info())
            if (problem === undefined) {
                this.identity = id
                this.attached = true
                this.ctx.log.info({ port: this.key, device: id }, "device online")
                return true
            }
            if (candidates.length === 1) {
                this.refuse("bad-id", problem)
                return false
            }
        }
        this.refuse("bad-id", `no free id for this port (tried ${candidates.join(", ")}); send hello id=<id>`)
        return false
    }

    private info() {
        return { port: this.key, fw: this.hello.fw, board: this.hello.board, live: this.liveSeconds }
    }

    private alive(verb: string): void {
        this.lastValidAt = this.now()
        this.stats.lines++
        let lines = this.lineSeries.get(verb)
        if (lines === undefined)
            this.lineSeries.set(verb, (lines = this.ctx.metrics.lines.series({ port: this.key, verb })))
        lines.inc()
        if (this.liveTimer === undefined && this.liveSeconds !== 0) this.rearmLiveness()
    }

    private rearmLiveness(): void {
        clearTimeout(this.liveTimer)
        this.liveTimer = undefined
        const live = this.liveSeconds
        if (live === 0 || !this.attached) return
        const check = () => {
            if (this.held) this.lastValidAt = this.now()
            const left = this.lastValidAt + live * 1500 - this.now()
            if (left > 0) {
                this.liveTimer = setTimeout(check, left)
                return
            }
            this.liveTimer = undefined
            this.goOffline(`it was silent for ${live * 1.5} s (1.5 × live ${live} s)`)
        }
        this.liveTimer = setTimeout(check, Math.max(0, this.lastValidAt + live * 1500 - this.now()))
    }

    private goOffline(why: string): void {
        if (!this.attached) return
        clearTimeout(this.liveTimer)
        this.liveTimer = undefined
        this.attached = false
        this.ctx.log.info({ port: this.key, device: this.identity }, `device offline: ${why}`)
        this.ctx.hub.detach(this.identity!, this)
    }

    private refuse(code: ErrorCode, reason: string): void {
        this.stats.errors[code] = (this.stats.errors[code] ?? 0) + 1
        this.ctx.metrics.errors.inc({ port: this.key, reason: code })
        const verdict = this.ctx.throttle.check(`${this.key}|${code}`)
        if (verdict.log)
            this.ctx.log.warn(
                {
                    port: this.key,
                    device: this.identity,
                    reason: code,
                    ...(verdict.suppressed ? { suppressed: verdict.suppressed } : {}),
                },
                `refused a line: ${reason}`,
            )
        this.send(errLine(code, reason))
    }

    private send(text: string): void {
        const serial = this.serial
        if (!serial) return
        const bytes = Buffer.from(frameLine(text, this.ctx.config.checksum === "required"))
        if (this.pendingTx + bytes.length > MAX_PENDING_TX_BYTES) {
            this.stats.txDropped++
            this.ctx.metrics.txDropped.inc({ port: this.key })
            return
        }
        this.pendingTx += bytes.length
        this.stats.bytesOut += bytes.length
        this.ctx.metrics.bytesOut.inc({ port: this.key }, bytes.length)
        serial.write(bytes, () => {
            this.pendingTx -= bytes.length
        })
    }
}
