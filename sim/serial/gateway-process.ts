/**
 * The real gateway, as the simulator runs it: a `fieldlink-gateway` child process
 * watching the simulated ports (`<dir>/ports/*`), so that a fault can end it and start it
 * again with the same state folder (its queues on disk):
 *
 * - `kill()` is a crash of the process: the host's kernel closes its sockets, so the
 *   broker fires every will at once.
 * - `freeze()` is the host losing power: SIGSTOP, so its connections stay open and go
 *   silent (no FIN, no RST); the broker fires every will only after 1.5 × its keep-alive.
 *   `kill()` then ends the frozen process before the host "boots" again.
 */
import { spawn, type ChildProcess } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import path from "node:path"
import { createRequire } from "node:module"
import { tieToParent } from "@fieldlink/lib/process/children"
import { PORTS_DIR } from "./pty.js"

/** The gateway's own command (it runs compiled JavaScript: `npm run build` first in a checkout). */
const GATEWAY_BIN = path.join(
    path.dirname(createRequire(import.meta.url).resolve("fieldlink-gateway/package.json")),
    "bin",
    "fieldlink-gateway.js",
)

export interface GatewayProcessOptions {
    id: string
    broker: URL
    /** Every node of the broker, tried in turn (`broker.urls`); default: `broker` alone. */
    brokers?: readonly URL[]
    topicRoot: string
    /** Holds ports/ (the PTY ends) and state/ (the gateway's queues). */
    dir: string
    /** MQTT keep-alive of its upstream connections, s (default 30). */
    keepaliveS?: number
    /** The gateway's reconnect backoff (`broker.reconnect`; default the gateway's own). */
    reconnect?: { baseMs: number; capMs: number }
    /** Each JSON log record of the gateway. */
    onLog?: (record: Record<string, unknown>) => void
}

export class GatewayProcess {
    private child: ChildProcess | undefined
    private exited: Promise<void> | undefined
    /** Stopped by `freeze()`: it can no longer say goodbye. */
    private frozen = false

    constructor(private readonly o: GatewayProcessOptions) {}

    get running(): boolean {
        return this.child !== undefined
    }

    /** Starts it and resolves once it is online on the broker (bounded). */
    async start(timeoutMs = 20000): Promise<void> {
        if (this.child) return
        const state = path.join(this.o.dir, "state")
        mkdirSync(state, { recursive: true })
        const config = path.join(this.o.dir, "gateway.json")
        writeFileSync(
            config,
            JSON.stringify({
                gateway: { id: this.o.id, topicRoot: this.o.topicRoot, stateDir: state },
                broker: {
                    ...(this.o.brokers && this.o.brokers.length > 1
                        ? { urls: this.o.brokers.map(u => u.toString()) }
                        : { url: this.o.broker.toString() }),
                    keepaliveS: this.o.keepaliveS ?? 30,
                    ...(this.o.reconnect ? { reconnect: this.o.reconnect } : {}),
                },
                ports: [{ glob: path.join(this.o.dir, PORTS_DIR, "*") }],
                http: { port: 0 },
                log: { format: "json" },
            }),
        )
        const args = [GATEWAY_BIN, "--config", config]
        const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe"] })
        tieToParent(child)
        this.child = child
        this.exited = new Promise(resolve => child.once("exit", () => resolve()))
        let online: () => void = () => undefined
        const isOnline = new Promise<void>(resolve => (online = resolve))
        let partial = ""
        const output: string[] = []
        const onData = (chunk: Buffer) => {
            const lines = (partial + chunk.toString("utf8")).split("\n")
            partial = lines.pop() ?? ""
            for (const line of lines) {
                output.push(line)
                if (output.length > 50) output.shift()
                let record: Record<string, unknown>
                try {
                    record = JSON.parse(line) as Record<string, unknown>
                } catch {
                    continue
                }
                if (record.msg === "gateway online") online()
                this.o.onLog?.(record)
            }
        }
        child.stdout!.on("data", onData)
        child.stderr!.on("data", onData)
        let timer: NodeJS.Timeout | undefined
        const failed = new Promise<never>((_, reject) => {
            child.once("exit", (code, signal) =>
                reject(
                    new Error(
                        `the gateway exited (${code ?? signal}) before it was online:\n${output.join("\n")}`,
                    ),
                ),
            )
            timer = setTimeout(
                () =>
                    reject(
                        new Error(`the gateway was not online within ${timeoutMs} ms:\n${output.join("\n")}`),
                    ),
                timeoutMs,
            )
        })
        try {
            await Promise.race([isOnline, failed])
        } catch (e) {
            await this.kill()
            throw e
        } finally {
            clearTimeout(timer)
            failed.catch(() => undefined)
        }
        child.once("exit", () => {
            if (this.child === child) this.child = undefined
        })
    }

    /** The host loses power: the process stops where it is, its sockets open and silent. */
    freeze(): void {
        this.frozen = this.child?.kill("SIGSTOP") ?? false
    }

    /** A crash: no goodbye; the kernel closes its sockets and the broker fires every will at once. */
    async kill(): Promise<void> {
        const child = this.child
        this.child = undefined
        this.frozen = false
        if (!child || child.exitCode !== null || child.signalCode !== null) return
        child.kill("SIGKILL")
        await this.exited
    }

    /** Graceful: offline for every device and the gateway, queues written (bounded, then SIGKILL). */
    async stop(timeoutMs = 10000): Promise<void> {
        if (this.frozen) return this.kill()
        const child = this.child
        this.child = undefined
        if (!child || child.exitCode !== null || child.signalCode !== null) return
        child.kill("SIGTERM")
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
        await this.exited
        clearTimeout(timer)
    }
}
