// The gateway's long-life soak (issue 10), shared by the hour-long bench (bench/soak) and
// its two-minute CI version (test/gateway/soak.test.ts): real parts only, each in its own
// process —
//
//   serial-load.ts   N pseudo-terminal devices, each `rate` JSON lines/s (seq 1, 2, 3 …)
//   the gateway      compiled (npm run build first), its defaults but `acks: true`
//   mosquitto        on a free port, persistence on, restarted on that port every `restartEveryMs`
//   line-counter.ts  mosquitto_sub with a persistent QoS 1 session, counting per device
//
// and every `unplugEveryMs` one device (in turn) has its cable pulled for `unpluggedMs`.
// At the end the devices stop, everything they sent is awaited at the subscriber, the
// devices are unplugged for good and the gateway's queue folder must empty.
import { spawn } from "node:child_process"
import {
    chmodSync,
    closeSync,
    existsSync,
    mkdtempSync,
    openSync,
    readdirSync,
    readFileSync,
    rmSync,
    writeFileSync,
} from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { tieToParent } from "./cleanup.js"
import { LINE_COUNTER, SERIAL_LOAD, startHelper } from "./helper-process.js"
import type { CountReply, CountRequest, RunCount } from "./line-counter.js"
import { startMosquitto } from "./mosquitto.js"
import type { LoadReply, LoadRequest, StreamCount } from "./serial-load.js"
import { freePort, sleep, waitFor } from "./wait.js"

const GATEWAY_BIN = fileURLToPath(new URL("../../gateway/bin/fieldlink-gateway.js", import.meta.url))

export interface SoakPlan {
    devices: number
    /** Lines/s each device writes. */
    rate: number
    durationMs: number
    restartEveryMs: number
    unplugEveryMs: number
    unpluggedMs: number
    /** The gateway's port scan; a replugged port is found within one. Default: its default (2 s). */
    scanIntervalMs?: number
    /** How long delivery of the last lines may take after the devices stop. Default 120 s. */
    drainTimeoutMs?: number
    /**
     * The start RSS is the first reading (one is taken before each broker restart) at or
     * after this time, so start-up's own peak, which the garbage collector gives back in
     * the first seconds, is not taken for the base. Default 0: the first reading.
     */
    rssFromMs?: number
    /** Progress lines (one per restart, unplug, RSS sample). */
    progress?: (line: string) => void
}

export interface DeviceFigures extends StreamCount, RunCount {
    /** sent − distinct delivered. */
    lost: number
}

export interface SoakFigures {
    elapsedS: number
    restarts: number
    unplugs: number
    /** The gateway's RSS in MB just before each broker restart, then at the end of the load. */
    rssMb: { atS: number; mb: number }[]
    /** RSS at the first reading from `rssFromMs` on, and at the end of the load. */
    rssStartMb: number
    rssEndMb: number
    /** (end − start) ÷ start. */
    rssDrift: number
    peakRssMb: number
    devices: DeviceFigures[]
    /** From the devices' stop to the last line at the subscriber. */
    drainS: number
    /** Files left in the queue folder once every device is unplugged and said offline. */
    queueFiles: string[]
    /** Gateway log lines at level error or worse. */
    gatewayErrors: string[]
    gatewayExitCode: number | null
}

/** A figure of /proc/<pid>/status in MB; throws a readable error when the gateway is gone. */
function status(pid: number, field: "VmRSS" | "VmHWM"): number {
    let text: string
    try {
        text = readFileSync(`/proc/${pid}/status`, "utf8")
    } catch {
        throw new Error(`the gateway (pid ${pid}) is not running any more: see its log`)
    }
    const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(text)
    return m ? Number(m[1]) / 1024 : NaN
}

/** Sleeps until `at` (a Date.now() time). */
const sleepUntil = (at: number) => sleep(Math.max(0, at - Date.now()))

export async function runSoak(plan: SoakPlan): Promise<SoakFigures> {
    const say = plan.progress ?? (() => undefined)
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-soak-"))
    chmodSync(dir, 0o755)
    const names = Array.from({ length: plan.devices }, (_, i) => `soak-${String(i + 1).padStart(2, "0")}`)
    const stops: (() => Promise<unknown>)[] = []
    try {
        // Sessions survive restarts only with persistence (saved when mosquitto is stopped).
        const broker = await startMosquitto({
            extraConfig: [
                "persistence true",
                `persistence_location ${dir}${path.sep}`,
                "max_queued_messages 0",
            ],
        })
        stops.push(() => broker.stop())
        const counterId = `soak-counter-${process.pid}`
        const mark = broker.mark()
        const counter = startHelper<CountRequest, CountReply>(LINE_COUNTER, [String(broker.port), counterId])
        stops.push(() => counter.stop())
        await counter.first
        await broker.waitForLog(new RegExp(`Received SUBSCRIBE from ${counterId}`), 20000, mark)
        const load = startHelper<LoadRequest, LoadReply>(SERIAL_LOAD, [dir, ...names])
        stops.push(() => load.stop())
        const ready = await load.first
        if (ready.kind !== "ready") throw new Error("the load generator did not start")

        const gateway = await startSoakGateway(dir, broker.url, ready.paths, plan.scanIntervalMs)
        stops.push(() => gateway.stop())
        await load.ask({ kind: "stream", run: "soak", rate: plan.rate })
        const t0 = Date.now()
        const end = t0 + plan.durationMs
        const atS = () => Math.round((Date.now() - t0) / 1000)
        say(
            `${names.length} devices streaming ${plan.rate} lines/s each; gateway RSS ${status(gateway.pid, "VmRSS").toFixed(1)} MB`,
        )

        const rssMb: SoakFigures["rssMb"] = []
        let restarts = 0
        let unplugs = 0
        const restarting = (async () => {
            for (let k = 1; t0 + k * plan.restartEveryMs < end; k++) {
                await sleepUntil(t0 + k * plan.restartEveryMs)
                rssMb.push({ atS: atS(), mb: status(gateway.pid, "VmRSS") })
                await broker.restart()
                restarts++
                say(
                    `${atS()} s: broker restarted (${restarts}); gateway RSS before it ${rssMb.at(-1)!.mb.toFixed(1)} MB`,
                )
            }
        })()
        const unplugging = (async () => {
            for (let k = 1; t0 + k * plan.unplugEveryMs + plan.unpluggedMs < end; k++) {
                await sleepUntil(t0 + k * plan.unplugEveryMs)
                const device = (k - 1) % names.length
                const reply = await load.ask({ kind: "unplug", device })
                await sleep(plan.unpluggedMs)
                await load.ask({ kind: "plug", device })
                unplugs++
                const unconfirmed = reply.kind === "unplugged" ? reply.unconfirmed : 0
                say(
                    `${atS()} s: ${names[device]} unplugged and back${unconfirmed ? ` (${unconfirmed} lines unconfirmed)` : ""}`,
                )
            }
        })()
        await Promise.all([restarting, unplugging, sleepUntil(end)])
        rssMb.push({ atS: atS(), mb: status(gateway.pid, "VmRSS") })
        const peakRssMb = status(gateway.pid, "VmHWM")
        const elapsedS = (Date.now() - t0) / 1000

        const halted = await load.ask({ kind: "halt" })
        if (halted.kind !== "halted") throw new Error("the load generator did not halt")
        const stopped = Date.now()
        const count = async (run: string, latency: boolean) => {
            const reply = await counter.ask({ kind: "count", run, latency })
            if (reply.kind !== "count") throw new Error("the line counter did not count")
            return reply.count
        }
        await waitFor(
            async () => {
                for (const c of halted.counts) if ((await count(c.run, false)).distinct < c.sent) return false
                return true
            },
            {
                what: "every line sent to reach the subscriber",
                timeoutMs: plan.drainTimeoutMs ?? 120000,
                intervalMs: 500,
            },
        ).catch(e => say(String(e)))
        const drainS = (Date.now() - stopped) / 1000
        const devices: DeviceFigures[] = []
        for (const c of halted.counts) {
            const counted = await count(c.run, true)
            devices.push({ ...c, ...counted, lost: c.sent - counted.distinct })
        }

        // Every device unplugged for good: each goes offline, its queue empty, its file removed.
        await load.stop()
        const queues = path.join(dir, "state", "queues")
        const queueFiles = () => (existsSync(queues) ? readdirSync(queues) : [])
        await waitFor(() => queueFiles().length === 0, {
            what: "the queue folder to empty",
            timeoutMs: 30000,
        }).catch(() => undefined)
        const left = queueFiles()
        const gatewayExitCode = await gateway.stop()
        const base = rssMb.slice(0, -1).find(r => r.atS * 1000 >= (plan.rssFromMs ?? 0))
        const start = base?.mb ?? NaN
        const last = rssMb.at(-1)!.mb
        return {
            elapsedS,
            restarts,
            unplugs,
            rssMb,
            rssStartMb: start,
            rssEndMb: last,
            rssDrift: (last - start) / start,
            peakRssMb,
            devices,
            drainS,
            queueFiles: left,
            gatewayErrors: gateway.errors(),
            gatewayExitCode,
        }
    } finally {
        for (const stop of stops.reverse()) await stop().catch(() => undefined)
        rmSync(dir, { recursive: true, force: true })
    }
}

/** The compiled gateway, as installed: its output in <dir>/gateway.log (JSON lines). */
async function startSoakGateway(dir: string, brokerUrl: string, paths: string[], scanIntervalMs?: number) {
    const config = {
        gateway: {
            id: "soak",
            stateDir: path.join(dir, "state"),
            ...(scanIntervalMs ? { scanIntervalMs } : {}),
        },
        broker: { url: brokerUrl },
        // acks: the device learns which lines the gateway took before its cable is pulled.
        ports: paths.map(p => ({ path: p, acks: true })),
        http: { port: await freePort() },
        log: { level: "info", format: "json" },
    }
    const file = path.join(dir, "gateway.json")
    writeFileSync(file, JSON.stringify(config))
    const logFile = path.join(dir, "gateway.log")
    const out = openSync(logFile, "a")
    const child = spawn(process.execPath, [GATEWAY_BIN, "--config", file], { stdio: ["ignore", out, out] })
    closeSync(out)
    tieToParent(child)
    const exited = new Promise<number | null>(resolve => child.once("exit", code => resolve(code)))
    return {
        pid: child.pid!,
        errors: () =>
            readFileSync(logFile, "utf8")
                .split("\n")
                .filter(l => /"level":(50|60)/.test(l)),
        stop: async () => {
            if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
            const code = await Promise.race([exited, sleep(15000).then(() => "overdue" as const)])
            if (code !== "overdue") return code
            child.kill("SIGKILL")
            await exited
            return null
        },
    }
}
