// `fieldlink sim --broker A --broker B`: its live view and dashboard watch the fleet over
// one MQTT connection. When node A stops, that connection must move to B, as the boards
// and the gateway do, or the view freezes on a fleet that is alive. Two real mosquittos,
// B bridged to A on the topic root.
import test from "ava"
import mqtt from "mqtt"
import { startMonitor, type DeviceEvent } from "../../sim/monitor.js"
import { mosquittoAvailable, startBridgedPair } from "../support/mosquitto.js"
import { waitFor } from "../support/wait.js"

const available = mosquittoAvailable()
const brokerTest = available.ok ? test : test.skip
if (!available.ok) test("monitor failover test is skipped here", t => t.pass(available.reason))

brokerTest("the live view's connection moves to node B when node A stops, and shows B's traffic", async t => {
    const { a, b } = await startBridgedPair()
    t.teardown(() => a.stop())
    t.teardown(() => b.stop())
    const events: DeviceEvent[] = []
    const monitor = await startMonitor([new URL(a.url), new URL(b.url)], "fieldlink", e => events.push(e))
    t.teardown(() => monitor.endAsync(true))
    const port = () => (monitor.stream as unknown as { remotePort?: number }).remotePort
    t.is(port(), a.port, "starts on the first node")

    const publisher = await mqtt.connectAsync(b.url, { clientId: `monitor-fo-pub-${process.pid}` })
    t.teardown(() => publisher.endAsync(true))
    // QoS 0 on a bridge may drop a sample while it (re)connects: publish until one arrives.
    const sampleReaches = (seq: number, what: string) =>
        waitFor(
            async () => {
                await publisher.publishAsync("fieldlink/devices/mf-1/telemetry", `{"seq":${seq}}`)
                return events.some(e => e.deviceId === "mf-1" && e.text === `{"seq":${seq}}`)
            },
            { what, timeoutMs: 10000, intervalMs: 200 },
        )
    await sampleReaches(1, "a sample published on B to reach the monitor on A through the bridge")

    await a.stop()
    await waitFor(() => monitor.connected && port() === b.port, {
        what: "the monitor to reconnect on node B",
        timeoutMs: 10000,
    })
    await sampleReaches(2, "a sample published on B after A stopped to reach the monitor")
})
