// Nothing lost: while the broker is away each device's messages wait in a queue on disk,
// survive a gateway restart, and arrive in order once the broker is back; past the
// bound the oldest are dropped and counted. The subscriber keeps a persistent session on
// a broker with persistence, so it misses nothing across the broker's restart either.
import test, { type ExecutionContext } from "ava"
import { readFileSync } from "node:fs"
import path from "node:path"
import mqtt from "mqtt"
import { mosquittoAvailable, startMosquitto, type Mosquitto } from "../support/mosquitto.js"
import { waitFor } from "../support/wait.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"
import { socatAvailable, startDevice, type FakeDevice } from "../support/pty.js"

const ready = [mosquittoAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway outage tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

async function persistentBroker(t: ExecutionContext, dir: string): Promise<Mosquitto> {
    const broker = await startMosquitto({
        extraConfig: ["persistence true", `persistence_location ${dir}${path.sep}`],
    })
    t.teardown(() => broker.stop())
    return broker
}

/** A QoS 1 subscriber with a persistent session: the broker keeps its messages while it is away. */
async function subscriber(t: ExecutionContext, url: string) {
    const seen: { topic: string; text: string }[] = []
    const client = await mqtt.connectAsync(url, {
        clientId: `outage-witness-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 200,
    })
    t.teardown(() => client.endAsync(true))
    client.on("message", (topic, payload) => seen.push({ topic, text: payload.toString() }))
    await client.subscribeAsync("fieldlink/devices/+/telemetry", { qos: 1 })
    return {
        seqs: (id: string) =>
            seen
                .filter(m => m.topic === `fieldlink/devices/${id}/telemetry`)
                .map(m => JSON.parse(m.text).seq as number),
        client,
    }
}

/** Every seq from 1 to n arrived, first appearances in order (a resent tail may repeat). */
function assertAllInOrder(t: ExecutionContext, seqs: number[], n: number, label: string) {
    const firsts: number[] = []
    const seen = new Set<number>()
    for (const s of seqs) {
        if (seen.has(s)) continue
        seen.add(s)
        firsts.push(s)
    }
    t.deepEqual(
        firsts,
        Array.from({ length: n }, (_, i) => i + 1),
        label,
    )
    t.log(
        `${label}: ${n} messages, ${seqs.length - n} duplicate(s)${seqs.length > n ? `: ${seqs.join(",")}` : ""}`,
    )
}

async function send(device: FakeDevice, from: number, to: number, gapMs = 5) {
    for (let seq = from; seq <= to; seq++) {
        await device.write(`{"seq":${seq}}\n`)
        if (gapMs) await new Promise(r => setTimeout(r, gapMs))
    }
}

brokerTest(
    "broker stopped while devices keep sending: after its restart every message arrives, in order per device",
    async t => {
        const dir = tempDir(t)
        const broker = await persistentBroker(t, dir)
        const sub = await subscriber(t, broker.url)
        const devices = await Promise.all(["o1", "o2"].map(n => startDevice(dir, n)))
        t.teardown(() => Promise.all(devices.map(d => d.stop())))
        const gw = startGateway(
            t,
            writeConfig(dir, await testConfig(dir, broker.url, [{ glob: `${dir}/ports/o?` }])),
        )
        await gw.waitForPorts(2)
        await Promise.all(devices.map(d => send(d, 1, 40)))
        await waitFor(() => sub.seqs("o1").length >= 40 && sub.seqs("o2").length >= 40, {
            what: "the first 40 of each device",
            timeoutMs: 20000,
        })
        await broker.stop()
        await Promise.all(devices.map(d => send(d, 41, 140)))
        await gw.waitForLog(l => l.msg?.startsWith("lost the broker") || l.msg?.startsWith("cannot connect"))
        await broker.restart()
        await Promise.all(devices.map(d => send(d, 141, 160)))
        await waitFor(() => sub.seqs("o1").includes(160) && sub.seqs("o2").includes(160), {
            what: "the last message of each device",
            timeoutMs: 30000,
        })
        assertAllInOrder(t, sub.seqs("o1"), 160, "o1")
        assertAllInOrder(t, sub.seqs("o2"), 160, "o2")
    },
)

brokerTest(
    "gateway restarted (SIGTERM) while the broker is down: the queued messages still arrive, in order",
    async t => {
        const dir = tempDir(t)
        const broker = await persistentBroker(t, dir)
        const sub = await subscriber(t, broker.url)
        const device = await startDevice(dir, "r1")
        t.teardown(() => device.stop())
        // acks: the gateway answers "ok json" once a line is in its queue, so the test knows
        // every line was taken in before it stops the gateway.
        const configFile = writeConfig(
            dir,
            await testConfig(dir, broker.url, [{ path: device.path, acks: true }]),
        )
        const first = startGateway(t, configFile)
        await first.waitForPorts(1)
        await send(device, 1, 10)
        await waitFor(() => sub.seqs("r1").length >= 10, { what: "the first 10", timeoutMs: 20000 })
        await broker.stop()
        await send(device, 11, 60, 2)
        await waitFor(() => device.lines().filter(l => l === "ok json").length === 60, {
            what: "all 60 lines in the gateway's queue",
            timeoutMs: 20000,
        })
        // Stopped right after the last line: the graceful stop writes the queue to disk.
        t.is(await first.stop(), 0)
        const second = startGateway(t, configFile)
        await second.waitForLog(l => l.msg === "queue loaded from disk" && l.queued === 50)
        await broker.restart()
        await waitFor(() => sub.seqs("r1").includes(60), {
            what: "the queued messages after the restarts",
            timeoutMs: 30000,
        })
        assertAllInOrder(t, sub.seqs("r1"), 60, "r1")
    },
)

brokerTest(
    "a bounded queue: past maxMessages the oldest are dropped and counted, the newest delivered",
    async t => {
        const dir = tempDir(t)
        const broker = await persistentBroker(t, dir)
        const sub = await subscriber(t, broker.url)
        const device = await startDevice(dir, "b1")
        t.teardown(() => device.stop())
        const gw = startGateway(
            t,
            writeConfig(
                dir,
                await testConfig(dir, broker.url, [{ path: device.path }], { queue: { maxMessages: 5 } }),
            ),
        )
        await gw.waitForPorts(1)
        await send(device, 1, 1)
        await waitFor(() => sub.seqs("b1").length >= 1, { what: "the first message", timeoutMs: 20000 })
        await broker.stop()
        await send(device, 2, 21, 2)
        const port = await waitFor(() => gw.httpPort, { what: "the HTTP port", timeoutMs: 20000 })
        const metrics = await waitFor(
            async () => {
                const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
                return /fieldlink_gateway_queue_dropped_total\{device="b1"\} 15/.test(text) ? text : undefined
            },
            { what: "15 drops in the metrics", timeoutMs: 20000 },
        )
        t.regex(metrics, /fieldlink_gateway_queue_depth\{device="b1"\} 5/)
        await broker.restart()
        await waitFor(() => sub.seqs("b1").includes(21), { what: "the newest message", timeoutMs: 30000 })
        t.deepEqual([...new Set(sub.seqs("b1"))], [1, 17, 18, 19, 20, 21])
    },
)

brokerTest(
    "gateway killed (-9) while the broker is down: messages older than flushMs survive in the journal",
    async t => {
        const dir = tempDir(t)
        const broker = await persistentBroker(t, dir)
        const sub = await subscriber(t, broker.url)
        const device = await startDevice(dir, "c1")
        t.teardown(() => device.stop())
        const configFile = writeConfig(
            dir,
            await testConfig(dir, broker.url, [{ path: device.path, acks: true }]),
        )
        const first = startGateway(t, configFile)
        await first.waitForPorts(1)
        await send(device, 1, 5)
        await waitFor(() => sub.seqs("c1").length >= 5, { what: "the first 5", timeoutMs: 20000 })
        await broker.stop()
        await send(device, 6, 45, 2)
        await waitFor(() => device.lines().filter(l => l === "ok json").length === 45, {
            what: "45 lines in the gateway's queue",
            timeoutMs: 20000,
        })
        // flushMs is 50 in tests: once the journal holds the last message, a crash loses nothing.
        const journal = path.join(dir, "state", "queues", "c1.jsonl")
        await waitFor(() => readFileSync(journal, "utf8").includes('"p":"{\\"seq\\":45}"'), {
            what: "the journal to hold seq 45",
            timeoutMs: 20000,
        })
        await first.kill()
        const second = startGateway(t, configFile)
        await second.waitForLog(l => l.msg === "queue loaded from disk" && l.queued === 40)
        await broker.restart()
        await waitFor(() => sub.seqs("c1").includes(45), { what: "the journaled messages", timeoutMs: 30000 })
        assertAllInOrder(t, sub.seqs("c1"), 45, "c1")
    },
)
