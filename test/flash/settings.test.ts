// The settings that go into a board's image: .env files read as DeviceScript reads them,
// the order of precedence, and problems named with where the value came from.
import test from "ava"
import { loadProfile } from "../../boards/profile.js"
import { parseEnvFile } from "../../flash/env-file.js"
import { FlashError } from "../../flash/errors.js"
import { brokerUrl, describeSettings, flash } from "../../flash/flash.js"
import { brokerSettings, composeSettings } from "../../flash/settings.js"

const xiao = loadProfile("seeed_xiao_esp32c3")

test(".env files: KEY=value, comments, JSON values, quoted text", t => {
    const parsed = parseEnvFile(
        [
            "# broker",
            "mqtt_host=10.0.0.5",
            "mqtt_port = 1884  # the lab broker",
            "",
            "mqtt_tls=true",
            'wifi_pass="pa#ss word "',
            "export topic_root=lab",
            "not a setting",
        ].join("\n"),
    )
    t.deepEqual(parsed.entries, [
        { key: "mqtt_host", value: "10.0.0.5", line: 2 },
        { key: "mqtt_port", value: 1884, line: 3 },
        { key: "mqtt_tls", value: true, line: 5 },
        { key: "wifi_pass", value: "pa#ss word ", line: 6 },
        { key: "topic_root", value: "lab", line: 7 },
    ])
    t.deepEqual(parsed.problems, [{ line: 8, text: "not a setting" }])
})

test("precedence: profile < .env.defaults < .env.local < flags; board and transport are fixed", t => {
    const composed = composeSettings(
        xiao,
        [
            { name: "firmware/.env.defaults", text: "interval_ms=5000\nmqtt_host=defaults.example\n" },
            {
                name: "firmware/.env.local",
                text: "mqtt_host=local.example\nWIFI_SSID=from-devicescript-name\nWIFI_PWD=12345678\n",
            },
        ],
        { broker: new URL("mqtts://user:p%40ss@broker.example:8884"), deviceId: "bench-1" },
    )
    t.like(composed.settings, {
        interval_ms: 5000,
        keepalive_s: 60,
        mqtt_host: "broker.example",
        mqtt_port: 8884,
        mqtt_tls: true,
        mqtt_user: "user",
        mqtt_pass: "p@ss",
        device_id: "bench-1",
        wifi_ssid: "from-devicescript-name",
        // A password of digits stays text.
        wifi_pass: "12345678",
        board: "seeed_xiao_esp32c3",
        transport: "wifi",
    })
    t.is(composed.origin.interval_ms, "firmware/.env.defaults:1")
    t.is(composed.origin.keepalive_s, "profile seeed_xiao_esp32c3")
    t.is(composed.origin.mqtt_host, "--broker")
    t.is(composed.origin.wifi_ssid, "firmware/.env.local:2")
    const shown = describeSettings(composed.settings, composed.origin).join("\n")
    t.regex(shown, /mqtt_pass=\*\*\* \(--broker\)/)
    t.regex(shown, /wifi_pass=\*\*\* \(firmware\/\.env\.local:3\)/)
    t.notRegex(shown, /p@ss|12345678/)
})

test("problems name the setting, the value, what is expected and where it came from", t => {
    const e = t.throws(
        () =>
            composeSettings(
                xiao,
                [
                    {
                        name: "firmware/.env.local",
                        text: "mqtt_port=70000\ninterval_ms=fast\nwifi_pass=short\nway_too_long_name=1\n",
                    },
                ],
                { wifiSsid: "net" },
            ),
        { instanceOf: FlashError },
    )!
    t.regex(
        e.message,
        /firmware\/\.env\.local:1: setting mqtt_port: found 70000, expected a whole number from 1 to 65535/,
    )
    t.regex(e.message, /firmware\/\.env\.local:2: setting interval_ms: found "fast", expected a whole number/)
    t.regex(e.message, /firmware\/\.env\.local:3: setting wifi_pass: found 5 characters, expected 8 to 63/)
    t.regex(
        e.message,
        /firmware\/\.env\.local:4: setting way_too_long_name: found 17 characters, expected at most 13/,
    )
    t.notRegex(e.message, /short/, "a password is never shown")
})

test("mqtt_host may list broker nodes; a bad entry is named with what to write, and where it came from", t => {
    const composed = composeSettings(
        xiao,
        [{ name: "firmware/.env.local", text: "mqtt_host=node1.lan,node2.lan:1884\nmqtt_port=1885\n" }],
        { wifiSsid: "net" },
    )
    t.is(composed.settings.mqtt_host, "node1.lan,node2.lan:1884")
    // The birth is watched on the first node (the nodes share retained status).
    t.is(brokerUrl(composed.settings).toString(), "mqtt://node1.lan:1885")
    // IPv6 nodes, bare (on mqtt_port) or in brackets with a port: the URL brackets them.
    t.is(brokerUrl({ mqtt_host: "fd00::7,node2.lan", mqtt_port: 1885 }).toString(), "mqtt://[fd00::7]:1885")
    t.is(brokerUrl({ mqtt_host: "[fd00::7]:1886" }).toString(), "mqtt://[fd00::7]:1886")
    const e = t.throws(
        () =>
            composeSettings(
                xiao,
                [{ name: "firmware/.env.local", text: "mqtt_host=node1.lan,mqtt://node2.lan:1884\n" }],
                { wifiSsid: "net" },
            ),
        { instanceOf: FlashError },
    )!
    t.regex(
        e.message,
        /firmware\/\.env\.local:1: setting mqtt_host: entry 2 'mqtt:\/\/node2\.lan:1884' is a URL; write the host alone: node2\.lan:1884$/m,
    )
})

test("settings the firmware does not read are kept, and listed", t => {
    const composed = composeSettings(xiao, [{ name: "firmware/.env.local", text: "my_flag=1\n" }], {})
    t.deepEqual(composed.unknown, ["my_flag"])
    t.is(composed.settings.my_flag, 1)
})

test("a broker URL becomes the firmware's broker settings", t => {
    t.deepEqual(brokerSettings(new URL("mqtt://192.168.1.10")), {
        mqtt_host: "192.168.1.10",
        mqtt_port: 1883,
        mqtt_tls: false,
    })
    t.deepEqual(brokerSettings(new URL("mqtts://h")), { mqtt_host: "h", mqtt_port: 8883, mqtt_tls: true })
})

test("the simulator's profile cannot be flashed: it says where it runs", async t => {
    const e = await t.throwsAsync(
        flash(
            { board: "sim", baud: 460800, timeoutS: 0 },
            { say: () => undefined, progress: { write: () => true } },
        ),
        { instanceOf: FlashError },
    )
    t.regex(e!.message, /the sim profile is the simulator's: there is no board to flash[\s\S]*fieldlink sim/)
})

test("transport: wifi unless a profile or .env file says serial; anything else is refused", t => {
    t.is(composeSettings(xiao, [], {}).settings.transport, "wifi")
    const serial = composeSettings(xiao, [{ name: "firmware/.env.local", text: "transport=serial\n" }], {})
    t.is(serial.settings.transport, "serial")
    t.is(serial.origin.transport, "firmware/.env.local:1")
    t.throws(() => composeSettings(xiao, [{ name: "firmware/.env.local", text: "transport=lora\n" }], {}), {
        message: /firmware\/\.env\.local:1: setting transport: found "lora", expected "wifi" or "serial"/,
    })
})
