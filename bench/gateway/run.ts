/**
 * Gateway benchmark (not a test): the same pseudo-terminal load through this gateway,
 * through a bare serialport + mqtt.js bridge (bare-bridge.ts) and, when installed,
 * through Node-RED (node-red.ts), in one run, against
 * one mosquitto. For 1 and 16 devices it measures lines/s sustained, p50/p99 latency
 * from the write on the serial side to the subscriber at fixed rates, the bridge
 * process's CPU and peak RSS, and messages delivered across a broker outage. Figures
 * are printed with the gateway's ratios to its peers, and the serial line-rate
 * ceiling beside them.
 *
 *   node --import tsx --conditions=source bench/gateway/run.ts [--quick] [--install-node-red]
 *
 * Needs mosquitto and socat (as the tests do). Pseudo-terminals have no baud rate, so
 * the rates here are far beyond what a real UART carries.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import mqtt from "mqtt"
import { startMosquitto, type Mosquitto } from "@fieldlink/test-support/mosquitto"
import { tieToParent } from "@fieldlink/test-support/cleanup"
import { freePort, sleep, waitFor } from "@fieldlink/test-support/wait"
import { startDevice, type FakeDevice } from "@fieldlink/test-support/pty"
import { installNodeRed, nodeRedInstalled, startNodeRed } from "./node-red.js"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const QUICK = process.argv.includes("--quick")
/** --only=gateway,bare and --devices=1 narrow a run (for profiling one case). */
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1]
const DEVICE_COUNTS = (arg("devices") ?? "1,16").split(",").map(Number)
const RATES = [200, 1000, 5000]
const RATE_SECONDS = QUICK ? 1.5 : 3
const SUSTAINED_LINES = QUICK ? 10000 : 40000
const CLK_TCK = 100

type System = "gateway" | "bare" | "node-red"

interface Result {
    system: System
    devices: number
    sustained: number
    latency: Record<number, { p50: number; p99: number; delivered: number; sent: number }>
    cpuPercent: number
    rssMb: number
    outage: { sent: number; delivered: number }
}

const now = () => performance.timeOrigin + performance.now()

function cpuSeconds(pid: number): number {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ")
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK
}

function peakRssMb(pid: number): number {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m ? Number(m[1]) / 1024 : 0
}

function percentile(values: number[], p: number): number {
    if (values.length === 0) return NaN
    const sorted = [...values].sort((a, b) => a - b)
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]
}

/** A QoS 1 subscriber with a persistent session, recording each sample's latency. */
async function subscriber(url: string) {
    const received = new Map<string, number[]>() // run tag → latencies
    const distinct = new Map<string, Set<number>>() // run tag → seqs seen
    const client = await mqtt.connectAsync(url, { clientId: `bench-sub-${process.pid}`, clean: false, reconnectPeriod: 200 })
    client.on("message", (_topic, payload) => {
        const text = payload.toString()
        const tag = /"run":"([^"]+)"/.exec(text)?.[1]
        const t = /"t":([0-9.]+)/.exec(text)?.[1]
        if (!tag || !t) return
        let list = received.get(tag)
        if (!list) received.set(tag, (list = []))
        list.push(now() - Number(t))
        const seq = Number(/"seq":(\d+)/.exec(text)?.[1])
        let seqs = distinct.get(tag)
        if (!seqs) distinct.set(tag, (seqs = new Set()))
        seqs.add(seq)
    })
    await client.subscribeAsync("fieldlink/devices/+/telemetry", { qos: 1 })
    return { received, distinct, close: () => client.endAsync(true) }
}

function line(run: string, seq: number): string {
    // ~60 bytes, like a real sample: {"run":"r1","seq":12,"t":1712345678901.123,"v":21.5}
    return `{"run":"${run}","seq":${seq},"t":${now().toFixed(3)},"v":21.5}\n`
}

async function startSystem(system: System, broker: Mosquitto, devices: FakeDevice[], dir: string): Promise<ChildProcess> {
    let child: ChildProcess
    if (system === "gateway") {
        const config = {
            gateway: { id: "bench", stateDir: path.join(dir, `state-${devices.length}`), statsIntervalS: 0, scanIntervalMs: 500 },
            broker: { url: broker.url, reconnect: { baseMs: 100, capMs: 1000 } },
            ports: devices.map((d) => ({ path: d.path, live: 0 })),
            http: { port: await freePort() },
            log: { level: "error", format: "json" },
        }
        const file = path.join(dir, "bench-gateway.json")
        writeFileSync(file, JSON.stringify(config))
        // --profile=DIR writes a V8 CPU profile of the gateway there (open it in Chrome DevTools).
        const profile = arg("profile") ? ["--cpu-prof", `--cpu-prof-dir=${path.resolve(arg("profile")!)}`] : []
        child = spawn(process.execPath, [...profile, path.join(ROOT, "gateway/bin/fieldlink-gateway.js"), "--config", file], { stdio: ["ignore", "inherit", "inherit"] })
    } else if (system === "node-red") {
        child = startNodeRed(broker.url, devices.map((d) => d.path), dir, await freePort())
    } else {
        child = spawn(process.execPath, ["--import", "tsx", "--conditions=source", path.join(ROOT, "bench/gateway/bare-bridge.ts"), broker.url, ...devices.map((d) => d.path)], { stdio: ["ignore", "ignore", "inherit"], cwd: ROOT })
    }
    tieToParent(child)
    return child
}

async function stopSystem(child: ChildProcess) {
    if (child.exitCode !== null) return
    const exited = new Promise((r) => child.once("exit", r))
    child.kill("SIGTERM")
    await Promise.race([exited, sleep(10000).then(() => child.kill("SIGKILL"))])
}

/** Writes `total` lines spread over the devices at `rate` lines/s (0 = as fast as possible). */
async function load(devices: FakeDevice[], run: string, total: number, rate: number) {
    const tickMs = 10
    const perTick = rate === 0 ? total : Math.max(1, Math.round((rate * tickMs) / 1000))
    let seq = 0
    const start = now()
    while (seq < total) {
        const writes: Promise<void>[] = []
        for (let i = 0; i < perTick && seq < total; i++) {
            seq++
            writes.push(devices[seq % devices.length].write(line(run, seq)))
        }
        await Promise.all(writes)
        if (rate > 0) {
            const due = start + (seq / rate) * 1000
            const wait = due - now()
            if (wait > 0) await sleep(wait)
        }
    }
}

async function measure(system: System, count: number, broker: Mosquitto, dir: string): Promise<Result> {
    const devices = await Promise.all(Array.from({ length: count }, (_, i) => startDevice(dir, `${system}-${count}-${i}`)))
    const sub = await subscriber(broker.url)
    const child = await startSystem(system, broker, devices, dir)
    const tag = (what: string) => `${system}-${count}-${what}`
    try {
        // Warm up until lines flow through (ports open, connections up).
        await waitFor(
            async () => {
                await load(devices, tag("warm"), devices.length, 0)
                await sleep(100)
                return (sub.received.get(tag("warm"))?.length ?? 0) >= devices.length
            },
            { what: `${system} to pass lines`, timeoutMs: 30000, intervalMs: 200 },
        )
        const cpu0 = cpuSeconds(child.pid!)
        const wall0 = now()
        const latency: Result["latency"] = {}
        for (const rate of RATES) {
            const total = Math.round(rate * RATE_SECONDS)
            await load(devices, tag(`r${rate}`), total, rate)
            await waitFor(() => (sub.received.get(tag(`r${rate}`))?.length ?? 0) >= total, { what: `${rate} lines/s to be delivered`, timeoutMs: 30000 }).catch(() => undefined)
            const l = sub.received.get(tag(`r${rate}`)) ?? []
            latency[rate] = { p50: percentile(l, 50), p99: percentile(l, 99), delivered: l.length, sent: total }
        }
        const t0 = now()
        await load(devices, tag("max"), SUSTAINED_LINES, 0)
        await waitFor(() => (sub.received.get(tag("max"))?.length ?? 0) >= SUSTAINED_LINES, { what: "the sustained run to be delivered", timeoutMs: 120000 }).catch(() => undefined)
        const sustained = (sub.received.get(tag("max"))?.length ?? 0) / ((now() - t0) / 1000)
        const cpuPercent = (100 * (cpuSeconds(child.pid!) - cpu0)) / ((now() - wall0) / 1000)
        const rssMb = peakRssMb(child.pid!)

        // Outage: the broker is stopped, 100 lines are sent, the broker comes back.
        await broker.stop()
        await load(devices, tag("outage"), 100, 500)
        await sleep(1000)
        await broker.restart()
        await waitFor(() => (sub.distinct.get(tag("outage"))?.size ?? 0) >= 100, { what: "the outage lines", timeoutMs: 15000 }).catch(() => undefined)
        const outage = { sent: 100, delivered: sub.distinct.get(tag("outage"))?.size ?? 0 }
        return { system, devices: count, sustained, latency, cpuPercent, rssMb, outage }
    } finally {
        await stopSystem(child)
        await sub.close()
        await Promise.all(devices.map((d) => d.stop()))
    }
}

function fmt(n: number, digits = 0): string {
    return Number.isFinite(n) ? n.toFixed(digits) : "—"
}

async function main() {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-bench-"))
    const broker = await startMosquitto({ extraConfig: ["persistence true", `persistence_location ${dir}${path.sep}`, "max_queued_messages 0"] })
    if (process.argv.includes("--install-node-red") && !nodeRedInstalled()) installNodeRed()
    const systems = (nodeRedInstalled() ? ["bare", "gateway", "node-red"] : ["bare", "gateway"]).filter((s) => !arg("only") || arg("only")!.split(",").includes(s)) as System[]
    if (!nodeRedInstalled()) console.error("Node-RED is not installed in bench/.scratch/node-red: run with --install-node-red to compare with it too.")
    const results: Result[] = []
    try {
        for (const count of DEVICE_COUNTS) for (const system of systems) {
            console.error(`running ${system} with ${count} device(s)…`)
            results.push(await measure(system, count, broker, dir))
        }
    } finally {
        await broker.stop()
        rmSync(dir, { recursive: true, force: true })
    }
    const names: Record<System, string> = { bare: "bare bridge", gateway: "fieldlink gateway", "node-red": "Node-RED 4.1.15" }
    const rows: string[][] = [["devices", "system", "lines/s sustained", ...RATES.flatMap((r) => [`p50 ms @${r}/s`, `p99 ms @${r}/s`]), "CPU %", "peak RSS MB", "outage delivered"]]
    for (const count of DEVICE_COUNTS) {
        const of = (system: System) => results.find((r) => r.system === system && r.devices === count)
        const gw = of("gateway")
        for (const r of results.filter((x) => x.devices === count)) {
            rows.push([String(count), names[r.system], fmt(r.sustained), ...RATES.flatMap((rate) => [fmt(r.latency[rate].p50, 2), fmt(r.latency[rate].p99, 2)]), fmt(r.cpuPercent), fmt(r.rssMb), `${r.outage.delivered}/${r.outage.sent}`])
        }
        for (const peer of systems.filter((s) => s !== "gateway")) {
            const p = of(peer)
            if (!gw || !p) continue
            rows.push([String(count), `ratio gateway/${peer}`, fmt(gw.sustained / p.sustained, 2), ...RATES.flatMap((rate) => [fmt(gw.latency[rate].p50 / p.latency[rate].p50, 2), fmt(gw.latency[rate].p99 / p.latency[rate].p99, 2)]), fmt(gw.cpuPercent / p.cpuPercent, 2), fmt(gw.rssMb / p.rssMb, 2), ""])
        }
    }
    const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)))
    console.log(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join("  ")).join("\n"))
    console.log(`\nSerial line-rate ceiling for 60-byte lines (8N1, 10 bits a byte): 115200 baud ≈ ${Math.floor(115200 / 10 / 60)} lines/s, 921600 baud ≈ ${Math.floor(921600 / 10 / 60)} lines/s per port.`)
    console.log("Rates are totals across the devices; latency is from the write on the serial side to the QoS 1 subscriber. Outage: 100 lines sent while the broker was stopped, counted once each at the subscriber after its restart.\nThe load generator and the subscriber share the bench process, which caps the sustained figures of both bridges alike.")
    console.log("Both bridges publish at QoS 1; the gateway also runs the protocol, one connection per device, and the disk queue.")
}

await main()
process.exit(0)
