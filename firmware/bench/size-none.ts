/**
 * Bench only, for bytecode size: the baseline. The same small app as size-ours.ts and
 * size-library.ts (settings, a socket, a sample every 10 s) without any MQTT client, so
 * that `size(client program) - size(this)` is what the client costs.
 */
import * as ds from "@devicescript/core"
import { connect } from "@devicescript/net"
import { readSetting } from "@devicescript/settings"

const host = await readSetting("mqtt_host", "127.0.0.1")
const port = await readSetting("mqtt_port", 1883)
const socket = await connect({ host: host, port: port, proto: "tcp" })
while (true) {
    await socket.send('fieldlink/devices/b1/telemetry {"seq":1,"uptime_s":0}')
    await ds.sleep(10000)
}
