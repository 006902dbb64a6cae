// Independent observers of what a broker really delivers. A test asserts on what a
// witness saw, not on what the code under test says it sent.
//
//   startWitness(url, filter)  a mosquitto_sub child process (no shared code with ours)
//   mqttWitness(url, filter)   an mqtt.js client, when the exact packet flags matter
//
// Both resolve only once their subscription is active, and both reconnect and
// resubscribe by themselves if the broker restarts.
import { execFile, spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { EventEmitter } from "node:events"
import { readFileSync } from "node:fs"
import { promisify } from "node:util"
import mqtt, { type IClientOptions, type MqttClient } from "mqtt"
import { MissingBinaryError, requireBinaries, type Availability } from "./binaries.js"
import { tieToParent } from "./cleanup.js"
import { describe, sleep } from "./wait.js"

export interface WitnessMessage {
    topic: string
    payload: Buffer
    /** The payload as UTF-8 text. */
    text: string
    /** The RETAIN flag of the PUBLISH the broker delivered (set for stored retained messages). */
    retain: boolean
    qos: 0 | 1 | 2
    /** When the witness received it (ms since the epoch, this machine's clock). */
    at: number
}

export interface Witness {
    readonly kind: "mosquitto_sub" | "mqtt.js"
    /** Everything received so far, oldest first. */
    messages(): WitnessMessage[]
    /** The first message at index >= `from` for which `predicate` holds, waiting up to `timeoutMs`. */
    waitFor(
        predicate: (message: WitnessMessage) => boolean,
        timeoutMs?: number,
        from?: number,
    ): Promise<WitnessMessage>
    stop(): Promise<void>
}

export interface WitnessOptions {
    /** Subscription QoS. Default 0. */
    qos?: 0 | 1 | 2
    /** Client id; default a unique "witness-…". */
    clientId?: string
    /** PEM CA file for an mqtts:// URL. */
    caFile?: string
    /** How long the subscription may take to become active. Default 5000 ms. */
    readyTimeoutMs?: number
}

/** Readiness probes go to their own topic tree, never into the one under test. */
const PROBE_ROOT = "fieldlink-witness-probe"
const execFileAsync = promisify(execFile)

/** Whether the mosquitto clients can be used here (throws on CI when missing). */
export function witnessAvailable(): Availability {
    return requireBinaries(["mosquitto_sub", "mosquitto_pub"], "mosquitto-clients")
}

class MessageLog {
    private readonly received: WitnessMessage[] = []
    private readonly events = new EventEmitter()

    constructor(private readonly name: string) {
        this.events.setMaxListeners(0)
    }

    add(message: WitnessMessage): void {
        if (message.topic.startsWith(`${PROBE_ROOT}/`)) {
            this.events.emit("probe", message)
            return
        }
        this.received.push(message)
        this.events.emit("message", message)
    }

    onProbe(listener: (message: WitnessMessage) => void): () => void {
        this.events.on("probe", listener)
        return () => this.events.off("probe", listener)
    }

    messages(): WitnessMessage[] {
        return [...this.received]
    }

    waitFor(
        predicate: (message: WitnessMessage) => boolean,
        timeoutMs = 5000,
        from = 0,
    ): Promise<WitnessMessage> {
        const found = this.received.slice(from).find(predicate)
        if (found !== undefined) return Promise.resolve(found)
        return new Promise((resolve, reject) => {
            const onMessage = (message: WitnessMessage) => {
                if (!predicate(message)) return
                clearTimeout(timer)
                this.events.off("message", onMessage)
                resolve(message)
            }
            const timer = setTimeout(() => {
                this.events.off("message", onMessage)
                const seen = this.received
                    .slice(-10)
                    .map(m => `${m.retain ? "R " : ""}${m.topic} ${describe(m.text)}`)
                reject(
                    new Error(
                        `Timed out after ${timeoutMs} ms: ${this.name} saw no matching message (${this.received.length} received` +
                            (seen.length ? `; the last ones:\n  ${seen.join("\n  ")})` : ")"),
                    ),
                )
            }, timeoutMs)
            this.events.on("message", onMessage)
        })
    }
}

function uniqueId(prefix: string): string {
    return `${prefix}-${process.pid}-${randomBytes(4).toString("hex")}`
}

function brokerAddress(url: string): { host: string; port: number; tls: boolean } {
    const parsed = new URL(url)
    const tls = parsed.protocol === "mqtts:"
    if (!tls && parsed.protocol !== "mqtt:")
        throw new Error(`Expected an mqtt:// or mqtts:// URL, got "${url}"`)
    return { host: parsed.hostname, port: Number(parsed.port || (tls ? 8883 : 1883)), tls }
}

// mosquitto_sub prints one line per message: retain flag, QoS, unix time with
// nanoseconds, payload in hex (so any byte, newlines included, fits on the line), topic.
const FORMAT = "%r %q %U %x %t"
const LINE = /^([01]) ([012]) (\d+)\.(\d+) ([0-9a-fA-F]*) (.*)$/

/**
 * Starts `mosquitto_sub` on `topicFilter` (one filter or several). Resolves once a probe
 * published with `mosquitto_pub` has come back through the same subscription, which
 * proves the subscription is active on the broker.
 */
export async function startWitness(
    url: string,
    topicFilter: string | string[],
    options: WitnessOptions = {},
): Promise<Witness> {
    const availability = witnessAvailable()
    if (!availability.ok) throw new MissingBinaryError(availability.reason)
    const { host, port, tls } = brokerAddress(url)
    const clientId = options.clientId ?? uniqueId("witness")
    const probeTopic = `${PROBE_ROOT}/${clientId}`
    const common = ["-h", host, "-p", String(port), "-V", "mqttv311"]
    if (tls && options.caFile) common.push("--cafile", options.caFile)
    const filters = Array.isArray(topicFilter) ? topicFilter : [topicFilter]
    const args = [...common, "-i", clientId, "-k", "30", "-q", String(options.qos ?? 0), "-F", FORMAT]
    // The probe filter comes last: mosquitto handles one client's packets in order, so once
    // the probe is delivered every filter before it is subscribed too.
    for (const filter of [...filters, probeTopic]) args.push("-t", filter)

    const log = new MessageLog(`mosquitto_sub witness on ${filters.join(", ")}`)
    const child = spawn(availability.paths.mosquitto_sub, args, { stdio: ["ignore", "pipe", "pipe"] })
    tieToParent(child)
    const stderr: string[] = []
    const closed = new Promise<void>(resolve => child.once("close", () => resolve()))
    child.once("error", err => stderr.push(`[spawn error] ${err.message}`))
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr.push(chunk))
    let partial = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
        const lines = (partial + chunk).split("\n")
        partial = lines.pop() ?? ""
        for (const line of lines) {
            const match = LINE.exec(line)
            if (!match) {
                stderr.push(`[unparsed output] ${line}\n`)
                continue
            }
            const [, retain, qos, seconds, fraction, hex, topic] = match
            const payload = Buffer.from(hex, "hex")
            log.add({
                topic,
                payload,
                text: payload.toString("utf8"),
                retain: retain === "1",
                qos: Number(qos) as 0 | 1 | 2,
                at: Number(seconds) * 1000 + Math.floor(Number(`0.${fraction}`) * 1000),
            })
        }
    })

    const stop = async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM")
        await closed
    }
    try {
        await probeUntilSeen(log, options.readyTimeoutMs ?? 5000, closed, async nonce => {
            await execFileAsync(
                availability.paths.mosquitto_pub,
                [...common, "-i", `${clientId}-probe`, "-t", probeTopic, "-m", nonce],
                {
                    timeout: 2000,
                },
            )
        })
    } catch (err) {
        await stop()
        throw new Error(
            `mosquitto_sub witness on ${url} did not become ready: ${(err as Error).message}\nstderr: ${stderr.join("") || "(empty)"}`,
        )
    }
    return {
        kind: "mosquitto_sub",
        messages: () => log.messages(),
        waitFor: (predicate, timeoutMs, from) => log.waitFor(predicate, timeoutMs, from),
        stop,
    }
}

/** Publishes probes (a fresh nonce each time) until one comes back. */
async function probeUntilSeen(
    log: MessageLog,
    timeoutMs: number,
    closed: Promise<void>,
    publish: (nonce: string) => Promise<void>,
): Promise<void> {
    const nonces = new Set<string>()
    let seen = false
    let exited = false
    const unsubscribe = log.onProbe(message => {
        if (nonces.has(message.text)) seen = true
    })
    void closed.then(() => (exited = true))
    const deadline = Date.now() + timeoutMs
    let lastError: unknown
    try {
        while (!seen) {
            if (exited) throw new Error("mosquitto_sub exited")
            if (Date.now() >= deadline) {
                throw new Error(
                    `no probe came back within ${timeoutMs} ms${lastError ? ` (last publish error: ${describe(lastError)})` : ""}`,
                )
            }
            const nonce = randomBytes(6).toString("hex")
            nonces.add(nonce)
            try {
                await publish(nonce)
            } catch (err) {
                lastError = err
            }
            for (let waited = 0; waited < 200 && !seen && !exited; waited += 10) await sleep(10)
        }
    } finally {
        unsubscribe()
    }
}

/**
 * An mqtt.js subscriber on `topicFilter`. Resolves once the broker has acknowledged the
 * subscription (SUBACK). Sees each PUBLISH's retain flag and QoS exactly as delivered.
 */
export async function mqttWitness(
    url: string,
    topicFilter: string | string[],
    options: WitnessOptions = {},
): Promise<Witness> {
    const filters = Array.isArray(topicFilter) ? topicFilter : [topicFilter]
    const log = new MessageLog(`mqtt.js witness on ${filters.join(", ")}`)
    const clientOptions: IClientOptions = {
        clientId: options.clientId ?? uniqueId("witness"),
        protocolVersion: 4,
        clean: true,
        keepalive: 30,
        reconnectPeriod: 250,
        connectTimeout: options.readyTimeoutMs ?? 5000,
    }
    if (options.caFile) clientOptions.ca = readFileSync(options.caFile)
    let client: MqttClient | undefined
    try {
        client = await mqtt.connectAsync(url, clientOptions, false)
        client.on("message", (topic, payload, packet) => {
            log.add({
                topic,
                payload,
                text: payload.toString("utf8"),
                retain: packet.retain,
                qos: packet.qos,
                at: Date.now(),
            })
        })
        const granted = await client.subscribeAsync(filters, { qos: options.qos ?? 0 })
        const refused = granted.filter(g => g.qos === 128)
        if (refused.length) throw new Error(`the broker refused ${refused.map(g => g.topic).join(", ")}`)
    } catch (err) {
        await client?.endAsync(true)
        throw new Error(`mqtt.js witness on ${url} did not become ready: ${(err as Error).message}`)
    }
    const connected = client
    return {
        kind: "mqtt.js",
        messages: () => log.messages(),
        waitFor: (predicate, timeoutMs, from) => log.waitFor(predicate, timeoutMs, from),
        stop: async () => {
            await connected.endAsync(true)
        },
    }
}
