/**
 * Bench only: `@devicescript/net`'s MQTTClient (the library client) doing what the
 * fieldlink firmware does on the wire — the same telemetry sample, built by the same
 * code from the same sensor roles, on the same topic shape — so that the bench can put
 * the two clients' bytes side by side.
 *
 * Settings (the firmware's own keys where they mean the same): `mqtt_host`, `mqtt_port`,
 * `device_id`, `keepalive_s`, `interval_ms`, and `samples`: how many samples to publish
 * before going idle (the client stays connected, so its keep-alive can be watched).
 */
import * as ds from "@devicescript/core"
import { startMQTTClient } from "@devicescript/net"
import { readSetting } from "@devicescript/settings"
import { deviceTopic } from "@fieldlink/protocol/fieldlink-topics"
import { awaitSensors, readSensors } from "../src/app/sensors.js"
import { sampleJson } from "../src/core/sample.js"

const host = await readSetting("mqtt_host", "127.0.0.1")
const port = await readSetting("mqtt_port", 1883)
const id = await readSetting("device_id", "lib")
const keepAlive = await readSetting("keepalive_s", 60)
const intervalMs = await readSetting("interval_ms", 1000)
const samples = await readSetting("samples", 0)

const topic = deviceTopic("fieldlink", id, "telemetry")
const started = ds.millis()
// proto must be named: the library defaults to TLS.
const client = await startMQTTClient({
    host: host,
    port: port,
    proto: "tcp",
    clientId: "fieldlink-" + id,
    keepAlive: keepAlive,
})
console.log("bench: library client connected")
await awaitSensors(2000)
for (let seq = 1; seq <= samples; seq++) {
    const dueAt = ds.millis() + intervalMs
    const json = sampleJson(seq, await readSensors(), Math.floor((ds.millis() - started) / 1000))
    const sent = await client.publish(topic, json)
    if (!sent) console.log("bench: publish " + seq + " refused")
    const wait = dueAt - ds.millis()
    if (wait > 0) await ds.sleep(wait)
}
console.log("bench: library client idle after " + samples + " samples")
