// One RabbitMQ node as a child process of the test: the spawn, its config and
// environment, readiness and stop. test/support/rabbitmq.ts says why it is set up this
// way and is what tests use (startRabbitMQ, startRabbitMQCluster).
import { spawn, type ChildProcess } from "node:child_process"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import mqtt from "mqtt"
import { removeOnExit, tieToParent } from "./cleanup.js"
import { freePort, waitFor } from "./wait.js"

/** What the nodes of one test share: the epmd they register with, the Erlang cookie. */
export interface NodeSetup {
    script: string
    epmdPort: number
    cookie: string
    nodeName: string
    /** The node to join (classic-config peer discovery); undefined to start a cluster of its own. */
    seed?: string | undefined
}

const READY_LINE = /Server startup complete/
const VERSION_LINE = /Starting RabbitMQ (\S+) on Erlang/
const ADDRESS_IN_USE = /eaddrinuse/i
const STOP_TIMEOUT_MS = 15_000

export class AddressInUseError extends Error {}

export class RabbitMQNode {
    port = 0
    amqpPort = 0
    version = "unknown"
    startedInMs = 0
    private readonly dir: string
    private readonly lines: string[] = []
    private child: ChildProcess | undefined

    constructor(private readonly setup: NodeSetup) {
        this.dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-rabbitmq-"))
        removeOnExit(this.dir)
    }

    get nodeName(): string {
        return this.setup.nodeName
    }

    get url(): string {
        return `mqtt://127.0.0.1:${this.port}`
    }

    logLines(): string[] {
        return [...this.lines]
    }

    async start(readyTimeoutMs: number): Promise<void> {
        const started = Date.now()
        this.amqpPort = await freePort()
        this.port = await freePort()
        const distPort = await freePort()
        this.writeFiles()
        const env: NodeJS.ProcessEnv = {}
        // Nothing from the caller's RabbitMQ or systemd set-up may leak into the node.
        for (const [key, value] of Object.entries(process.env))
            if (!key.startsWith("RABBITMQ_") && !key.startsWith("ERL_") && key !== "NOTIFY_SOCKET")
                env[key] = value
        Object.assign(env, {
            HOME: this.dir,
            ERL_EPMD_PORT: String(this.setup.epmdPort),
            RUNNING_UNDER_SYSTEMD: "true",
            RABBITMQ_NODENAME: this.setup.nodeName,
            RABBITMQ_DIST_PORT: String(distPort),
            RABBITMQ_CONF_ENV_FILE: path.join(this.dir, "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE: path.join(this.dir, "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE: path.join(this.dir, "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE: path.join(this.dir, "enabled_plugins"),
            RABBITMQ_MNESIA_BASE: path.join(this.dir, "mnesia"),
            RABBITMQ_LOG_BASE: path.join(this.dir, "log"),
            RABBITMQ_LOGS: "-",
        })
        const child = spawn(this.setup.script, [], { cwd: this.dir, env, stdio: ["ignore", "pipe", "pipe"] })
        this.child = child
        tieToParent(child)
        child.once("error", err => this.lines.push(`[spawn error] ${err.message}`))
        this.collect(child)

        const outcome = await waitFor(
            () =>
                this.lines.some(line => READY_LINE.test(line))
                    ? "ready"
                    : child.exitCode !== null || child.signalCode !== null
                      ? "exited"
                      : undefined,
            { what: `RabbitMQ node ${this.nodeName} to start`, timeoutMs: readyTimeoutMs, intervalMs: 100 },
        ).catch(() => "timeout" as const)
        if (outcome !== "ready") {
            if (outcome === "exited" && this.lines.some(line => ADDRESS_IN_USE.test(line)))
                throw new AddressInUseError(`RabbitMQ ${this.nodeName}: a port was taken meanwhile`)
            const why =
                outcome === "timeout" ? `did not start within ${readyTimeoutMs} ms` : "exited during start-up"
            throw new Error(`RabbitMQ node ${this.nodeName} (${this.dir}) ${why}; its log:\n${this.tail()}`)
        }
        this.version = this.lines.map(line => VERSION_LINE.exec(line)?.[1]).find(Boolean) ?? "unknown"
        // A node that cannot reach its seed starts a cluster of its own, and says so only here.
        const seed = this.setup.seed
        if (
            seed !== undefined &&
            !this.lines.some(line => line.includes(`Node '${seed}' selected for auto-clustering`))
        )
            throw new Error(
                `RabbitMQ node ${this.nodeName} started without joining ${seed}; its log:\n${this.tail()}`,
            )
        // The log says the listeners started; a CONNACK says MQTT really answers.
        const client = await mqtt.connectAsync(this.url, { reconnectPeriod: 0, connectTimeout: 15_000 })
        await client.endAsync()
        this.startedInMs = Date.now() - started
    }

    /** SIGTERM (a graceful stop), SIGKILL after a deadline; then the folder goes. */
    async stop(): Promise<void> {
        await terminate(this.child, STOP_TIMEOUT_MS)
        rmSync(this.dir, { recursive: true, force: true })
    }

    private writeFiles(): void {
        const config = [
            "# Generated for one test run; the node lives as long as the test.",
            `listeners.tcp.1 = 127.0.0.1:${this.amqpPort}`,
            `mqtt.listeners.tcp.1 = 127.0.0.1:${this.port}`,
            "mqtt.allow_anonymous = true",
            // A nearly full disk must not make the node block publishers mid-test.
            "disk_free_limit.absolute = 1MB",
            "log.console = true",
            "log.console.level = info",
        ]
        if (this.setup.seed !== undefined)
            config.push(
                "cluster_formation.peer_discovery_backend = classic_config",
                `cluster_formation.classic_config.nodes.1 = ${this.setup.seed}`,
            )
        writeFileSync(path.join(this.dir, "rabbitmq.conf"), config.join("\n") + "\n")
        writeFileSync(path.join(this.dir, "rabbitmq-env.conf"), "")
        writeFileSync(path.join(this.dir, "enabled_plugins"), "[rabbitmq_mqtt].\n")
        // Nodes of one cluster must share the cookie; Erlang wants the file private.
        writeFileSync(path.join(this.dir, ".erlang.cookie"), this.setup.cookie, { mode: 0o400 })
        mkdirSync(path.join(this.dir, "log"))
    }

    private collect(child: ChildProcess): void {
        for (const stream of [child.stdout, child.stderr]) {
            let partial = ""
            stream?.setEncoding("utf8")
            stream?.on("data", (chunk: string) => {
                const parts = (partial + chunk).split("\n")
                partial = parts.pop() ?? ""
                this.lines.push(...parts)
            })
        }
    }

    private tail(count = 40): string {
        return this.lines.slice(-count).join("\n") || "(empty)"
    }
}

/** SIGTERM, wait for the exit, SIGKILL after `timeoutMs`. A no-op when already gone. */
export async function terminate(child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()))
    child.kill("SIGTERM")
    let timer: NodeJS.Timeout | undefined
    const overdue = new Promise<"overdue">(
        resolve => (timer = setTimeout(() => resolve("overdue"), timeoutMs)),
    )
    const outcome = await Promise.race([exited, overdue])
    clearTimeout(timer)
    if (outcome === "overdue") {
        child.kill("SIGKILL")
        await exited
    }
}
