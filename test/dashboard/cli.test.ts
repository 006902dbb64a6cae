// `fieldlink dashboard`, `fieldlink homeassistant` and the dashboard of `fieldlink sim`
// (what `npm start` runs) as a user starts them: separate processes, a real mosquitto.
import test from "ava"
import mqtt from "mqtt"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { runCli, startCli, type RunningCli } from "../support/cli.js"
import net from "node:net"
import { startWitness } from "../support/witness.js"
import { waitFor } from "../support/wait.js"
import { socatProblem } from "../../sim/serial/pty.js"
import { discoveryProblems } from "../homeassistant/ha-schema.js"

async function printedUrl(cli: RunningCli, label: RegExp): Promise<string> {
    const match = await waitFor(() => label.exec(cli.output()), {
        what: `the address in the output matching ${label}`,
        timeoutMs: 60000,
        intervalMs: 100,
    })
    return match[1]
}

interface Fleet {
    devices: { id: string; status: string; last: Record<string, unknown> | null }[]
}

const available = mosquittoAvailable()
if (available.ok) {
    test("fieldlink dashboard serves the fleet; discovery only with --ha; SIGTERM exits 0", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await startWitness(m.url, "homeassistant/#")
        t.teardown(() => w.stop())
        const pub = await mqtt.connectAsync(m.url, { clientId: "device-like", reconnectPeriod: 0 })
        t.teardown(() => pub.endAsync())
        await pub.publishAsync("fieldlink/devices/k-1/status", "online", { retain: true, qos: 1 })
        await pub.publishAsync(
            "fieldlink/devices/k-1/info",
            '{"id":"k-1","fw":"1","board":"b","transport":"wifi","interval_ms":1000}',
            { retain: true, qos: 1 },
        )

        const plain = startCli(["dashboard", "--broker", m.url, "--port", "0"])
        t.teardown(() => plain.child.kill("SIGKILL"))
        const url = await printedUrl(plain, /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/)
        await pub.publishAsync("fieldlink/devices/k-1/telemetry", '{"seq":1,"temperature_c":20}')
        const fleet = await waitFor(
            async () => {
                const f = (await (await fetch(`${url}api/fleet`)).json()) as Fleet
                return f.devices.find(d => d.id === "k-1" && d.last !== null) && f
            },
            { what: "k-1 with a sample in /api/fleet" },
        )
        t.like(fleet.devices[0], { id: "k-1", status: "online", last: { seq: 1, temperature_c: 20 } })
        t.deepEqual(w.messages(), [], "no Home Assistant discovery without --ha")
        plain.child.kill("SIGTERM")
        t.is(await plain.exited, 0)

        const withHa = startCli(["dashboard", "--broker", m.url, "--port", "0", "--ha"])
        t.teardown(() => withHa.child.kill("SIGKILL"))
        await printedUrl(withHa, /dashboard: (http:\/\/127\.0\.0\.1:\d+\/)/)
        await w.waitFor(x => x.topic === "homeassistant/number/fieldlink_device_k-1/interval/config", 10000)
        await pub.publishAsync("fieldlink/devices/k-1/telemetry", '{"seq":2,"temperature_c":20}')
        await w.waitFor(
            x => x.topic === "homeassistant/sensor/fieldlink_device_k-1/temperature_c/config",
            10000,
        )
        withHa.child.kill("SIGTERM")
        t.is(await withHa.exited, 0)
    })

    test("fieldlink homeassistant on its own, with another prefix", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await startWitness(m.url, "hass/#")
        t.teardown(() => w.stop())
        const pub = await mqtt.connectAsync(m.url, { clientId: "device-like", reconnectPeriod: 0 })
        t.teardown(() => pub.endAsync())
        await pub.publishAsync("fieldlink/gateways/gw-1/status", "online", { retain: true, qos: 1 })
        const ha = startCli(["homeassistant", "--broker", m.url, "--ha-prefix", "hass"])
        t.teardown(() => ha.child.kill("SIGKILL"))
        await w.waitFor(x => x.topic === "hass/sensor/fieldlink_gateway_gw-1/queued/config", 30000)
        ha.child.kill("SIGTERM")
        t.is(await ha.exited, 0)
    })

    test("fieldlink sim (npm start) serves the dashboard on 127.0.0.1 and prints its address", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const sim = startCli([
            "sim",
            "--boards",
            "1",
            "--serial",
            "0",
            "--broker",
            m.url,
            "--dashboard-port",
            "0",
            "--id-prefix",
            "npm",
            "--interval",
            "1000",
        ])
        t.teardown(() => sim.child.kill("SIGKILL"))
        const url = await printedUrl(sim, /dashboard (http:\/\/127\.0\.0\.1:\d+\/)/)
        await waitFor(
            async () => {
                const f = (await (await fetch(`${url}api/fleet`)).json()) as Fleet
                return f.devices.some(d => d.id === "npm-1" && d.status === "online")
            },
            { what: "npm-1 online on the dashboard", timeoutMs: 30000, intervalMs: 200 },
        )
        sim.child.kill("SIGTERM")
        t.is(await sim.exited, 0)
    })

    test("a taken port and an unreachable broker are said plainly", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const blocker = net.createServer()
        await new Promise<void>(resolve => blocker.listen(0, "127.0.0.1", () => resolve()))
        t.teardown(() => blocker.close())
        const port = (blocker.address() as net.AddressInfo).port
        const taken = await runCli(["dashboard", "--broker", m.url, "--port", String(port)])
        t.is(taken.code, 2)
        t.regex(taken.stderr, new RegExp(`port ${port} on 127.0.0.1 is taken; choose another with --port`))
        const away = await runCli(["dashboard", "--broker", "mqtt://127.0.0.1:1"])
        t.is(away.code, 1)
        t.regex(
            away.stderr,
            /cannot reach the broker at mqtt:\/\/127.0.0.1:1 \(connect ECONNREFUSED 127.0.0.1:1\); check --broker and that the broker is running/,
        )
    })

    const noSocat = socatProblem()
    ;(noSocat ? test.skip : test)(
        "npm start -- --ha: WiFi boards, serial devices and their gateway all reach Home Assistant, valid",
        async t => {
            const m = await startMosquitto()
            t.teardown(() => m.stop())
            const w = await startWitness(m.url, "homeassistant/#")
            t.teardown(() => w.stop())
            const sim = startCli([
                "sim",
                "--boards",
                "1",
                "--serial",
                "2",
                "--broker",
                m.url,
                "--dashboard-port",
                "0",
                "--interval",
                "1000",
                "--ha",
            ])
            t.teardown(() => sim.child.kill("SIGKILL"))
            const config = (node: string, object: string) =>
                w.waitFor(
                    x => x.topic === `homeassistant/sensor/${node}/${object}/config` && x.text !== "",
                    60000,
                )
            const wifi = await config("fieldlink_device_sim-1", "temperature_c")
            const serialFw = await config("fieldlink_device_serial-fw", "humidity_pct")
            const meter = await config("fieldlink_device_meter-1", "temperature_c")
            await config("fieldlink_gateway_gw-sim", "queued")
            t.is(JSON.parse(wifi.text).device.via_device, undefined)
            t.like(JSON.parse(serialFw.text), {
                device_class: "humidity",
                unit_of_measurement: "%",
                device: { via_device: "fieldlink_gateway_gw-sim" },
            })
            t.like(JSON.parse(meter.text), {
                device_class: "temperature",
                unit_of_measurement: "°C",
                availability_topic: "fieldlink/devices/meter-1/status",
                device: { via_device: "fieldlink_gateway_gw-sim" },
            })
            for (const x of w.messages())
                t.deepEqual(discoveryProblems("homeassistant", x.topic, x.text), [], x.topic)
            sim.child.kill("SIGTERM")
            t.is(await sim.exited, 0)
        },
    )
} else {
    test("dashboard command tests (skipped: " + available.reason + ")", t => t.pass())
}
