// A simulated board's settings from the simulator's broker URLs: one node as mqtt_host and
// mqtt_port, as always; several as the firmware's list, checked by the firmware's own rules.
import test from "ava"
import { resolveConfig, type RawSetting } from "../../protocol/settings.js"
import { simBoardSettings } from "../../sim/board-settings.js"

const base = { deviceId: "s-1", topicRoot: "fieldlink", keepAliveSeconds: 4, intervalMs: 1000 }

test("one broker: mqtt_host and mqtt_port, as before lists existed", t => {
    const s = simBoardSettings({ ...base, broker: new URL("mqtt://10.0.0.2:1884") })
    t.like(s, { mqtt_host: "10.0.0.2", mqtt_port: 1884, mqtt_tls: false })
})

test("several nodes: mqtt_host lists each with its port, and the firmware reads them back in order", t => {
    const nodes = [new URL("mqtts://u:pw@node1:8884"), new URL("mqtts://node2")]
    const s = simBoardSettings({ ...base, broker: nodes[0], brokers: nodes })
    t.like(s, { mqtt_host: "node1:8884,node2:8883", mqtt_port: 8883, mqtt_tls: true, mqtt_user: "u" })
    const { config, errors } = resolveConfig(key => s[key] as RawSetting)
    t.deepEqual(errors, [])
    t.deepEqual(config.brokers, [
        { host: "node1", port: 8884 },
        { host: "node2", port: 8883 },
    ])
})
