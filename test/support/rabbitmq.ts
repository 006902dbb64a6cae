// A real Debian RabbitMQ node (with its MQTT plugin) per test: its own temp folder, node
// name, epmd, config and free loopback ports, stopped and removed by the caller.
//
//   const rabbit = await startRabbitMQ()
//   t.teardown(() => rabbit.stop())
//   … connect to rabbit.url (MQTT) …
//
// What a throwaway node needs, and why:
//  - The real start script (/usr/lib/rabbitmq/bin/rabbitmq-server), not Debian's
//    /usr/sbin wrapper: as root the wrapper switches to the rabbitmq user and sends the
//    output to /var/log/rabbitmq. Run directly, the node runs as whoever runs the test,
//    so every path below is ours to write.
//  - RUNNING_UNDER_SYSTEMD makes the script exec the Erlang VM instead of waiting on it in
//    a shell: the process we spawn is the node, so SIGTERM stops it gracefully and the
//    safety net's SIGKILL (tieToParent) leaves nothing behind.
//  - Its own epmd on a free port (ERL_EPMD_PORT): the node does not start or register with
//    the machine's shared epmd on 4369, which would outlive the test.
//  - HOME in the temp folder: the Erlang cookie is created there, not in the user's home.
//  - RABBITMQ_CONF_ENV_FILE and RABBITMQ_ADVANCED_CONFIG_FILE point into the temp folder so
//    nothing in /etc/rabbitmq applies; logs go to stdout (RABBITMQ_LOGS=-).
// RabbitMQ 3.10 starts in 10–20 s on a loaded 2-core machine (its MQTT plugin alone waits
// about 4 s for cluster peers that never come); a test should start one node and share it.
import { spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import mqtt from "mqtt"
import { MissingBinaryError, requireBinaries, type Availability } from "./binaries.js"
import { removeOnExit, tieToParent } from "./cleanup.js"
import { freePort, waitFor } from "./wait.js"

export interface RabbitMQOptions {
    /** How long start-up may take before it fails with the log. Default 60000 ms. */
    readyTimeoutMs?: number
}

export interface RabbitMQ {
    /** The MQTT listener's port. */
    readonly port: number
    /** mqtt://127.0.0.1:<port> */
    readonly url: string
    readonly amqpPort: number
    /** e.g. fieldlink-1a2b3c4d@localhost */
    readonly nodeName: string
    /** The RabbitMQ version the node logged at start, e.g. "3.10.8". */
    readonly version: string
    /** How long the node took from spawn to accepting an MQTT connection. */
    readonly startedInMs: number
    logLines(): string[]
    /** SIGTERM, wait for exit (SIGKILL after a deadline), stop epmd, remove the folder. */
    stop(): Promise<void>
}

/** Debian's real start script; /usr/sbin/rabbitmq-server is a wrapper that switches user. */
const DEBIAN_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server"
const READY_LINE = /Server startup complete/
const VERSION_LINE = /Starting RabbitMQ (\S+) on Erlang/
const ADDRESS_IN_USE = /eaddrinuse/i
const START_ATTEMPTS = 3
const STOP_TIMEOUT_MS = 15_000

/**
 * Whether a RabbitMQ node can be started here. Throws on CI when it is missing; elsewhere
 * the result's `reason` tells a test why it skips.
 */
export function rabbitmqAvailable(): Availability {
    return requireBinaries(["rabbitmq-server", "epmd"], "rabbitmq-server")
}

/** Starts a private RabbitMQ node with MQTT on free 127.0.0.1 ports; resolves once it accepts MQTT. */
export async function startRabbitMQ(options: RabbitMQOptions = {}): Promise<RabbitMQ> {
    const availability = rabbitmqAvailable()
    if (!availability.ok) throw new MissingBinaryError(availability.reason)
    const script = isExecutable(DEBIAN_SCRIPT) ? DEBIAN_SCRIPT : availability.paths["rabbitmq-server"]!
    for (let attempt = 1; ; attempt++) {
        const node = new RabbitMQNode(script, availability.paths.epmd!)
        try {
            await node.start(options.readyTimeoutMs ?? 60_000)
            return node
        } catch (err) {
            await node.stop()
            if (!(err instanceof AddressInUseError) || attempt >= START_ATTEMPTS) throw err
        }
    }
}

function isExecutable(file: string): boolean {
    try {
        accessSync(file, constants.X_OK)
        return true
    } catch {
        return false
    }
}

class AddressInUseError extends Error {}

class RabbitMQNode implements RabbitMQ {
    port = 0
    amqpPort = 0
    version = "unknown"
    startedInMs = 0
    readonly nodeName = `fieldlink-${randomBytes(4).toString("hex")}@localhost`
    private readonly dir: string
    private readonly lines: string[] = []
    private node: ChildProcess | undefined
    private epmd: ChildProcess | undefined

    constructor(
        private readonly script: string,
        private readonly epmdBinary: string,
    ) {
        this.dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-rabbitmq-"))
        removeOnExit(this.dir)
    }

    get url(): string {
        return `mqtt://127.0.0.1:${this.port}`
    }

    logLines(): string[] {
        return [...this.lines]
    }

    async start(readyTimeoutMs: number): Promise<void> {
        const started = Date.now()
        const epmdPort = await freePort()
        this.amqpPort = await freePort()
        this.port = await freePort()
        const distPort = await freePort()
        this.epmd = await this.startEpmd(epmdPort)
        this.writeConfig()
        const env: NodeJS.ProcessEnv = {}
        // Nothing from the caller's RabbitMQ or systemd set-up may leak into the node.
        for (const [key, value] of Object.entries(process.env))
            if (!key.startsWith("RABBITMQ_") && !key.startsWith("ERL_") && key !== "NOTIFY_SOCKET")
                env[key] = value
        Object.assign(env, {
            HOME: this.dir,
            ERL_EPMD_PORT: String(epmdPort),
            RUNNING_UNDER_SYSTEMD: "true",
            RABBITMQ_NODENAME: this.nodeName,
            RABBITMQ_DIST_PORT: String(distPort),
            RABBITMQ_CONF_ENV_FILE: path.join(this.dir, "rabbitmq-env.conf"),
            RABBITMQ_CONFIG_FILE: path.join(this.dir, "rabbitmq.conf"),
            RABBITMQ_ADVANCED_CONFIG_FILE: path.join(this.dir, "advanced.config"),
            RABBITMQ_ENABLED_PLUGINS_FILE: path.join(this.dir, "enabled_plugins"),
            RABBITMQ_MNESIA_BASE: path.join(this.dir, "mnesia"),
            RABBITMQ_LOG_BASE: path.join(this.dir, "log"),
            RABBITMQ_LOGS: "-",
        })
        const node = spawn(this.script, [], { cwd: this.dir, env, stdio: ["ignore", "pipe", "pipe"] })
        this.node = node
        tieToParent(node)
        node.once("error", err => this.lines.push(`[spawn error] ${err.message}`))
        this.collect(node)

        const outcome = await waitFor(
            () =>
                this.lines.some(line => READY_LINE.test(line))
                    ? "ready"
                    : node.exitCode !== null || node.signalCode !== null
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
        // The log says the listeners started; a CONNACK says MQTT really answers.
        const client = await mqtt.connectAsync(this.url, { reconnectPeriod: 0, connectTimeout: 5000 })
        await client.endAsync()
        this.startedInMs = Date.now() - started
    }

    async stop(): Promise<void> {
        await terminate(this.node, STOP_TIMEOUT_MS)
        await terminate(this.epmd, 2000)
        rmSync(this.dir, { recursive: true, force: true })
    }

    private writeConfig(): void {
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
        writeFileSync(path.join(this.dir, "rabbitmq.conf"), config.join("\n") + "\n")
        writeFileSync(path.join(this.dir, "rabbitmq-env.conf"), "")
        writeFileSync(path.join(this.dir, "enabled_plugins"), "[rabbitmq_mqtt].\n")
    }

    /** Our own epmd in the foreground, so it ends with the test, not with the machine. */
    private async startEpmd(port: number): Promise<ChildProcess> {
        const epmd = spawn(this.epmdBinary, ["-port", String(port)], { stdio: ["ignore", "ignore", "pipe"] })
        tieToParent(epmd)
        let stderr = ""
        epmd.stderr!.on("data", d => (stderr += d))
        await waitFor(async () => (await canConnect(port)) || epmd.exitCode !== null, {
            what: `epmd to listen on 127.0.0.1:${port}`,
            timeoutMs: 5000,
        })
        if (epmd.exitCode !== null) throw new Error(`epmd -port ${port} exited at start: ${stderr}`)
        return epmd
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

function canConnect(port: number): Promise<boolean> {
    return new Promise(resolve => {
        const socket = net.connect({ host: "127.0.0.1", port })
        socket.once("connect", () => {
            socket.destroy()
            resolve(true)
        })
        socket.once("error", () => resolve(false))
    })
}

async function terminate(child: ChildProcess | undefined, timeoutMs: number): Promise<void> {
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
