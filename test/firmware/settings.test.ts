import test from "ava"
import {
    DEFAULT_CONFIG,
    parseIntervalMs,
    resolveConfig,
    SETTING_KEYS,
    type RawSetting,
} from "../../protocol/settings.js"

const from = (values: Record<string, RawSetting>) => resolveConfig(key => values[key])

test("settings: defaults when nothing is set", t => {
    const { config, errors } = from({})
    t.deepEqual(config, DEFAULT_CONFIG)
    t.deepEqual(errors, [])
})

test("settings: every key is at most 13 characters (@devicescript/settings MAX_KEY_SIZE)", t => {
    for (const key of Object.values(SETTING_KEYS)) t.true(key.length <= 13, key)
})

test("settings: values arrive as strings or numbers and are converted", t => {
    const { config, errors } = from({
        mqtt_host: "10.0.0.2",
        mqtt_port: "8883",
        mqtt_tls: "true",
        keepalive_s: 300,
        interval_ms: "2500",
        device_id: "kitchen-1",
        topic_root: "site/a",
    })
    t.deepEqual(errors, [])
    t.like(config, {
        brokerHost: "10.0.0.2",
        brokerPort: 8883,
        tls: true,
        keepAliveSeconds: 300,
        intervalMs: 2500,
        deviceId: "kitchen-1",
        topicRoot: "site/a",
    })
})

test("settings: each bad value is named, with what was found and what is expected, and its default applies", t => {
    const { config, errors } = from({
        mqtt_port: "70000",
        keepalive_s: "65536",
        interval_ms: "1.5",
        mqtt_tls: "yes",
        device_id: "a/b",
        topic_root: "$SYS",
        queue_max: 0,
    })
    t.deepEqual(
        errors.map(e => e.split(":")[0]),
        [
            "setting mqtt_port",
            "setting mqtt_tls",
            "setting interval_ms",
            "setting keepalive_s",
            "setting queue_max",
            "setting topic_root",
            "setting device_id",
        ],
    )
    t.true(errors[0].includes('found "70000", expected a whole number from 1 to 65535'), errors[0])
    t.like(config, {
        brokerPort: 1883,
        keepAliveSeconds: 60,
        intervalMs: 10000,
        tls: false,
        deviceId: "",
        topicRoot: "fieldlink",
        queueMax: 32,
    })
})

test("settings: the interval command accepts whole ms from 100 ms to 24 h only", t => {
    t.is(parseIntervalMs("1000"), 1000)
    t.is(parseIntervalMs(100), 100)
    for (const bad of ["99", "86400001", "abc", "", "1e3.5", undefined])
        t.true(Number.isNaN(parseIntervalMs(bad)), String(bad))
})

test("settings: mqtt_host lists broker nodes, each with its own port or mqtt_port", t => {
    const { config, errors } = from({ mqtt_host: "node1.lan,node2.lan:1884", mqtt_port: 8883 })
    t.deepEqual(errors, [])
    t.deepEqual(config.brokers, [
        { host: "node1.lan", port: 8883 },
        { host: "node2.lan", port: 1884 },
    ])
    t.is(config.brokerHost, "node1.lan,node2.lan:1884")
    // One host is one broker on mqtt_port, exactly as before lists existed.
    t.deepEqual(from({ mqtt_host: "10.0.0.2", mqtt_port: "1884" }).config.brokers, [
        { host: "10.0.0.2", port: 1884 },
    ])
})

test("settings: a bad mqtt_host entry is named and skipped; with none left, the default applies", t => {
    const some = from({ mqtt_host: "node1.lan,node2.lan:99999" })
    t.deepEqual(some.config.brokers, [{ host: "node1.lan", port: 1883 }])
    t.deepEqual(some.errors, [
        "setting mqtt_host: entry 2 'node2.lan:99999' has port '99999', expected 1-65535; write node2.lan:1883, or node2.lan alone for mqtt_port (1883); skipping it",
    ])
    const none = from({ mqtt_host: "mqtt://10.0.0.2:1883", mqtt_port: 1884 })
    t.deepEqual(none.config.brokers, [{ host: "mqtt.local", port: 1884 }])
    t.is(none.config.brokerHost, "mqtt.local")
    t.deepEqual(none.errors, [
        "setting mqtt_host: 'mqtt://10.0.0.2:1883' is a URL; write the host alone: 10.0.0.2:1883; using the default",
    ])
    const empty = from({ mqtt_host: "" })
    t.deepEqual(empty.errors, [
        'setting mqtt_host: found "", expected a host name or address; using the default',
    ])
    t.deepEqual(empty.config.brokers, DEFAULT_CONFIG.brokers)
})
