/**
 * Bench only, for bytecode size: the size-none.ts app with fieldlink's own MQTT client
 * (protocol/mqtt + firmware/src/mqtt + the core modules it needs) doing the publishing.
 */
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { DEFAULT_BACKOFF } from "@fieldlink/protocol/backoff"
import { MqttClient } from "../src/mqtt/client.js"

const host = await readSetting("mqtt_host", "127.0.0.1")
const port = await readSetting("mqtt_port", 1883)
const client = new MqttClient(
    {
        brokers: [{ host: host, port: port }],
        tls: false,
        clientId: "fieldlink-b1",
        keepAliveSeconds: 60,
        statusTopic: "fieldlink/devices/b1/status",
        birthPayload: "online",
        willPayload: "offline",
        subscriptions: ["fieldlink/devices/b1/cmd/#"],
        backoff: DEFAULT_BACKOFF,
        connectTimeoutMs: 10000,
        maxPacketSize: 2048,
        random: Math.random,
    },
    {
        online: async () => {},
        message: async (topic: string) => console.log(topic),
        log: (line: string) => console.log(line),
    },
)
client.start()
while (true) {
    await client.publish("fieldlink/devices/b1/telemetry", '{"seq":1,"uptime_s":0}', false)
    await ds.sleep(10000)
}
