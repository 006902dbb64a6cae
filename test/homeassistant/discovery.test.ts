// Home Assistant discovery payloads (pure): every one checked against the rules read from
// Home Assistant's source (ha-schema.ts), and the unit suffixes of DESIGN §7.
import test from "ava"
import { classifyReading, readingName, readingsOf } from "../../homeassistant/readings.js"
import {
    commandConfigs,
    deviceNode,
    gatewayConfigs,
    readingConfigs,
    removals,
    type DiscoveryMessage,
} from "../../homeassistant/discovery.js"
import { discoveryProblems } from "./ha-schema.js"

const ctx = { prefix: "homeassistant", topicRoot: "fieldlink", version: "0.1.0" }
const wifiInfo = {
    id: "sim-1",
    fw: "0.1.0",
    board: "sim",
    transport: "sim",
    interval_ms: 5000,
    keepalive_s: 60,
}
const serialInfo = {
    id: "meter-1",
    fw: "1.2",
    board: "arduino-uno",
    transport: "serial",
    gateway: "gw-sim",
    port: "/dev/pts/4",
    live_s: 5,
}
const sample =
    '{"seq":12,"temperature_c":21.5,"humidity_pct":40.1,"pressure_hpa":1013.2,"light_lx":300,"battery_v":3.7,"co2_ppm":612,"uptime_s":120,"rssi":-61,"age_ms":40,"dropped":2,"note":"hi","bad key":1,"nan_c":null}'

function everyMessage(): DiscoveryMessage[] {
    return [
        ...readingConfigs(ctx, "sim-1", wifiInfo, readingsOf(sample)),
        ...commandConfigs(ctx, "sim-1", wifiInfo),
        ...readingConfigs(ctx, "meter-1", serialInfo, readingsOf('{"seq":1,"temperature_c":22}')),
        ...commandConfigs(ctx, "meter-1", serialInfo),
        ...gatewayConfigs(ctx, "gw-sim"),
    ]
}

test("every payload fieldlink emits passes Home Assistant's discovery rules", t => {
    const messages = everyMessage()
    t.is(
        messages.length,
        8 + 2 + 1 + 2,
        "8 readings and 2 commands of sim-1, 1 reading of meter-1, 2 gateway sensors",
    )
    for (const m of messages) t.deepEqual(discoveryProblems(ctx.prefix, m.topic, m.payload), [], m.topic)
    for (const m of removals(messages))
        t.deepEqual(discoveryProblems(ctx.prefix, m.topic, m.payload), [], m.topic)
})

test("the validator is not a rubber stamp: it names each broken rule", t => {
    const [good] = readingConfigs(ctx, "sim-1", wifiInfo, readingsOf('{"temperature_c":1}'))
    const broken = (change: (c: Record<string, unknown>) => void) => {
        const c = JSON.parse(good.payload)
        change(c)
        return discoveryProblems(ctx.prefix, good.topic, JSON.stringify(c))
    }
    t.regex(
        broken(c => (c.unit_of_measurement = "C")).join(),
        /unit of measurement `C` is not valid together with device class `temperature`/,
    )
    t.regex(
        broken(c => (c.state_class = "measurment")).join(),
        /state_class measurment is not a SensorStateClass/,
    )
    t.regex(broken(c => (c.device_class = "temp")).join(), /device_class temp is not a SensorDeviceClass/)
    t.regex(broken(c => delete c.state_topic).join(), /state_topic is required/)
    t.regex(
        broken(c => ((c.device as Record<string, unknown>).identifiers = [])).join(),
        /at least one identifying value/,
    )
    t.regex(broken(c => (c.unit_of_measure = "°C")).join(), /unknown key unit_of_measure/)
    t.regex(
        discoveryProblems("homeassistant", "homeassistant/sensor/a.b/x/config", good.payload).join(),
        /does not match/,
    )
    t.regex(
        discoveryProblems("homeassistant", "homeassistant/gauge/n/x/config", good.payload).join(),
        /component gauge is not one/,
    )
})

test("unit suffixes give the unit, device class and state class (DESIGN §7)", t => {
    const r = readingsOf(sample)
    t.deepEqual(r.get("temperature_c"), { deviceClass: "temperature", unit: "°C", stateClass: "measurement" })
    t.deepEqual(r.get("humidity_pct"), { deviceClass: "humidity", unit: "%", stateClass: "measurement" })
    t.deepEqual(r.get("pressure_hpa"), { deviceClass: "pressure", unit: "hPa", stateClass: "measurement" })
    t.deepEqual(r.get("light_lx"), { deviceClass: "illuminance", unit: "lx", stateClass: "measurement" })
    t.deepEqual(r.get("battery_v"), { deviceClass: "voltage", unit: "V", stateClass: "measurement" })
    t.deepEqual(r.get("co2_ppm"), { deviceClass: "carbon_dioxide", unit: "ppm", stateClass: "measurement" })
    t.deepEqual(r.get("uptime_s"), {
        deviceClass: "duration",
        unit: "s",
        stateClass: "measurement",
        diagnostic: true,
    })
    t.deepEqual(
        r.get("rssi"),
        { stateClass: "measurement" },
        "a number without a known suffix is a plain number",
    )
    t.deepEqual(
        classifyReading("soil_pct", 30),
        { unit: "%", stateClass: "measurement" },
        "% without a class unless the key says humidity",
    )
    for (const key of ["seq", "age_ms", "dropped", "note", "bad key", "nan_c"]) t.false(r.has(key), key)
    t.is(readingName("temperature_c"), "Temperature")
    t.is(readingName("soil_moisture_pct"), "Soil moisture")
    t.is(readingName("rssi"), "Rssi")
})

test("a WiFi board's sensor: device block, availability on its status, value from the telemetry JSON", t => {
    const [m] = readingConfigs(ctx, "sim-1", wifiInfo, readingsOf('{"temperature_c":21.5}'))
    t.is(m.topic, "homeassistant/sensor/fieldlink_device_sim-1/temperature_c/config")
    t.deepEqual(JSON.parse(m.payload), {
        name: "Temperature",
        unique_id: "fieldlink_device_sim-1_temperature_c",
        state_topic: "fieldlink/devices/sim-1/telemetry",
        value_template: "{{ value_json.temperature_c }}",
        device_class: "temperature",
        unit_of_measurement: "°C",
        state_class: "measurement",
        availability_topic: "fieldlink/devices/sim-1/status",
        payload_available: "online",
        payload_not_available: "offline",
        device: {
            identifiers: ["fieldlink_device_sim-1"],
            name: "sim-1",
            manufacturer: "fieldlink",
            model: "sim",
            sw_version: "0.1.0",
        },
        origin: { name: "fieldlink", sw_version: "0.1.0" },
    })
})

test("a serial device names its gateway as via_device, and the gateway is a device with that identifier", t => {
    const [m] = readingConfigs(ctx, "meter-1", serialInfo, readingsOf('{"temperature_c":22}'))
    const device = JSON.parse(m.payload).device
    t.is(device.via_device, "fieldlink_gateway_gw-sim")
    t.is(device.model, "arduino-uno")
    const gw = gatewayConfigs(ctx, "gw-sim").map(g => JSON.parse(g.payload))
    for (const g of gw) t.deepEqual(g.device.identifiers, ["fieldlink_gateway_gw-sim"])
    t.deepEqual(
        gw.map(g => g.availability_topic),
        ["fieldlink/gateways/gw-sim/status", "fieldlink/gateways/gw-sim/status"],
    )
    t.deepEqual(
        commandConfigs(ctx, "meter-1", serialInfo),
        [],
        "a device that does not say interval_ms gets no command entities",
    )
})

test("cmd/interval is a number entity, cmd/restart a button, for a board running the firmware", t => {
    const [interval, restart] = commandConfigs(ctx, "sim-1", wifiInfo)
    t.is(interval.topic, "homeassistant/number/fieldlink_device_sim-1/interval/config")
    const n = JSON.parse(interval.payload)
    t.is(n.command_topic, "fieldlink/devices/sim-1/cmd/interval")
    t.deepEqual(
        [n.min, n.max, n.unit_of_measurement],
        [100, 86400000, "ms"],
        "the firmware's own bounds (docs/firmware.md)",
    )
    t.is(restart.topic, "homeassistant/button/fieldlink_device_sim-1/restart/config")
    t.is(JSON.parse(restart.payload).command_topic, "fieldlink/devices/sim-1/cmd/restart")
})

test("unique ids and topics depend only on prefix, topic root, id and key: stable across restarts", t => {
    t.deepEqual(everyMessage(), everyMessage())
    const other = readingConfigs(
        { ...ctx, prefix: "ha", topicRoot: "site-a/fieldlink" },
        "sim-1",
        wifiInfo,
        readingsOf('{"temperature_c":1}'),
    )[0]
    t.is(other.topic, "ha/sensor/site-a_fieldlink_device_sim-1/temperature_c/config")
    t.deepEqual(discoveryProblems("ha", other.topic, other.payload), [])
    t.is(deviceNode("fieldlink", "x"), "fieldlink_device_x")
})

test("info fields that are not strings are left out rather than sent wrong", t => {
    const [m] = readingConfigs(
        ctx,
        "odd",
        { fw: 3, board: { x: 1 }, gateway: "" },
        readingsOf('{"temperature_c":1}'),
    )
    t.deepEqual(JSON.parse(m.payload).device, {
        identifiers: ["fieldlink_device_odd"],
        name: "odd",
        manufacturer: "fieldlink",
    })
    t.deepEqual(discoveryProblems(ctx.prefix, m.topic, m.payload), [])
})
