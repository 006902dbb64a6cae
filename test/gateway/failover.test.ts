// broker.urls: when the node the gateway is on goes away, every connection (each device's
// and the gateway's own) moves to the next node with the usual backoff, publishes its
// birth there and sends what it queued meanwhile. Two real mosquittos, B bridged to A on
// the topic root with mosquitto's own bridge, as a two-node "cluster".
import test from "ava"
import mqtt from "mqtt"
import { mosquittoAvailable, startBridgedPair } from "../support/mosquitto.js"
import { socatAvailable, startDevice, type FakeDevice } from "../support/pty.js"
import { waitFor } from "../support/wait.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"

const ready = [mosquittoAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway failover tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

const KEEPALIVE_S = 4
const CAP_MS = 1000

/** Writes one line and resolves once the gateway's `ok` says it is queued. */
async function sendAcked(device: FakeDevice, line: string): Promise<void> {
    const oks = () => device.lines().filter(l => l.startsWith("ok ") && l !== "ok hello").length
    const before = oks()
    await device.write(`${line}\n`)
    await waitFor(() => oks() > before, {
        what: `the gateway's ok for ${line}`,
        timeoutMs: 10000,
        intervalMs: 5,
    })
}

brokerTest(
    "node A stops: the device and the gateway are online on node B within 1.5 × keep-alive plus one backoff cap, nothing queued is lost",
    async t => {
        const dir = tempDir(t)
        const { a, b } = await startBridgedPair()
        t.teardown(() => a.stop())
        t.teardown(() => b.stop())

        const seen: { topic: string; text: string; at: number }[] = []
        const watcher = await mqtt.connectAsync(b.url, {
            clientId: `failover-watch-${process.pid}`,
            reconnectPeriod: 0,
        })
        t.teardown(() => watcher.endAsync(true))
        watcher.on("message", (topic, payload) =>
            seen.push({ topic, text: payload.toString(), at: Date.now() }),
        )
        await watcher.subscribeAsync("fieldlink/#", { qos: 1 })

        const device = await startDevice(dir, "fo1")
        t.teardown(() => device.stop())
        const config = await testConfig(dir, a.url, [{ path: device.path, id: "fo1", acks: true }])
        config.broker = {
            urls: [a.url, b.url],
            keepaliveS: KEEPALIVE_S,
            reconnect: { baseMs: 100, capMs: CAP_MS },
        }
        const gateway = startGateway(t, writeConfig(dir, config))
        await gateway.waitForPorts(1)
        await sendAcked(device, '{"seq":1}')
        const telemetry = () =>
            seen
                .filter(m => m.topic === "fieldlink/devices/fo1/telemetry")
                .map(m => (JSON.parse(m.text) as { seq: number }).seq)
        await waitFor(() => telemetry().includes(1), {
            what: "seq 1 through A and the bridge",
            timeoutMs: 15000,
        })

        const stoppedAt = Date.now()
        await a.stop()
        for (let seq = 2; seq <= 4; seq++) await sendAcked(device, `{"seq":${seq}}`)
        const onlineOnB = (topic: string) => (m: { topic: string; text: string; at: number }) =>
            m.topic === topic && m.text === "online" && m.at > stoppedAt
        const device0 = await waitFor(() => seen.find(onlineOnB("fieldlink/devices/fo1/status")), {
            what: "fo1 online on B",
            timeoutMs: 30000,
        })
        const gateway0 = await waitFor(() => seen.find(onlineOnB("fieldlink/gateways/gw1/status")), {
            what: "gw1 online on B",
            timeoutMs: 30000,
        })
        const boundMs = KEEPALIVE_S * 1500 + CAP_MS
        t.log(
            `after A stopped: fo1 online on B in ${device0.at - stoppedAt} ms, gw1 in ${gateway0.at - stoppedAt} ms (bound ${boundMs} ms)`,
        )
        t.true(device0.at - stoppedAt <= boundMs, `fo1 took ${device0.at - stoppedAt} ms`)
        t.true(gateway0.at - stoppedAt <= boundMs, `gw1 took ${gateway0.at - stoppedAt} ms`)

        await waitFor(() => [2, 3, 4].every(s => telemetry().includes(s)), {
            what: "the lines queued during the move",
            timeoutMs: 15000,
        })
        t.deepEqual([...new Set(telemetry())].sort(), [1, 2, 3, 4])
        await gateway.waitForLog(
            l =>
                String(l.msg).startsWith("connected to the broker") &&
                String(l.broker ?? "").includes(`:${b.port}`),
            5000,
        )
        t.log(
            `published on B after the stop: ${[...new Set(seen.filter(m => m.at > stoppedAt).map(m => m.topic))].join(", ")}`,
        )
    },
)
