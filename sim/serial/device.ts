/**
 * A scripted serial device: says `hello`, then sends one JSON sample per period in the
 * line protocol (DESIGN §4), paced to the baud rate it claims (a PTY has none: without
 * pacing a simulated device would be impossibly fast). Faults: go silent, send garbage.
 */
import { crc8, crcHex } from "@fieldlink/protocol/serial"
import type { PtyPair } from "./pty.js"

export interface ScriptedDeviceOptions {
    id: string
    /** Samples per second. */
    rate: number
    baud: number
    /** `live=` in the hello: seconds of silence before the gateway may call it offline. */
    live: number
    /** Append ` *XX` CRC-8 checksums. */
    checksum: boolean
    readings: () => Record<string, number>
}

/** Seconds a line of `bytes` takes on the wire at `baud` (8N1: 10 bits a byte). */
export function lineSeconds(bytes: number, baud: number): number {
    return (bytes * 10) / baud
}

export class ScriptedDevice {
    private seq = 0
    private timer: NodeJS.Timeout | undefined
    private silent = false
    private busyUntil = 0
    /** Samples written to the PTY, by seq; what "nothing lost" is checked against. */
    readonly sent: number[] = []

    constructor(
        private readonly pty: PtyPair,
        private readonly o: ScriptedDeviceOptions,
    ) {}

    get id(): string {
        return this.o.id
    }

    async start(): Promise<void> {
        await this.hello()
        if (!this.timer) this.schedule()
    }

    /** Says who it is; again after a replug, as a board powered from USB restarts. */
    async hello(): Promise<void> {
        await this.sendLine(`hello id=${this.o.id} fw=sim-1 board=scripted live=${this.o.live}`)
    }

    stop(): void {
        clearTimeout(this.timer)
        this.timer = undefined
    }

    /** Power back after a reset or a power loss: a new `seq` run from 1, and hello again. */
    async reboot(): Promise<void> {
        this.seq = 0
        this.silent = false
        await this.hello()
    }

    /** Stops sending (a hung device, or one without power) until `speak()` or `reboot()`. */
    hush(): void {
        this.silent = true
    }

    speak(): void {
        this.silent = false
    }

    /** Random bytes, a bad checksum and an unknown verb: all must be refused, none may hurt. */
    async garbage(random: () => number): Promise<void> {
        const noise = Buffer.from(Array.from({ length: 64 }, () => Math.floor(random() * 256)))
        await this.pty
            .write(Buffer.concat([noise, Buffer.from("\nfrobnicate now\npub telemetry {} *00\n")]))
            .catch(() => undefined)
    }

    private schedule(): void {
        this.timer = setTimeout(() => {
            void this.tick()
            if (this.timer) this.schedule()
        }, 1000 / this.o.rate)
    }

    private async tick(): Promise<void> {
        if (this.silent || !this.pty.plugged) return
        this.seq++
        const line = JSON.stringify({ seq: this.seq, ...this.o.readings() })
        try {
            await this.sendLine(line)
            this.sent.push(this.seq)
        } catch {
            // Unplugged mid-write: that sample never left the device.
        }
    }

    private async sendLine(text: string): Promise<void> {
        const line = this.o.checksum ? `${text} *${crcHex(crc8(Buffer.from(text)))}` : text
        // Pace to the claimed baud rate: a line cannot start before the last one is out.
        const now = Date.now()
        const start = Math.max(now, this.busyUntil)
        this.busyUntil = start + lineSeconds(line.length + 1, this.o.baud) * 1000
        if (start > now) await new Promise(r => setTimeout(r, start - now))
        await this.pty.write(line + "\n")
    }
}
