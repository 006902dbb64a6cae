/**
 * Bench only, for bytecode size: the size-none.ts app with `@devicescript/net`'s
 * MQTTClient doing the publishing, subscribed to commands as the firmware is.
 */
import * as ds from "@devicescript/core"
import { startMQTTClient } from "@devicescript/net"
import { readSetting } from "@devicescript/settings"

const host = await readSetting("mqtt_host", "127.0.0.1")
const port = await readSetting("mqtt_port", 1883)
const client = await startMQTTClient({
    host: host,
    port: port,
    proto: "tcp",
    clientId: "fieldlink-b1",
    keepAlive: 60,
    will: { topic: "fieldlink/devices/b1/status", message: "offline", qos: 1, retain: true },
})
await client.subscribe("fieldlink/devices/b1/cmd/#", msg => console.log(msg.topic))
while (true) {
    await client.publish("fieldlink/devices/b1/telemetry", '{"seq":1,"uptime_s":0}')
    await ds.sleep(10000)
}
