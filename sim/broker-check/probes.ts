/**
 * The broker check's probes: each exercises one semantic fieldlink relies on against the
 * given nodes and returns what it saw (an `Observation`, judged in verdicts.ts). Topics
 * live under `<root>/devices/<run>-…` so a run never meets another run's messages; every
 * retained message written is recorded in `retained` for the clean-up.
 */
import { nodeBytes } from "@fieldlink/lib/bytes-node"
import type { Connections, Probe, Received } from "./clients.js"
import type { Observation } from "./verdicts.js"

export interface ProbeContext {
    urls: readonly string[]
    root: string
    /** A random tag naming this run's clients and topics. */
    run: string
    connections: Connections
    /** Topics this run wrote a retained message to; cleared at the end. */
    retained: Set<string>
}

const WAIT_MS = 3000
/**
 * Even, so mosquitto's whole-second 1.5 × k is exact; long enough that a will due at a
 * multiple of k other than 1.5 (RabbitMQ 3.10 fires at 3 × k) falls outside the allowance
 * of one mosquitto keep-alive sweep (WILL_SWEEP_ALLOWANCE_MS), which a k of 4 s hid.
 */
export const SILENT_KEEPALIVE_S = 6
/** How long the silent-socket probe waits: long enough to see a will at 3 × k (reported as late, not as missing), not so long that the check drags. */
export const SILENT_WAIT_MS = SILENT_KEEPALIVE_S * 4000
const BIRTH_CONNECTIONS = 8
const QOS1_MESSAGES = 100
const PAYLOAD_SIZES = [1024, 64 * 1024, 256 * 1024, 1024 * 1024]

const device = (c: ProbeContext, name: string) => `${c.root}/devices/${c.run}-${name}`
/** The node a second client uses: another node when there is one. */
const otherNode = (c: ProbeContext) => c.urls[1 % c.urls.length]!
const isOffline = (topic: string) => (m: Received) => m.topic === topic && m.payload.toString() === "offline"

export async function retained(c: ProbeContext): Promise<Observation[]> {
    const topic = `${device(c, "ret")}/status`
    const writer = await c.connections.open(c.urls[0]!, `${c.run}-ret`)
    c.retained.add(topic)
    await writer.client.publishAsync(topic, "online", { qos: 1, retain: true })
    const seenOn = async (url: string, i: number, filter: "exact" | "wildcard") => {
        const reader = await c.connections.open(url, `${c.run}-ret-${filter}-${i}`)
        await reader.client.subscribeAsync(filter === "exact" ? topic : `${c.root}/devices/+/status`, {
            qos: 1,
        })
        return (
            (await reader.waitFor(
                m => m.topic === topic && m.retain && m.payload.toString() === "online",
                WAIT_MS,
            )) !== null
        )
    }
    const [exact, wildcard] = await Promise.all([
        seenOn(c.urls[0]!, 0, "exact"),
        seenOn(c.urls[0]!, 0, "wildcard"),
    ])
    const missing: { node: number; filter: "exact" | "wildcard" }[] = []
    await Promise.all(
        c.urls.slice(1).flatMap((url, i) =>
            (["exact", "wildcard"] as const).map(async filter => {
                if (!(await seenOn(url, i + 1, filter))) missing.push({ node: i + 1, filter })
            }),
        ),
    )
    missing.sort((a, b) => a.node - b.node || a.filter.localeCompare(b.filter))
    return [
        { id: "retained-exact", received: exact, waitedMs: WAIT_MS },
        { id: "retained-wildcard", received: wildcard, waitedMs: WAIT_MS },
        { id: "retained-across-nodes", nodes: c.urls.length, missing },
    ]
}

async function watchFor(c: ProbeContext, topic: string, name: string) {
    const watcher = await c.connections.open(otherNode(c), `${c.run}-${name}-watch`)
    await watcher.client.subscribeAsync(topic, { qos: 1 })
    return watcher
}

export async function willOnClose(c: ProbeContext): Promise<Observation> {
    const topic = `${device(c, "wc")}/status`
    const waitedMs = 5000
    const watcher = await watchFor(c, topic, "wc")
    c.retained.add(topic)
    const socket = await c.connections.silent(c.urls[0]!, `${c.run}-wc`, 60, {
        topic,
        payload: nodeBytes.encodeUtf8("offline"),
        qos: 1,
        retain: true,
    })
    const closedAt = Date.now()
    socket.destroy()
    const will = await watcher.waitFor(isOffline(topic), waitedMs)
    return { id: "will-closed", willAfterMs: will ? will.at - closedAt : null, waitedMs }
}

export async function willOnSilence(c: ProbeContext): Promise<Observation> {
    const topic = `${device(c, "ws")}/status`
    const waitedMs = SILENT_WAIT_MS
    const watcher = await watchFor(c, topic, "ws")
    c.retained.add(topic)
    await c.connections.silent(c.urls[0]!, `${c.run}-ws`, SILENT_KEEPALIVE_S, {
        topic,
        payload: nodeBytes.encodeUtf8("offline"),
        qos: 1,
        retain: true,
    })
    // The broker counts keep-alive from the last packet it received: CONNECT.
    const silentFrom = Date.now()
    const will = await watcher.waitFor(isOffline(topic), waitedMs)
    return {
        id: "will-silent",
        keepAliveS: SILENT_KEEPALIVE_S,
        willAfterMs: will ? will.at - silentFrom : null,
        waitedMs,
    }
}

/** Each connection publishes its retained birth and at once three readings, as a device does. */
export async function birthOrder(c: ProbeContext): Promise<Observation> {
    const reader = await c.connections.open(otherNode(c), `${c.run}-order-watch`)
    await reader.client.subscribeAsync(`${c.root}/devices/+/#`, { qos: 1 })
    const names = Array.from({ length: BIRTH_CONNECTIONS }, (_, i) => device(c, `o${i}`))
    await Promise.all(
        names.map(async (base, i) => {
            const writer = await c.connections.open(c.urls[0]!, `${c.run}-o${i}`)
            c.retained.add(`${base}/status`)
            const sends = [writer.client.publishAsync(`${base}/status`, "online", { qos: 1, retain: true })]
            for (let n = 0; n < 3; n++)
                sends.push(writer.client.publishAsync(`${base}/telemetry`, `{"n":${n}}`, { qos: 0 }))
            await Promise.all(sends)
        }),
    )
    const ours = (m: Received) => names.some(base => m.topic.startsWith(`${base}/`))
    await reader.waitForCount(ours, BIRTH_CONNECTIONS * 4, WAIT_MS)
    let birthsSeen = 0
    let birthsFirst = 0
    for (const base of names) {
        const mine = reader.received.filter(m => m.topic.startsWith(`${base}/`))
        const birth = mine.findIndex(m => m.topic === `${base}/status`)
        if (birth >= 0) birthsSeen++
        if (birth === 0) birthsFirst++
    }
    return { id: "birth-order", connections: BIRTH_CONNECTIONS, birthsSeen, birthsFirst }
}

export async function qos1(c: ProbeContext): Promise<Observation> {
    const topic = `${device(c, "q")}/telemetry`
    const reader = await watchFor(c, topic, "q")
    const writer = await c.connections.open(c.urls[0]!, `${c.run}-q`)
    await Promise.all(
        Array.from({ length: QOS1_MESSAGES }, (_, i) =>
            writer.client.publishAsync(topic, String(i), { qos: 1 }),
        ),
    )
    const received = await reader.waitForCount(m => m.topic === topic, QOS1_MESSAGES, WAIT_MS)
    return { id: "qos1", sent: QOS1_MESSAGES, received }
}

export async function sessionResume(c: ProbeContext): Promise<Observation> {
    const topic = `${device(c, "sess")}/cmd/probe`
    const id = `${c.run}-sess`
    const first = await c.connections.open(c.urls[0]!, id, { clean: false })
    await first.client.subscribeAsync(topic, { qos: 1 })
    await first.client.endAsync()
    const writer = await c.connections.open(c.urls[0]!, `${c.run}-sess-w`)
    await writer.client.publishAsync(topic, "queued", { qos: 1 })
    const sameNode = c.urls.length < 2
    let resumed: Probe
    try {
        resumed = await c.connections.open(otherNode(c), id, { clean: false })
    } catch (error) {
        // Seen on aedes + Redis now and then: the node never answers the resuming CONNECT.
        // That is this probe's finding, not a reason to abandon the others.
        return { id: "session-resume", sameNode, received: false, refused: (error as Error).message }
    }
    const got = await resumed.waitFor(m => m.topic === topic && m.payload.toString() === "queued", WAIT_MS)
    await resumed.client.endAsync()
    // A clean connect discards the session the probe left on the broker.
    await (await c.connections.open(otherNode(c), id, { clean: true })).client.endAsync()
    return { id: "session-resume", sameNode, received: got !== null }
}

export async function largestPayload(c: ProbeContext): Promise<Observation> {
    const topic = `${device(c, "big")}/telemetry`
    let largestBytes: number | null = null
    for (const size of PAYLOAD_SIZES) {
        // A fresh connection per size: a broker may close the one that sent too much.
        const probe = await c.connections.open(c.urls[0]!, `${c.run}-big-${size}`)
        await probe.client.subscribeAsync(topic, { qos: 1 })
        probe.client.publish(topic, Buffer.alloc(size, 0x61), { qos: 1 })
        const got = await probe.waitFor(m => m.topic === topic && m.payload.length === size, WAIT_MS)
        await probe.client.endAsync(true)
        if (!got) return { id: "max-payload", largestBytes, firstRefusedBytes: size }
        largestBytes = size
    }
    return { id: "max-payload", largestBytes, firstRefusedBytes: null }
}

/** A client named like one device publishes to another device's command topic. */
export async function aclSubtree(c: ProbeContext): Promise<Observation> {
    const foreign = `${device(c, "acl-other")}/cmd/probe`
    const reader = await watchFor(c, foreign, "acl")
    const writer = await c.connections.open(c.urls[0]!, `${c.run}-acl`)
    writer.client.publish(foreign, "from another device", { qos: 1 })
    return {
        id: "acl-subtree",
        delivered: (await reader.waitFor(m => m.topic === foreign, WAIT_MS)) !== null,
    }
}

export async function sharedSubscription(c: ProbeContext): Promise<Observation> {
    const topic = `${device(c, "sh")}/telemetry`
    const sent = 20
    const members = await Promise.all(
        [0, 1].map(i => c.connections.open(c.urls[i % c.urls.length]!, `${c.run}-sh-${i}`)),
    )
    const grants = await Promise.all(
        members.map(m =>
            m.client.subscribeAsync(`$share/${c.run}/${topic}`, { qos: 1 }).catch(() => [{ qos: 128 }]),
        ),
    )
    const suback = grants.every(g => g.every(grant => grant.qos !== 128)) ? "granted" : "refused"
    const writer = await c.connections.open(c.urls[0]!, `${c.run}-sh-w`)
    await Promise.all(
        Array.from({ length: sent }, (_, i) => writer.client.publishAsync(topic, String(i), { qos: 1 })),
    )
    const count = () => members.reduce((n, m) => n + m.received.filter(r => r.topic === topic).length, 0)
    const deadline = Date.now() + WAIT_MS
    while (count() < sent && Date.now() < deadline) await new Promise(resolve => setTimeout(resolve, 100))
    // A broker without groups may deliver to every member: wait a little for the duplicates.
    await new Promise(resolve => setTimeout(resolve, 300))
    return { id: "shared-subscription", subscribers: members.length, sent, deliveries: count(), suback }
}
