// A real Debian mosquitto per test: its own temp folder, config, free port and log.
//
//   const broker = await startMosquitto();
//   t.teardown(() => broker.stop());
//   … connect to broker.url …
//   await broker.waitForLog(/Received PINGREQ from dev1/, 5000);
//
// With `log_type all` mosquitto 2.0 logs (after a unix-seconds timestamp and ": "):
//   New client connected from 127.0.0.1:40312 as dev1 (p2, c1, k5).
//   Will message specified (7 bytes) (r1, q1).
//   Received PINGREQ from dev1          Sending PINGRESP to dev1
//   Received DISCONNECT from dev1       Client dev1 disconnected.
//   Client dev1 closed its connection.  (socket closed or reset without DISCONNECT: the will fires)
//   Client dev1 has exceeded timeout, disconnecting.  (silent past 1.5 × keep-alive: the will fires)
// The will itself is not logged; a subscriber's copy shows as
//   Sending PUBLISH to <subscriber> (d0, q0, r0, m0, 'fieldlink/devices/dev1/status', ... (7 bytes))
// mosquitto 2.0 sweeps keep-alives only every 5-6 s: a silent client's will comes after
// max(1.5 × keep-alive, the next sweep), so allow 1.5 × k + 7 s (the embedded broker is exact).
// It counts whole seconds (k * 3 / 2 in integers): with an odd k the will can come up to
// 1 s before 1.5 × k; use an even k where a test bounds the will from below.
import { spawn, type ChildProcess } from "node:child_process"
import { EventEmitter } from "node:events"
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { MissingBinaryError, requireBinaries, type Availability } from "./binaries.js"
import { removeOnExit, tieToParent } from "./cleanup.js"
import { freePort, sleep } from "./wait.js"

export interface MosquittoTlsOptions {
    /** PEM server certificate and key the TLS listener presents. */
    certFile: string
    keyFile: string
    /** PEM CA that signs client certificates; needed with requireCertificate. */
    caFile?: string
    requireCertificate?: boolean
}

export interface MosquittoOptions {
    /** Adds a second, TLS listener on its own free port (`tlsPort`, `tlsUrl`). */
    tls?: MosquittoTlsOptions
    /** Config lines appended after the generated ones (e.g. "max_keepalive 10"). */
    extraConfig?: string[]
    /** How long start-up may take before it fails with the log. Default 10000 ms. */
    readyTimeoutMs?: number
}

export interface Mosquitto {
    readonly port: number
    /** mqtt://127.0.0.1:<port> */
    readonly url: string
    readonly tlsPort: number | undefined
    /** mqtts://127.0.0.1:<tlsPort> when started with `tls`. */
    readonly tlsUrl: string | undefined
    /** The generated config file; its path is unique, so `pgrep -f` finds this broker. */
    readonly configPath: string
    /** Process id of the running broker, undefined while stopped. */
    readonly pid: number | undefined
    /** Every log line since the first start, across restarts, oldest first. */
    logLines(): string[]
    /** The current number of log lines: pass it to waitForLog to look only at later lines. */
    mark(): number
    /** Resolves with the first log line at index >= `from` matching `re`. */
    waitForLog(re: RegExp, timeoutMs?: number, from?: number): Promise<string>
    /** SIGTERM, wait for exit (SIGKILL after a deadline). A no-op when already stopped. */
    stop(): Promise<void>
    /** SIGKILL, as a crash or power cut would: no goodbye to any client. */
    kill(): Promise<void>
    /** Stops the broker if it runs, then starts it again on the same port(s). */
    restart(): Promise<void>
}

const READY_LINE = /mosquitto version \S+ running/
const ADDRESS_IN_USE = /Address already in use/i
const START_ATTEMPTS = 5
const STOP_TIMEOUT_MS = 5000

/**
 * Whether mosquitto can be started here. Throws on CI when it is missing; elsewhere the
 * result's `reason` tells a test why it skips.
 */
export function mosquittoAvailable(): Availability {
    return requireBinaries(["mosquitto"], "mosquitto")
}

/** Starts a private mosquitto on free 127.0.0.1 port(s); resolves once it is accepting. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<Mosquitto> {
    const availability = mosquittoAvailable()
    if (!availability.ok) throw new MissingBinaryError(availability.reason)
    const broker = new MosquittoProcess(availability.paths.mosquitto, options)
    await broker.startOnFreePorts()
    return broker
}

class AddressInUseError extends Error {}

class MosquittoProcess implements Mosquitto {
    port = 0
    tlsPort: number | undefined
    readonly configPath: string
    private readonly dir: string
    private readonly lines: string[] = []
    private readonly events = new EventEmitter()
    private child: ChildProcess | undefined
    private exited: Promise<void> = Promise.resolve()

    constructor(
        private readonly binary: string,
        private readonly options: MosquittoOptions,
    ) {
        this.dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-mosquitto-"))
        // Started as root, mosquitto drops to the "mosquitto" user unless told otherwise
        // (see config()); keep the folder readable for that case anyway.
        chmodSync(this.dir, 0o755)
        removeOnExit(this.dir)
        this.configPath = path.join(this.dir, "mosquitto.conf")
        this.events.setMaxListeners(0)
    }

    get url(): string {
        return `mqtt://127.0.0.1:${this.port}`
    }

    get tlsUrl(): string | undefined {
        return this.tlsPort === undefined ? undefined : `mqtts://127.0.0.1:${this.tlsPort}`
    }

    get pid(): number | undefined {
        return this.child?.pid
    }

    logLines(): string[] {
        return [...this.lines]
    }

    mark(): number {
        return this.lines.length
    }

    waitForLog(re: RegExp, timeoutMs = 5000, from = 0): Promise<string> {
        const found = this.lines.slice(from).find(line => re.test(line))
        if (found !== undefined) return Promise.resolve(found)
        return new Promise((resolve, reject) => {
            const onLine = (line: string) => {
                if (!re.test(line)) return
                clearTimeout(timer)
                this.events.off("line", onLine)
                resolve(line)
            }
            const timer = setTimeout(() => {
                this.events.off("line", onLine)
                reject(
                    new Error(
                        `Timed out after ${timeoutMs} ms waiting for a mosquitto log line matching ${re}\n${this.tail()}`,
                    ),
                )
            }, timeoutMs)
            this.events.on("line", onLine)
        })
    }

    async startOnFreePorts(): Promise<void> {
        for (let attempt = 1; ; attempt++) {
            this.port = await freePort()
            this.tlsPort = this.options.tls ? await freePort() : undefined
            try {
                return await this.startOnce()
            } catch (err) {
                if (!(err instanceof AddressInUseError) || attempt >= START_ATTEMPTS) throw err
            }
        }
    }

    async restart(): Promise<void> {
        await this.stop()
        // mosquitto sets SO_REUSEADDR, so only another process that grabbed the port in the
        // meantime can make this fail; give that a few chances to go away.
        for (let attempt = 1; ; attempt++) {
            try {
                return await this.startOnce()
            } catch (err) {
                if (!(err instanceof AddressInUseError) || attempt >= START_ATTEMPTS) throw err
                await sleep(100 * attempt)
            }
        }
    }

    stop(): Promise<void> {
        return this.terminate("SIGTERM")
    }

    kill(): Promise<void> {
        return this.terminate("SIGKILL")
    }

    private async terminate(signal: NodeJS.Signals): Promise<void> {
        const child = this.child
        if (child === undefined) return
        child.kill(signal)
        let timer: NodeJS.Timeout | undefined
        const overdue = new Promise<"overdue">(
            resolve => (timer = setTimeout(() => resolve("overdue"), STOP_TIMEOUT_MS)),
        )
        const outcome = await Promise.race([this.exited, overdue])
        clearTimeout(timer)
        if (outcome === "overdue") {
            child.kill("SIGKILL")
            await this.exited
        }
    }

    private config(): string {
        const lines = [
            "# Generated for one test run; the broker lives as long as the test.",
            `listener ${this.port} 127.0.0.1`,
            "allow_anonymous true",
            // stderr, not stdout: mosquitto does not flush stdout when it is a pipe.
            "log_dest stderr",
            "log_type all",
            "log_timestamp true",
            "connection_messages true",
            "persistence false",
        ]
        // Run as the user who started the test, so the temp files are ours to read.
        if (process.getuid?.() === 0) lines.push("user root")
        const tls = this.options.tls
        if (tls && this.tlsPort !== undefined) {
            lines.push(
                `listener ${this.tlsPort} 127.0.0.1`,
                `certfile ${tls.certFile}`,
                `keyfile ${tls.keyFile}`,
            )
            if (tls.caFile) lines.push(`cafile ${tls.caFile}`)
            lines.push(`require_certificate ${tls.requireCertificate ? "true" : "false"}`)
        }
        lines.push(...(this.options.extraConfig ?? []))
        return lines.join("\n") + "\n"
    }

    private async startOnce(): Promise<void> {
        writeFileSync(this.configPath, this.config(), { mode: 0o644 })
        const from = this.lines.length
        const child = spawn(this.binary, ["-c", this.configPath], { stdio: ["ignore", "pipe", "pipe"] })
        this.child = child
        tieToParent(child)
        this.exited = new Promise(resolve => {
            child.once("close", () => {
                if (this.child === child) this.child = undefined
                this.events.emit("closed")
                resolve()
            })
        })
        child.once("error", err => this.addLine(`[spawn error] ${err.message}`))
        this.pipeLines(child.stdout)
        this.pipeLines(child.stderr)

        const timeoutMs = this.options.readyTimeoutMs ?? 10_000
        const outcome = await new Promise<"ready" | "exited" | "timeout">(resolve => {
            const onLine = (line: string) => {
                if (READY_LINE.test(line)) finish("ready")
            }
            const onClosed = () => finish("exited")
            const timer = setTimeout(() => finish("timeout"), timeoutMs)
            const finish = (result: "ready" | "exited" | "timeout") => {
                clearTimeout(timer)
                this.events.off("line", onLine)
                this.events.off("closed", onClosed)
                resolve(result)
            }
            this.events.on("line", onLine)
            this.events.on("closed", onClosed)
            if (this.lines.slice(from).some(line => READY_LINE.test(line))) finish("ready")
        })
        if (outcome === "ready") return
        if (outcome === "timeout") await this.kill()
        const log = this.lines.slice(from)
        if (outcome === "exited" && log.some(line => ADDRESS_IN_USE.test(line))) {
            throw new AddressInUseError(
                `mosquitto (${this.configPath}) could not listen on 127.0.0.1:${this.port}: address already in use`,
            )
        }
        const why = outcome === "timeout" ? `was not running after ${timeoutMs} ms` : `exited during start-up`
        throw new Error(`mosquitto (${this.configPath}) ${why}; its log:\n${log.join("\n") || "(empty)"}`)
    }

    private pipeLines(stream: NodeJS.ReadableStream | null): void {
        if (stream === null) return
        let partial = ""
        stream.setEncoding("utf8")
        stream.on("data", (chunk: string) => {
            const parts = (partial + chunk).split("\n")
            partial = parts.pop() ?? ""
            for (const line of parts) this.addLine(line)
        })
        stream.on("end", () => {
            if (partial !== "") this.addLine(partial)
            partial = ""
        })
    }

    private addLine(line: string): void {
        this.lines.push(line)
        this.events.emit("line", line)
    }

    private tail(count = 40): string {
        const tail = this.lines.slice(-count)
        return `last ${tail.length} of ${this.lines.length} log lines:\n${tail.join("\n")}`
    }
}

/**
 * Two mosquittos, B bridged to A on the topic root with mosquitto's own bridge (both
 * ways, QoS 1): two nodes of one broker, as failover tests need. Resolves once B's bridge
 * has subscribed on A. The caller stops both.
 */
export async function startBridgedPair(): Promise<{ a: Mosquitto; b: Mosquitto }> {
    const a = await startMosquitto()
    try {
        const b = await startMosquitto({
            extraConfig: [
                "connection node-a",
                `address 127.0.0.1:${a.port}`,
                "topic fieldlink/# both 1",
                "cleansession true",
                "restart_timeout 1",
            ],
        })
        try {
            await b.waitForLog(/Received SUBACK from local\.\S+\.node-a/, 10000)
        } catch (error) {
            await b.stop()
            throw error
        }
        return { a, b }
    } catch (error) {
        await a.stop()
        throw error
    }
}
