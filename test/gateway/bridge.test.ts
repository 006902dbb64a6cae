// Several devices on pseudo-terminals through one gateway and a real mosquitto: births,
// info, telemetry, pub/pubr, JSON lines, hello ids and derived ids, cmd downlink,
// ping/pong, stats, health and metrics.
import test from "ava"
import { crc8Text, crcHex } from "../../protocol/serial/index.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startWitness, witnessAvailable } from "../support/witness.js"
import { mqttWitness } from "../support/witness.js"
import { waitFor } from "../support/wait.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"
import { socatAvailable, startDevice } from "../support/pty.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway bridge tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

brokerTest(
    "devices on PTYs: births, info, telemetry, pub/pubr, JSON, hello and derived ids, cmd, ping/pong",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const dir = tempDir(t)
        const [a, b, c] = await Promise.all([
            startDevice(dir, "ttyA"),
            startDevice(dir, "ttyB"),
            startDevice(dir, "ttyC"),
        ])
        t.teardown(() => Promise.all([a.stop(), b.stop(), c.stop()]))
        const witness = await startWitness(broker.url, "fieldlink/#")
        t.teardown(() => witness.stop())
        const config = await testConfig(dir, broker.url, [
            { path: a.path },
            { path: b.path, id: "configured-b" },
            { glob: `${dir}/ports/ttyC` },
        ])
        const gw = startGateway(t, writeConfig(dir, config))

        await witness.waitFor(m => m.topic === "fieldlink/gateways/gw1/status" && m.text === "online", 30000)
        await gw.waitForPorts(3)
        // A: says hello first.
        await a.write("hello id=kitchen fw=1.2.0 board=esp32c3 live=30\n")
        await a.waitForLine(l => l === "ok hello")
        await witness.waitFor(m => m.topic === "fieldlink/devices/kitchen/status" && m.text === "online")
        const info = await witness.waitFor(m => m.topic === "fieldlink/devices/kitchen/info")
        t.like(JSON.parse(info.text), {
            id: "kitchen",
            fw: "1.2.0",
            board: "esp32c3",
            transport: "serial",
            gateway: "gw1",
            port: a.path,
            live_s: 30,
        })
        await a.write('{"seq":1,"temperature_c":21.5}\n')
        t.is(
            (await witness.waitFor(m => m.topic === "fieldlink/devices/kitchen/telemetry")).text,
            '{"seq":1,"temperature_c":21.5}',
        )
        await a.write("pub env/co2 612\r\n")
        t.is((await witness.waitFor(m => m.topic === "fieldlink/devices/kitchen/env/co2")).text, "612")
        const retained = `pubr cfg/mode eco`
        await a.write(`${retained} *${crcHex(crc8Text(retained))}\n`)
        t.is((await witness.waitFor(m => m.topic === "fieldlink/devices/kitchen/cfg/mode")).text, "eco")
        await a.write("> ping\n")
        await a.waitForLine(l => l === "pong")

        // B: no hello, id from the config. C: no hello, id from the port name.
        await b.write("pub temp 19\n")
        t.is((await witness.waitFor(m => m.topic === "fieldlink/devices/configured-b/temp")).text, "19")
        await witness.waitFor(m => m.topic === "fieldlink/devices/configured-b/status" && m.text === "online")
        await c.write('{"seq":7}\n')
        t.is((await witness.waitFor(m => m.topic === "fieldlink/devices/ttyC/telemetry")).text, '{"seq":7}')

        // Commands down to the right device.
        const late = await mqttWitness(broker.url, "fieldlink/devices/kitchen/cfg/mode")
        t.teardown(() => late.stop())
        t.like(await late.waitFor(() => true), { text: "eco", retain: true })
        const { default: mqtt } = await import("mqtt")
        const commander = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
        t.teardown(() => commander.endAsync(true))
        await commander.publishAsync("fieldlink/devices/kitchen/cmd/interval", "5000", { qos: 1 })
        await commander.publishAsync("fieldlink/devices/ttyC/cmd/led/color", "red", { qos: 1 })
        await a.waitForLine(l => l === "cmd interval 5000")
        await c.waitForLine(l => l === "cmd led/color red")
        t.false(b.lines().some(l => l.startsWith("cmd")))

        // Stats on the broker, health and metrics over HTTP.
        const stats = JSON.parse(
            (
                await witness.waitFor(
                    m => m.topic === "fieldlink/gateways/gw1/stats" && JSON.parse(m.text).totals.lines >= 7,
                    15000,
                )
            ).text,
        )
        t.like(stats.ports[a.path], { open: true, device: "kitchen" })
        t.is(stats.devices.kitchen.online, true)
        await waitFor(() => gw.httpPort, { what: "the HTTP port in the log", timeoutMs: 20000 })
        const ready = await fetch(`http://127.0.0.1:${gw.httpPort}/readyz`)
        t.is(ready.status, 200)
        const metrics = await (await fetch(`http://127.0.0.1:${gw.httpPort}/metrics`)).text()
        t.regex(
            metrics,
            new RegExp(
                `fieldlink_gateway_port_lines_total\\{port="${a.path.replace(/[/.]/g, "\\$&")}",verb="json"\\} 1`,
            ),
        )
        t.regex(metrics, /fieldlink_gateway_upstream_connected\{client="kitchen"\} 1/)
        t.regex(metrics, /fieldlink_gateway_queue_depth\{device="kitchen"\} 0/)
        t.is(await gw.stop(), 0)
    },
)

brokerTest("MQTT 5, acks and required checksums on a port", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const dir = tempDir(t)
    const device = await startDevice(dir, "strict")
    t.teardown(() => device.stop())
    const witness = await startWitness(broker.url, "fieldlink/devices/#")
    t.teardown(() => witness.stop())
    const config = await testConfig(dir, broker.url, [
        { path: device.path, checksum: "required", acks: true },
    ])
    ;(config.broker as Record<string, unknown>).protocolVersion = 5
    const gw = startGateway(t, writeConfig(dir, config))
    await gw.waitForPorts(1)
    const signed = (s: string) => `${s} *${crcHex(crc8Text(s))}`
    await device.write("ping\n")
    t.is(
        await device.waitForLine(l => l.startsWith("err ")),
        signed('err no-checksum this port requires a " *XX" CRC-8/SMBUS checksum at the end of every line'),
    )
    await device.write(`${signed("hello id=strict5")}\n`)
    await device.waitForLine(l => l === signed("ok hello"))
    await device.write(`${signed('{"seq":1}')}\n`)
    await device.waitForLine(l => l === signed("ok json"))
    await device.write(`${signed("pubr mode eco")}\n`)
    await device.waitForLine(l => l === signed("ok pubr"))
    t.is((await witness.waitFor(m => m.topic === "fieldlink/devices/strict5/telemetry")).text, '{"seq":1}')
    t.regex(await broker.waitForLog(/New client connected .* as fieldlink-strict5 \(p5, c1, k5/), /p5/)
    const { default: mqtt } = await import("mqtt")
    const commander = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 })
    t.teardown(() => commander.endAsync(true))
    await commander.publishAsync("fieldlink/devices/strict5/cmd/restart", "")
    await device.waitForLine(l => l === signed("cmd restart"))
    // A command that cannot be one line is refused, not sent.
    await commander.publishAsync("fieldlink/devices/strict5/cmd/text", "two\nlines")
    await gw.waitForLog(
        l =>
            typeof l.msg === "string" &&
            l.msg.startsWith("command refused: command payload holds a line break"),
    )
    t.false(device.lines().some(l => l.includes("two")))
})
