/**
 * The baseline of the benchmark: the smallest serial-to-MQTT line bridge one would
 * write with serialport and mqtt.js — one readline parser per port, one MQTT connection,
 * each line published as is to <root>/devices/<port name>/telemetry at QoS 1. No
 * protocol, no wills per device, no disk queue (mqtt.js keeps unsent QoS 1 messages in
 * memory while it reconnects every second).
 *
 *   node --import tsx bench/gateway/bare-bridge.ts mqtt://127.0.0.1:1883 /dev/ttyUSB0 [...]
 */
import path from "node:path"
import mqtt from "mqtt"
import { ReadlineParser, SerialPort } from "serialport"

const [url, ...ports] = process.argv.slice(2)
const client = mqtt.connect(url, { clientId: `bare-bridge-${process.pid}`, reconnectPeriod: 1000 })
const opened: SerialPort[] = []
for (const p of ports) {
    const port = new SerialPort({ path: p, baudRate: 115200 })
    const topic = `fieldlink/devices/${path.basename(p)}/telemetry`
    port.pipe(new ReadlineParser({ delimiter: "\n" })).on("data", (line: string) =>
        client.publish(topic, line.replace(/\r$/, ""), { qos: 1 }),
    )
    port.on("error", e => console.error(`${p}: ${e.message}`))
    opened.push(port)
}
client.on("connect", () => console.log("bridge connected"))
process.on("SIGTERM", () => {
    for (const p of opened) p.close()
    client.end(false, () => process.exit(0))
})
