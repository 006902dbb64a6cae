/**
 * The load generator of the gateway bench, in a process of its own so that writing the
 * lines costs the measured bridge nothing and is not slowed by it: it owns the
 * pseudo-terminal devices (test-support's PTY cable) and writes timestamped JSON lines
 * to them when the bench asks (IPC messages, see LoadRequest).
 *
 *   forked by bench/gateway/run.ts with: <dir> <name>...
 */
import { startDevice, type FakeDevice } from "@fieldlink/test-support/pty"
import { sleep } from "@fieldlink/test-support/wait"

export type LoadRequest =
    { kind: "load"; id: number; run: string; total: number; rate: number } | { kind: "stop" }
export type LoadReply = { kind: "ready"; paths: string[] } | { kind: "done"; id: number; ms: number }

const now = () => performance.timeOrigin + performance.now()

/** ~60 bytes, like a real sample: {"run":"r1","seq":12,"t":1712345678901.123,"v":21.5} */
function line(run: string, seq: number, t: string): string {
    return `{"run":"${run}","seq":${seq},"t":${t},"v":21.5}\n`
}

/**
 * Writes `total` lines spread round-robin over the devices at `rate` lines/s in total
 * (0 = all at once); each tick's lines for one device go down in one write.
 */
async function load(devices: FakeDevice[], run: string, total: number, rate: number): Promise<void> {
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
        await Promise.all(chunks.map((c, i) => (c === "" ? undefined : devices[i].write(c))))
        if (rate > 0) {
            const wait = start + (seq / rate) * 1000 - now()
            if (wait > 0) await sleep(wait)
        }
    }
}

const [dir, ...names] = process.argv.slice(2)
const devices = await Promise.all(names.map(name => startDevice(dir, name)))
const send = (reply: LoadReply) => process.send!(reply)
process.on("message", (request: LoadRequest) => {
    if (request.kind === "stop") {
        void Promise.all(devices.map(d => d.stop())).finally(() => process.exit(0))
        return
    }
    const t0 = now()
    void load(devices, request.run, request.total, request.rate).then(() =>
        send({ kind: "done", id: request.id, ms: now() - t0 }),
    )
})
process.on("disconnect", () => void Promise.all(devices.map(d => d.stop())).finally(() => process.exit(0)))
send({ kind: "ready", paths: devices.map(d => d.path) })
