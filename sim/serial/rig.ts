/**
 * The serial side of a simulation: devices on pseudo-terminals and the real gateway that
 * bridges them to the broker.
 *
 * - Scripted devices speak the line protocol at a given rate (./device.ts).
 * - Firmware devices are the real firmware in a VM with `transport` = `serial`: what it
 *   prints is carried to the PTY as `> ` lines, the way a DeviceScript board mirrors
 *   `console.log` to its log UART — the same firmware, shown working over serial.
 *
 * Devices are powered from the gateway's USB, as most are: pulling a cable, or the
 * gateway's host losing power, switches the device off too, and it boots again when power
 * returns — `hello` again and a new `seq` run from 1.
 */
import { seedFrom } from "../random.js"
import { simBoardSettings } from "../board-settings.js"
import { signal, type Waveform } from "../waveforms.js"
import { SimulatedBoard } from "@fieldlink/devs-host"
import { ScriptedDevice } from "./device.js"
import { GatewayProcess } from "./gateway-process.js"
import { PtyPair } from "./pty.js"

export interface SerialDeviceSpec {
    id: string
    /** `scripted`: a line-protocol script; `firmware`: the real firmware over its log UART. */
    kind: "scripted" | "firmware"
    /** scripted: samples per second. */
    rate: number
    /** firmware: sample period, ms. */
    intervalMs: number
    baud: number
    /** scripted: `live=` of its hello, seconds. */
    live: number
    checksum: boolean
    temperature?: Waveform
}

export interface SerialRigOptions {
    dir: string
    broker: URL
    /** Every node of the broker: the gateway's `broker.urls` (default: `broker` alone). */
    brokers?: readonly URL[]
    topicRoot: string
    gatewayId: string
    seed: number
    program: Uint8Array
    devices: SerialDeviceSpec[]
    onGatewayLog?: (record: Record<string, unknown>) => void
    /** MQTT keep-alive of the gateway's upstream connections, s (default 30). */
    gatewayKeepaliveS?: number
    /** The gateway's reconnect backoff (default the gateway's own). */
    gatewayReconnect?: { baseMs: number; capMs: number }
}

interface Attached {
    spec: SerialDeviceSpec
    pty: PtyPair
    script?: ScriptedDevice
    board?: SimulatedBoard
}

export class SerialRig {
    private readonly attached = new Map<string, Attached>()
    readonly gateway: GatewayProcess
    private readonly started = Date.now()

    private constructor(private readonly o: SerialRigOptions) {
        this.gateway = new GatewayProcess({
            id: o.gatewayId,
            broker: o.broker,
            brokers: o.brokers,
            topicRoot: o.topicRoot,
            dir: o.dir,
            keepaliveS: o.gatewayKeepaliveS,
            reconnect: o.gatewayReconnect,
            onLog: o.onGatewayLog,
        })
    }

    static async start(o: SerialRigOptions): Promise<SerialRig> {
        const rig = new SerialRig(o)
        try {
            for (const spec of o.devices)
                rig.attached.set(spec.id, { spec, pty: await PtyPair.open(o.dir, spec.id) })
            await rig.gateway.start()
            for (const a of rig.attached.values()) await rig.power(a)
        } catch (e) {
            await rig.stop()
            throw e
        }
        return rig
    }

    ids(): string[] {
        return [...this.attached.keys()]
    }

    /** The cable is pulled: the port vanishes, and the device, powered by it, stops. */
    async unplug(id: string): Promise<void> {
        const a = this.get(id)
        await a.pty.unplug()
        await this.powerOff(a)
    }

    /** The cable is back: the port reappears and the device boots (hello, seq from 1). */
    async plug(id: string): Promise<void> {
        const a = this.get(id)
        await a.pty.plug()
        await this.powerOn(a)
    }

    /** The device resets behind the gateway (watchdog, reset button): silent while it boots. */
    async resetStart(id: string): Promise<void> {
        await this.powerOff(this.get(id))
    }

    /** … and it is up again: hello, and a new seq run from 1. */
    async resetEnd(id: string): Promise<void> {
        await this.powerOn(this.get(id))
    }

    /**
     * The gateway's host loses power: the gateway stops dead (its broker connections go
     * silent, not closed) and every USB-powered device with it.
     */
    async hostPowerCut(): Promise<void> {
        this.gateway.freeze()
        for (const a of this.attached.values()) await this.powerOff(a)
    }

    /** Power back: the host boots a fresh gateway (same queues on disk), then the devices boot. */
    async hostPowerOn(): Promise<void> {
        await this.gateway.kill()
        await this.gateway.start()
        for (const a of this.attached.values()) await this.powerOn(a)
    }

    hush(id: string): void {
        this.get(id).script?.hush()
    }

    speak(id: string): void {
        this.get(id).script?.speak()
    }

    async garbage(id: string): Promise<void> {
        await this.get(id).script?.garbage(Math.random)
    }

    async stop(): Promise<void> {
        await this.gateway.stop().catch(() => undefined)
        for (const a of this.attached.values()) {
            a.script?.stop()
            await a.board?.stop().catch(() => undefined)
            await a.pty.close()
        }
    }

    private get(id: string): Attached {
        const a = this.attached.get(id)
        if (!a) throw new Error(`no serial device '${id}' (devices: ${this.ids().join(", ")})`)
        return a
    }

    private async powerOff(a: Attached): Promise<void> {
        a.script?.hush()
        const board = a.board
        a.board = undefined
        await board?.kill()
    }

    private async powerOn(a: Attached): Promise<void> {
        if (a.script) await a.script.reboot().catch(() => undefined)
        else if (!a.board) await this.power(a)
    }

    private async power(a: Attached): Promise<void> {
        const { spec, pty } = a
        const seed = seedFrom(`${this.o.seed}/${spec.id}`)
        const temperature = signal(
            spec.temperature ?? { type: "sine", mean: 22, amplitude: 2, periodS: 300 },
            seed,
        )
        const elapsed = () => (Date.now() - this.started) / 1000
        if (spec.kind === "scripted") {
            a.script = new ScriptedDevice(pty, {
                id: spec.id,
                rate: spec.rate,
                baud: spec.baud,
                live: spec.live,
                checksum: spec.checksum,
                readings: () => ({ temperature_c: Math.round(temperature(elapsed()) * 100) / 100 }),
            })
            await a.script.start()
            return
        }
        a.board = new SimulatedBoard({
            deviceId: spec.id,
            program: this.o.program,
            settings: simBoardSettings({
                deviceId: spec.id,
                broker: this.o.broker,
                brokers: this.o.brokers,
                topicRoot: this.o.topicRoot,
                keepAliveSeconds: 60,
                intervalMs: spec.intervalMs,
                transport: "serial",
            }),
            sensors: [
                { kind: "temperature", read: () => temperature(elapsed()) },
                { kind: "humidity", read: () => 45 },
            ],
            onLog: line => {
                if (pty.plugged) pty.write(`> ${line}\n`).catch(() => undefined)
            },
        })
        await a.board.start()
    }
}
