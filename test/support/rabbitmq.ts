// Real Debian RabbitMQ nodes (with the MQTT plugin) per test: a cluster of `count` nodes
// on loopback (1 for a single node), each with its own temp folder, node name and free
// ports, stopped and removed by the caller.
//
//   const cluster = await startRabbitMQCluster(3)
//   t.teardown(() => cluster.stop())
//   … connect to cluster.urls[i] (MQTT), cluster.nodes[i].amqpPort …
//
// What a throwaway node needs, and why (rabbitmq-node.ts does it):
//  - The real start script (/usr/lib/rabbitmq/bin/rabbitmq-server), not Debian's
//    /usr/sbin wrapper: as root the wrapper switches to the rabbitmq user and sends the
//    output to /var/log/rabbitmq. Run directly, the node runs as whoever runs the test,
//    so every path it writes is ours.
//  - RUNNING_UNDER_SYSTEMD makes the script exec the Erlang VM instead of waiting on it in
//    a shell: the process we spawn is the node, so SIGTERM stops it gracefully and the
//    safety net's SIGKILL (tieToParent) leaves nothing behind.
//  - An epmd of the test's own on a free port (ERL_EPMD_PORT), in the foreground: the node
//    neither starts nor registers with the machine's shared epmd on 4369, which would
//    outlive the test. The nodes of one cluster share it.
//  - HOME in the temp folder, holding the Erlang cookie (shared by a cluster's nodes).
//  - RABBITMQ_CONF_ENV_FILE and RABBITMQ_ADVANCED_CONFIG_FILE point into the temp folder so
//    nothing in /etc/rabbitmq applies; logs go to stdout (RABBITMQ_LOGS=-).
// A RabbitMQ 3.10 node starts in 10–40 s on a loaded 2-core machine (its MQTT plugin alone
// waits about 4 s for cluster peers), three in 40–100 s: a test file should start its
// nodes once and share them.
import { spawn, type ChildProcess } from "node:child_process"
import { randomBytes } from "node:crypto"
import { accessSync, constants } from "node:fs"
import net from "node:net"
import { MissingBinaryError, requireBinaries, type Availability } from "./binaries.js"
import { tieToParent } from "./cleanup.js"
import { AddressInUseError, RabbitMQNode, terminate, type NodeSetup } from "./rabbitmq-node.js"
import { freePort, waitFor } from "./wait.js"

export interface RabbitMQOptions {
    /** How long each node's start-up may take before it fails with the log. Default 100000 ms: a loaded 2-core machine took 42 s for one. */
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
    /** Stops the node and removes its folder (the cluster's stop also ends epmd). */
    stop(): Promise<void>
}

export interface RabbitMQCluster {
    readonly nodes: RabbitMQ[]
    /** One MQTT URL per node. */
    readonly urls: string[]
    /** Stops every node and the cluster's epmd, and removes the nodes' folders. */
    stop(): Promise<void>
}

/** Debian's real start script; /usr/sbin/rabbitmq-server is a wrapper that switches user. */
const DEBIAN_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server"
const START_ATTEMPTS = 3

/**
 * Whether a RabbitMQ node can be started here. Throws on CI when it is missing; elsewhere
 * the result's `reason` tells a test why it skips.
 */
export function rabbitmqAvailable(): Availability {
    return requireBinaries(["rabbitmq-server", "epmd"], "rabbitmq-server")
}

/**
 * Starts `count` nodes that form one cluster: the first alone, then the others together
 * (each joins the first through classic-config peer discovery). Resolves once every node
 * accepts MQTT and every other node has logged that it joined the first.
 */
export async function startRabbitMQCluster(
    count: number,
    options: RabbitMQOptions = {},
): Promise<RabbitMQCluster> {
    const availability = rabbitmqAvailable()
    if (!availability.ok) throw new MissingBinaryError(availability.reason)
    const script = isExecutable(DEBIAN_SCRIPT) ? DEBIAN_SCRIPT : availability.paths["rabbitmq-server"]!
    const readyTimeoutMs = options.readyTimeoutMs ?? 100_000
    const epmdPort = await freePort()
    const epmd = await startEpmd(availability.paths.epmd!, epmdPort)
    const tag = randomBytes(4).toString("hex")
    const names = Array.from({ length: count }, (_, i) => `fieldlink-${tag}-${i + 1}@localhost`)
    const cookie = randomBytes(16).toString("hex").toUpperCase()
    // The first node starts alone; the others name only it, so none waits for a peer
    // that is not up yet (a node retries unreachable peers for 5 s before going alone).
    const setup = (nodeName: string): NodeSetup => ({
        script,
        epmdPort,
        cookie,
        nodeName,
        seed: nodeName === names[0] ? undefined : names[0],
    })
    const nodes: RabbitMQNode[] = []
    const stop = async () => {
        await Promise.all(nodes.map(node => node.stop()))
        await terminate(epmd, 2000)
    }
    try {
        nodes.push(await startNode(setup(names[0]!), readyTimeoutMs))
        nodes.push(...(await Promise.all(names.slice(1).map(name => startNode(setup(name), readyTimeoutMs)))))
    } catch (err) {
        await stop()
        throw err
    }
    return { nodes, urls: nodes.map(node => node.url), stop }
}

async function startNode(setup: NodeSetup, readyTimeoutMs: number): Promise<RabbitMQNode> {
    for (let attempt = 1; ; attempt++) {
        const node = new RabbitMQNode(setup)
        try {
            await node.start(readyTimeoutMs)
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

/** An epmd of the test's own, in the foreground, so it ends with the test. */
async function startEpmd(binary: string, port: number): Promise<ChildProcess> {
    const epmd = spawn(binary, ["-port", String(port)], { stdio: ["ignore", "ignore", "pipe"] })
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
