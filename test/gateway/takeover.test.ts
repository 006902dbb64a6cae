// Two gateways with one id against a real mosquitto: each takes the other's MQTT client id
// over. Both must say so (the likely cause and the fix), count it, and wait at the backoff
// cap instead of fighting; with MQTT 5 the broker's reason (0x8E) is reported.
import test, { type ExecutionContext } from "ava"
import os from "node:os"
import { mosquittoAvailable, startMosquitto, type Mosquitto } from "../support/mosquitto.js"
import { mqttWitness } from "../support/witness.js"
import { startProxy } from "../support/proxy.js"
import { sleep, waitFor } from "../support/wait.js"
import {
    startGateway,
    tempDir,
    testConfig,
    writeConfig,
    type LogLine,
    type RunningGateway,
} from "./harness.js"
import { configFromObject } from "../../gateway/config/load.js"
import { genericIdWarning } from "../../gateway/config/generic-id.js"
import { gatewayCommand } from "../../gateway/command.js"
import { socatAvailable, startDevice } from "../support/pty.js"

const available = mosquittoAvailable()
const CAP_MS = 4000

async function twoGateways(
    t: ExecutionContext,
    m: Mosquitto,
    protocolVersion: 4 | 5,
): Promise<RunningGateway[]> {
    const gateways: RunningGateway[] = []
    for (const name of ["a", "b"]) {
        const dir = tempDir(t, `fieldlink-twin-${name}-`)
        const config = await testConfig(dir, m.url, [{ path: `${dir}/no-such-port` }])
        const broker = config.broker as Record<string, unknown>
        Object.assign(broker, { protocolVersion, reconnect: { baseMs: 100, capMs: CAP_MS } })
        gateways.push(startGateway(t, writeConfig(dir, config)))
    }
    return gateways
}

const isTakeover = (l: LogLine) => l.reason === "takeover" && l.client === "gateway"
const connectsOf = (m: Mosquitto, from: number) =>
    m
        .logLines()
        .slice(from)
        .filter(l => /New client connected .* as fieldlink-gateway\.gw1 /.test(l)).length

if (!available.ok) {
    test("gateway takeover (skipped: " + available.reason + ")", t => t.pass())
} else {
    test("two gateways with one id: both log the collision within 30 s, count it, and settle at the backoff cap", async t => {
        const m = await startMosquitto({})
        t.teardown(() => m.stop())
        const stats = await mqttWitness(m.url, "fieldlink/gateways/gw1/stats")
        t.teardown(() => stats.stop())
        const started = Date.now()
        const [a, b] = await twoGateways(t, m, 4)
        const said = await Promise.all([a, b].map(g => g.waitForLog(isTakeover, 30000)))
        t.log(`both said so after ${Date.now() - started} ms`)
        for (const line of said) {
            t.is(line.level, 50, "an error")
            t.regex(
                line.msg,
                /^another client is using the id `fieldlink-gateway\.gw1`: two gateways with gateway id `gw1`\? set `gateway\.id` \/ `--id` \(/,
            )
            t.regex(line.msg, /retrying every 2-4 s instead of fighting over it$/)
        }
        // At the cap each reconnects every 2-4 s: at most 2 × (8 / 2 + 1) in 8 s. A fight
        // without backoff runs to hundreds.
        const mark = m.mark()
        await sleep(8000)
        const connects = connectsOf(m, mark)
        t.log(`${connects} connections of fieldlink-gateway.gw1 in 8 s at the cap`)
        t.true(connects <= 10, `${connects} connections in 8 s`)
        for (const g of [a, b]) {
            const port = await waitFor(() => g.httpPort, { what: "the HTTP port", timeoutMs: 20000 })
            const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
            t.regex(metrics, /fieldlink_gateway_upstream_takeovers_total\{client="gateway"\} [1-9]/)
        }
        const counted = await stats.waitFor(x => JSON.parse(x.text).upstream_takeovers >= 1, 15000)
        t.true(JSON.parse(counted.text).totals.takeovers >= 1, "in the totals too")
    })

    test("one device id on two gateways: both gateways log the device's collision and settle at the cap", async t => {
        if (!socatAvailable().ok) return t.pass("socat is not installed")
        const m = await startMosquitto({})
        t.teardown(() => m.stop())
        const gateways: RunningGateway[] = []
        for (const name of ["ga", "gb"]) {
            const dir = tempDir(t, `fieldlink-twin-dev-${name}-`)
            const device = await startDevice(dir, "ttyTWIN")
            t.teardown(() => device.stop())
            const config = await testConfig(dir, m.url, [{ path: device.path }], { gateway: { id: name } })
            Object.assign(config.broker as Record<string, unknown>, {
                reconnect: { baseMs: 100, capMs: CAP_MS },
            })
            const g = startGateway(t, writeConfig(dir, config))
            await g.waitForPorts(1)
            await device.write("hello id=twin live=120\n")
            await device.waitForLine(l => l === "ok hello")
            gateways.push(g)
        }
        const said = await Promise.all(
            gateways.map(g => g.waitForLog(l => l.reason === "takeover" && l.client === "twin", 30000)),
        )
        for (const line of said)
            t.regex(
                line.msg,
                /^another client is using the id `fieldlink-twin`: the device `twin` on two gateways, or a board with device id `twin` also on WiFi\? give each device its own id \(.*\); retrying every 2-4 s/,
            )
        const mark = m.mark()
        await sleep(8000)
        const connects = m
            .logLines()
            .slice(mark)
            .filter(l => /New client connected .* as fieldlink-twin /.test(l)).length
        t.true(connects <= 10, `${connects} connections of fieldlink-twin in 8 s at the cap`)
        t.false(
            gateways.some(g => g.logs().some(l => l.reason === "takeover" && l.client === "gateway")),
            "the gateways' own ids are apart",
        )
    })

    test("MQTT 5, two gateways with one id: the collision is still detected (mosquitto 2.0 closes without a reason)", async t => {
        const m = await startMosquitto({})
        t.teardown(() => m.stop())
        const gateways = await twoGateways(t, m, 5)
        const said = await Promise.all(gateways.map(g => g.waitForLog(isTakeover, 30000)))
        // mosquitto 2.0.11 closes the old connection without DISCONNECT 0x8E; a later one may send it.
        t.log(said.map(l => l.disconnectReason ?? "no DISCONNECT reason from this mosquitto").join(", "))
        for (const line of said) t.regex(line.msg, /^another client is using the id `fieldlink-gateway\.gw1`/)
    })

    test("MQTT 5: a DISCONNECT with reason 0x8E (session taken over) is reported at once", async t => {
        // The proxy plays a broker that says why it closes: DISCONNECT 0x8E, then FIN.
        const m = await startMosquitto({})
        t.teardown(() => m.stop())
        const proxy = await startProxy({ targetPort: m.port })
        t.teardown(() => proxy.close())
        const dir = tempDir(t)
        const config = await testConfig(dir, proxy.url, [{ path: `${dir}/no-such-port` }])
        Object.assign(config.broker as Record<string, unknown>, {
            protocolVersion: 5,
            reconnect: { baseMs: 100, capMs: CAP_MS },
        })
        const g = startGateway(t, writeConfig(dir, config))
        await g.waitForLog(l => l.msg === "gateway online", 30000)
        proxy.inject("down", Buffer.from([0xe0, 0x02, 0x8e, 0x00])) // DISCONNECT, reason 0x8E, no properties
        proxy.end()
        const said = await g.waitForLog(isTakeover, 10000)
        t.is(said.disconnectReason, "0x8E")
        t.regex(
            said.msg,
            /\(the broker says: session taken over \(MQTT 5 DISCONNECT reason 0x8E\)\); retrying every 2-4 s/,
        )
    })
}

test("a default gateway id from a generic host name is warned about; a chosen one is not", t => {
    const raw = (gateway: Record<string, unknown>) => ({
        gateway,
        broker: { url: "mqtt://127.0.0.1:1883" },
        ports: [{ path: "/dev/ttyUSB0" }],
    })
    const context = { baseDir: "/", env: {}, hostname: "raspberrypi" }
    const defaulted = configFromObject(raw({}), "test", context)
    t.is(defaulted.id, "raspberrypi")
    t.regex(
        genericIdWarning(defaulted.id, defaulted.idFromHostName) ?? "",
        /^the gateway id `raspberrypi` comes from this machine's host name, which many machines share: .* Set a unique id with --id or gateway\.id/,
    )
    const chosen = configFromObject(raw({ id: "raspberrypi" }), "test", context)
    t.is(genericIdWarning(chosen.id, chosen.idFromHostName), undefined, "set on purpose")
    const own = configFromObject(raw({}), "test", { ...context, hostname: "greenhouse-pi" })
    t.is(genericIdWarning(own.id, own.idFromHostName), undefined)
    for (const name of ["localhost", "ubuntu", "debian", "DietPi"])
        t.truthy(genericIdWarning(name, true), name)
})

test.serial("--check prints the generic host name warning (os.hostname replaced: a mock)", async t => {
    const dir = tempDir(t)
    const file = writeConfig(dir, {
        broker: { url: "mqtt://127.0.0.1:1883" },
        ports: [{ path: "/dev/ttyUSB0" }],
    })
    const real = os.hostname
    const printed: string[] = []
    const log = console.log
    os.hostname = () => "raspberrypi"
    console.log = (...args: unknown[]) => printed.push(args.join(" "))
    t.teardown(() => {
        os.hostname = real
        console.log = log
    })
    t.is(await gatewayCommand(["--config", file, "--check"]), 0)
    os.hostname = real
    console.log = log
    t.regex(printed.join("\n"), /gateway raspberrypi: configuration is valid/)
    t.regex(printed.join("\n"), /warning: the gateway id `raspberrypi` comes from this machine's host name/)
})
