/**
 * Pseudo-terminal devices writing JSON lines to a gateway, in a process of its own so
 * that writing the lines costs the measured bridge nothing and is not slowed by it. It
 * owns the devices (the simulator's PTY cable: socat pairs at <dir>/ports/<name>) and
 * does what the parent asks over IPC (LoadRequest; start it with startHelper):
 *
 *  - `load`: `total` lines spread round-robin over the devices at `rate` lines/s in all
 *    (0 = all at once), one global `seq` (the gateway bench);
 *  - `stream`: every device says hello and then writes `rate` lines/s of its own, `seq`
 *    1, 2, 3 … per device, run tag `<run>-<device name>`, until `halt` (the soak);
 *  - `unplug` / `plug`: a device's cable pulled and put back while it streams.
 *
 *   forked with: <dir> <name>...
 *
 * What counts as sent (the `sent` of a StreamCount): a line written into an open port.
 * A pulled cable loses what is on the wire at that moment, which no gateway can deliver
 * (docs/gateway.md, "Not covered"), so `unplug` first stops the device and waits until
 * the gateway has answered `ok json` for every line written (the port runs with
 * `acks: true`), then pulls the cable; lines the device would have written while
 * unplugged are not written and not numbered (`notSent`). After `plug` the device says
 * hello until the gateway answers `ok hello` (it has reopened the port; lines written
 * before that would be flushed at open), then streams on from the next `seq`.
 */
import { PtyPair } from "@fieldlink/sim/serial/pty"
import { sleep } from "./wait.js"

export type LoadRequest =
    | { kind: "load"; id: number; run: string; total: number; rate: number }
    | { kind: "stream"; id: number; run: string; rate: number }
    | { kind: "unplug"; id: number; device: number }
    | { kind: "plug"; id: number; device: number }
    | { kind: "halt"; id: number }
    | { kind: "stop" }

export interface StreamCount {
    name: string
    /** Run tag of its lines: `<run>-<name>`. */
    run: string
    /** Lines written into an open port, `seq` 1 … sent. */
    sent: number
    /** Lines not written because the cable was out at their time. */
    notSent: number
    /** Lines the gateway had not acknowledged (`ok json`) when a cable was pulled anyway. */
    unconfirmed: number
}

export type LoadReply =
    | { kind: "ready"; paths: string[] }
    | { kind: "done"; id: number; ms: number }
    | { kind: "streaming"; id: number }
    | { kind: "unplugged"; id: number; unconfirmed: number }
    | { kind: "plugged"; id: number }
    | { kind: "halted"; id: number; counts: StreamCount[] }

const now = () => performance.timeOrigin + performance.now()
/** How long a device waits for the gateway's `ok` before it gives up (a busy machine is slow). */
const ACK_TIMEOUT_MS = 30000
const TICK_MS = 10

/** ~60 bytes, like a real sample: {"run":"r1","seq":12,"t":1712345678901.123,"v":21.5} */
function line(run: string, seq: number, t: string): string {
    return `{"run":"${run}","seq":${seq},"t":${t},"v":21.5}\n`
}

interface Device {
    name: string
    pair: PtyPair
    /** `ok json` and `ok hello` lines received from the gateway. */
    acks: { json: number; hello: number }
    count: StreamCount
    /** False while unplugged (or being unplugged): its lines are not written. */
    writing: boolean
    /** The write in progress, awaited before the cable is pulled. */
    pending: Promise<void>
}

async function openDevice(dir: string, name: string): Promise<Device> {
    const pair = await PtyPair.open(dir, name)
    const device: Device = {
        name,
        pair,
        acks: { json: 0, hello: 0 },
        count: { name, run: name, sent: 0, notSent: 0, unconfirmed: 0 },
        writing: false,
        pending: Promise.resolve(),
    }
    pair.onLine(text => {
        if (text === "ok json") device.acks.json++
        else if (text === "ok hello") device.acks.hello++
    })
    return device
}

/** Polls `check` until it holds (true) or `timeoutMs` has passed (false). */
async function until(check: () => boolean, timeoutMs = ACK_TIMEOUT_MS): Promise<boolean> {
    const deadline = now() + timeoutMs
    while (!check()) {
        if (now() > deadline) return false
        await sleep(5)
    }
    return true
}

/** Waits for the gateway's `ok json` for every line the device wrote; returns those missing. */
async function confirmed(device: Device): Promise<number> {
    if (await until(() => device.acks.json >= device.count.sent)) return 0
    const missing = device.count.sent - device.acks.json
    console.error(
        `serial-load: ${device.name}: ${missing} lines without "ok json" after ${ACK_TIMEOUT_MS} ms`,
    )
    return missing
}

/** Says hello until the gateway answers (it has the port open), then lets the device write. */
async function greet(device: Device): Promise<void> {
    const before = device.acks.hello
    const deadline = now() + ACK_TIMEOUT_MS * 2
    while (device.acks.hello === before) {
        if (now() > deadline) throw new Error(`${device.name}: no "ok hello" from the gateway`)
        await device.pair.write(`hello id=${device.name}\n`).catch(() => undefined)
        await until(() => device.acks.hello > before, 300)
    }
    device.writing = true
}

/** The `load` request: see the header. */
async function load(devices: Device[], run: string, total: number, rate: number): Promise<void> {
    const tickMs = 5
    const perTick = rate === 0 ? total : Math.max(1, Math.round((rate * tickMs) / 1000))
    let seq = 0
    const start = now()
    while (seq < total) {
        const chunks: string[] = devices.map(() => "")
        const t = now().toFixed(3)
        for (let i = 0; i < perTick && seq < total; i++) {
            seq++
            chunks[seq % devices.length] += line(run, seq, t)
        }
        await Promise.all(chunks.map((c, i) => (c === "" ? undefined : devices[i].pair.write(c))))
        if (rate > 0) {
            const wait = start + (seq / rate) * 1000 - now()
            if (wait > 0) await sleep(wait)
        }
    }
}

/** The `stream` request: each device owes `rate` lines/s from the start; runs until halted. */
class Streams {
    private running = false
    private loop: Promise<void> = Promise.resolve()

    constructor(private readonly devices: Device[]) {}

    async start(run: string, rate: number): Promise<void> {
        for (const d of this.devices) d.count = { ...d.count, run: `${run}-${d.name}` }
        await Promise.all(this.devices.map(greet))
        this.running = true
        this.loop = this.pace(rate)
    }

    private async pace(rate: number): Promise<void> {
        const start = now()
        while (this.running) {
            const owed = Math.floor(((now() - start) / 1000) * rate)
            const t = now().toFixed(3)
            for (const d of this.devices) {
                const due = owed - d.count.sent - d.count.notSent
                if (due <= 0) continue
                if (!d.writing) {
                    d.count.notSent += due
                    continue
                }
                let text = ""
                for (let i = 0; i < due; i++) text += line(d.count.run, ++d.count.sent, t)
                d.pending = d.pair
                    .write(text)
                    .catch((e: Error) =>
                        console.error(`serial-load: ${d.name}: a write failed: ${e.message}`),
                    )
            }
            await Promise.all(this.devices.map(d => d.pending))
            await sleep(TICK_MS)
        }
    }

    async unplug(device: Device): Promise<number> {
        device.writing = false
        await device.pending
        const unconfirmed = await confirmed(device)
        device.count.unconfirmed += unconfirmed
        device.acks.json = device.count.sent // what never came is counted once, above
        await device.pair.unplug()
        return unconfirmed
    }

    async plug(device: Device): Promise<void> {
        await device.pair.plug()
        await greet(device)
    }

    async halt(): Promise<StreamCount[]> {
        this.running = false
        await this.loop
        for (const d of this.devices) d.count.unconfirmed += await confirmed(d)
        return this.devices.map(d => ({ ...d.count }))
    }
}

const [dir, ...names] = process.argv.slice(2)
const devices = await Promise.all(names.map(name => openDevice(dir, name)))
const streams = new Streams(devices)
const send = (reply: LoadReply) => process.send!(reply)
const stopAll = () => void Promise.all(devices.map(d => d.pair.close())).finally(() => process.exit(0))

async function answer(request: Exclude<LoadRequest, { kind: "stop" }>): Promise<LoadReply> {
    const { id } = request
    switch (request.kind) {
        case "load": {
            const t0 = now()
            await load(devices, request.run, request.total, request.rate)
            return { kind: "done", id, ms: now() - t0 }
        }
        case "stream":
            await streams.start(request.run, request.rate)
            return { kind: "streaming", id }
        case "unplug":
            return { kind: "unplugged", id, unconfirmed: await streams.unplug(devices[request.device]) }
        case "plug":
            await streams.plug(devices[request.device])
            return { kind: "plugged", id }
        case "halt":
            return { kind: "halted", id, counts: await streams.halt() }
    }
}

process.on("message", (request: LoadRequest) => {
    if (request.kind === "stop") return stopAll()
    answer(request).then(send, (e: Error) => {
        console.error(`serial-load: ${request.kind} failed: ${e.stack ?? e.message}`)
        process.exit(1)
    })
})
process.on("disconnect", stopAll)
send({ kind: "ready", paths: devices.map(d => d.pair.gatewayPath) })
