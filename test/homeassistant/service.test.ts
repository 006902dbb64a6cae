// Home Assistant discovery as a service, against a real mosquitto and a simulated board
// running the real firmware: what lands on the broker (seen by mosquitto_sub), retained,
// valid by Home Assistant's rules, announced again on its birth, removed when forgotten.
import test from "ava"
import mqtt from "mqtt"
import { HomeAssistantDiscovery } from "../../homeassistant/service.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startWitness, type WitnessMessage } from "../support/witness.js"
import { startTestBoard } from "../support/firmware.js"
import { waitFor } from "../support/wait.js"
import { discoveryProblems } from "./ha-schema.js"

const PREFIX = "ha-test"
const NODE = "fieldlink_device_ha-1"
const EXPECTED = [
    `${PREFIX}/sensor/${NODE}/temperature_c/config`,
    `${PREFIX}/sensor/${NODE}/humidity_pct/config`,
    `${PREFIX}/sensor/${NODE}/uptime_s/config`,
    `${PREFIX}/number/${NODE}/interval/config`,
    `${PREFIX}/button/${NODE}/restart/config`,
]

const available = mosquittoAvailable()
if (available.ok) {
    test("a board is announced, retained and valid; again on Home Assistant's birth; removed when forgotten, even by a later run", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const client = await mqtt.connectAsync(m.url, { clientId: "ha-service-1", reconnectPeriod: 0 })
        t.teardown(() => client.endAsync())
        const ha = new HomeAssistantDiscovery({
            client,
            topicRoot: "fieldlink",
            prefix: PREFIX,
            version: "9.9.9",
            log: l => t.log(l),
        })
        await ha.start()
        const w = await startWitness(m.url, `${PREFIX}/#`)
        t.teardown(() => w.stop())
        const board = await startTestBoard(t, { broker: m.url, deviceId: "ha-1", intervalMs: 500 })
        const seen = (from: number) => (topic: string) =>
            w.waitFor(x => x.topic === topic && x.text !== "", 15000, from)
        const configs = await Promise.all(EXPECTED.map(seen(0)))
        for (const c of configs) t.deepEqual(discoveryProblems(PREFIX, c.topic, c.text), [], c.topic)
        const temperature = JSON.parse(configs[0].text)
        t.like(temperature, {
            device_class: "temperature",
            unit_of_measurement: "°C",
            state_class: "measurement",
            state_topic: "fieldlink/devices/ha-1/telemetry",
            availability_topic: "fieldlink/devices/ha-1/status",
        })
        t.like(temperature.device, { identifiers: [NODE], name: "ha-1", model: "sim", sw_version: "0.1.0" })

        // Retained: a subscriber that comes later gets them from the broker (its probe proves it has all of them).
        const late = await startWitness(m.url, `${PREFIX}/+/+/+/config`)
        t.teardown(() => late.stop())
        const stored = late.messages().filter((x: WitnessMessage) => x.retain && x.text !== "")
        t.deepEqual(stored.map(x => x.topic).sort(), [...EXPECTED].sort())

        // Home Assistant's birth: everything once more.
        const mark = w.messages().length
        await client.publishAsync(`${PREFIX}/status`, "online")
        await Promise.all(EXPECTED.map(seen(mark)))

        // A later run that never saw the board's telemetry still removes all its configs.
        await ha.stop()
        await board.board.stop()
        const client2 = await mqtt.connectAsync(m.url, { clientId: "ha-service-2", reconnectPeriod: 0 })
        t.teardown(() => client2.endAsync())
        const ha2 = new HomeAssistantDiscovery({
            client: client2,
            topicRoot: "fieldlink",
            prefix: PREFIX,
            version: "9.9.9",
            log: l => t.log(l),
        })
        await ha2.start()
        const forgetMark = w.messages().length
        await client2.publishAsync("fieldlink/devices/ha-1/info", "", { retain: true, qos: 1 })
        await Promise.all(
            EXPECTED.map(topic => w.waitFor(x => x.topic === topic && x.text === "", 10000, forgetMark)),
        )
        const after = await startWitness(m.url, `${PREFIX}/+/+/+/config`)
        t.teardown(() => after.stop())
        t.deepEqual(
            after.messages().map(x => x.topic),
            [],
            "no config is left on the broker",
        )
        await ha2.stop()
    })

    test("readings a device starts sending later are announced when they first appear; bad info is refused with a log line", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const client = await mqtt.connectAsync(m.url, { clientId: "ha-service", reconnectPeriod: 0 })
        t.teardown(() => client.endAsync())
        const logs: string[] = []
        const ha = new HomeAssistantDiscovery({
            client,
            topicRoot: "site/a",
            prefix: PREFIX,
            version: "1",
            log: l => logs.push(l),
        })
        await ha.start()
        const w = await startWitness(m.url, `${PREFIX}/#`)
        t.teardown(() => w.stop())
        // A user's own device, as its gateway or firmware would publish it.
        await client.publishAsync("site/a/devices/bad/info", "not json", { retain: true })
        await client.publishAsync(
            "site/a/devices/own-1/info",
            JSON.stringify({ id: "own-1", fw: "3.1", board: "esp32", transport: "serial", gateway: "gw-9" }),
            { retain: true },
        )
        await client.publishAsync("site/a/devices/own-1/telemetry", '{"seq":1,"co2_ppm":640}')
        const co2 = await w.waitFor(
            x => x.topic === `${PREFIX}/sensor/site_a_device_own-1/co2_ppm/config`,
            5000,
        )
        t.like(JSON.parse(co2.text), {
            device_class: "carbon_dioxide",
            unit_of_measurement: "ppm",
            device: { via_device: "site_a_gateway_gw-9" },
        })
        await client.publishAsync("site/a/devices/own-1/telemetry", '{"seq":2,"co2_ppm":650,"light_lx":120}')
        const lx = await w.waitFor(
            x => x.topic === `${PREFIX}/sensor/site_a_device_own-1/light_lx/config`,
            5000,
        )
        t.deepEqual(discoveryProblems(PREFIX, lx.topic, lx.text), [])
        await client.publishAsync("site/a/gateways/gw-9/status", "online", { retain: true })
        await w.waitFor(x => x.topic === `${PREFIX}/sensor/site_a_gateway_gw-9/queued/config`, 5000)
        await waitFor(() => logs.some(l => /bad: info is not JSON, not announced/.test(l)), {
            what: "the log line about bad info",
        })
        t.false(
            w.messages().some(x => x.topic.includes("_device_bad/")),
            "nothing announced for the bad device",
        )
        t.is(
            w.messages().filter(x => x.topic.endsWith("/co2_ppm/config")).length,
            1,
            "a reading is announced once, not per sample",
        )
        // New firmware: its info changes, and every config says the new version.
        const mark = w.messages().length
        await client.publishAsync(
            "site/a/devices/own-1/info",
            JSON.stringify({ id: "own-1", fw: "3.2", board: "esp32", transport: "serial", gateway: "gw-9" }),
            { retain: true },
        )
        for (const key of ["co2_ppm", "light_lx"]) {
            const again = await w.waitFor(
                x => x.topic === `${PREFIX}/sensor/site_a_device_own-1/${key}/config`,
                5000,
                mark,
            )
            t.is(JSON.parse(again.text).device.sw_version, "3.2", key)
        }
        await ha.stop()
    })
} else {
    test("home assistant service tests (skipped: " + available.reason + ")", t => t.pass())
}
