// The gateway's long-life soak (issue 10), shared by the hour-long bench (bench/soak) and
// its two-minute CI version (test/gateway/soak.test.ts): real parts only, each in its own
// process —
//
//   serial-load.ts   N pseudo-terminal devices, each `rate` JSON lines/s (seq 1, 2, 3 …)
//   the gateway      compiled (npm run build first), its defaults but `acks: true`
//   mosquitto        on a free port, persistence on, restarted on that port every `restartEveryMs`
//   line-counter.ts  a subscriber with a persistent QoS 1 session, counting per device
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
import { heapProbeArgs, heapProbeEnv, readLiveHeap, type LiveHeap } from "./heap-probe.js"
import { LINE_COUNTER, SERIAL_LOAD, startHelper } from "./helper-process.js"
import { processMemory } from "./proc.js"
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
     * Before each RSS reading, a full garbage collection in the gateway and its live heap
     * read (heap-probe.ts: node --expose-gc and a SIGUSR2 hook; the gateway's code is
     * unchanged). RSS read right after a full collection is off the collector's
     * saw-tooth, which otherwise moves a single reading by 10-40 MB.
     */
    probeHeap?: boolean
    /** Progress lines (one per restart, unplug, RSS sample). */
    progress?: (line: string) => void
    /**
     * The gateway to run: its `fieldlink-gateway` script and what to add to the environment
     * (the bench runs the package's bundle with the systemd unit's environment). Default:
     * the checkout's compiled gateway with Node's defaults.
     */
    gateway?: { bin: string; env: Record<string, string> }
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
    /** RSS after the first cycle (before the first restart) and at the end of the load. */
    rssStartMb: number
    rssEndMb: number
    /** (end − start) ÷ start. */
    rssDrift: number
    peakRssMb: number
    /** With `probeHeap`: the gateway's live heap at the same moments as `rssMb`. */
    heapMb: ({ atS: number } & LiveHeap)[]
    devices: DeviceFigures[]
    /** From the devices' stop to the last line at the subscriber. */
    drainS: number
    /** Files left in the queue folder once every device is unplugged and said offline. */
    queueFiles: string[]
    /** Gateway log lines at level error or worse. */
    gatewayErrors: string[]
    /** The last 60 lines of the gateway's log (info and up), to read when something failed. */
    gatewayLogTail: string[]
    gatewayExitCode: number | null
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
                // The counter acknowledges in batches: no window of 20 to wait on.
                "max_inflight_messages 0",
            ],
        })
        stops.push(() => broker.stop())
        const counterId = `soak-counter-${process.pid}`
        const counter = startHelper<CountRequest, CountReply>(LINE_COUNTER, [String(broker.port), counterId])
        stops.push(() => counter.stop())
        await counter.first // subscribed (SUBACK)
        const load = startHelper<LoadRequest, LoadReply>(SERIAL_LOAD, [dir, ...names])
        stops.push(() => load.stop())
        const ready = await load.first
        if (ready.kind !== "ready") throw new Error("the load generator did not start")

        const gateway = await startSoakGateway(dir, broker.url, ready.paths, plan)
        stops.push(() => gateway.stop())
        await load.ask({ kind: "stream", run: "soak", rate: plan.rate })
        const t0 = Date.now()
        const end = t0 + plan.durationMs
        const atS = () => Math.round((Date.now() - t0) / 1000)
        say(
            `${names.length} devices streaming ${plan.rate} lines/s each; gateway RSS ${processMemory(gateway.pid, "the gateway").rssMb.toFixed(1)} MB`,
        )

        const rssMb: SoakFigures["rssMb"] = []
        const heapMb: SoakFigures["heapMb"] = []
        const read = async () => {
            const at = atS()
            if (plan.probeHeap) heapMb.push({ atS: at, ...(await gateway.liveHeap()) })
            rssMb.push({ atS: at, mb: processMemory(gateway.pid, "the gateway").rssMb })
        }
        let restarts = 0
        let unplugs = 0
        const restarting = (async () => {
            for (let k = 1; t0 + k * plan.restartEveryMs < end; k++) {
                await sleepUntil(t0 + k * plan.restartEveryMs)
                await read()
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
        await read()
        const peakRssMb = processMemory(gateway.pid, "the gateway").peakMb
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
        const start = rssMb.length > 1 ? rssMb[0].mb : NaN
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
            heapMb,
            devices,
            drainS,
            queueFiles: left,
            gatewayErrors: gateway.errors(),
            gatewayLogTail: gateway.log().slice(-60),
            gatewayExitCode,
        }
    } finally {
        for (const stop of stops.reverse()) await stop().catch(() => undefined)
        rmSync(dir, { recursive: true, force: true })
    }
}

/** The gateway (the plan's, or the checkout's compiled one): its output in <dir>/gateway.log (JSON lines). */
async function startSoakGateway(dir: string, brokerUrl: string, paths: string[], plan: SoakPlan) {
    const { scanIntervalMs } = plan
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
    const probe = path.join(dir, "heap-probe.txt")
    const env = { ...(plan.probeHeap ? heapProbeEnv(probe) : process.env), ...plan.gateway?.env }
    const child = spawn(
        process.execPath,
        [...(plan.probeHeap ? heapProbeArgs() : []), plan.gateway?.bin ?? GATEWAY_BIN, "--config", file],
        { stdio: ["ignore", out, out], env },
    )
    closeSync(out)
    tieToParent(child)
    const exited = new Promise<number | null>(resolve => child.once("exit", code => resolve(code)))
    return {
        pid: child.pid!,
        liveHeap: () => readLiveHeap(child.pid!, probe),
        log: () => readFileSync(logFile, "utf8").split("\n").filter(Boolean),
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
