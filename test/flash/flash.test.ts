// `fieldlink flash` as a user runs it, without hardware: a stand-in esptool on PATH
// records its arguments and "writes" an emulated flash, from which a stand-in board
// (the DeviceScript VM) boots and publishes its birth to the test's own mosquitto.
import test from "ava"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { PtyPair, socatProblem } from "../../sim/serial/pty.js"
import { loadProfile } from "../../boards/profile.js"
import { readBundle } from "../../flash/bundle.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { waitFor } from "../support/wait.js"
import { startWitness } from "../support/witness.js"
import { makeStandIns, runFieldlink } from "./support/standins.js"
import { connectAsync } from "mqtt"

const XIAO = "seeed_xiao_esp32c3"
const MAC = "34:85:18:a1:b2:c3"

function flashArgs(s: { port: string; runtime: string }, broker: string, extra: string[] = []): string[] {
    return [
        "flash",
        "--board",
        XIAO,
        "--port",
        s.port,
        "--runtime-image",
        s.runtime,
        "--wifi-ssid",
        "fieldnet",
        "--wifi-password",
        "correct horse",
        "--broker",
        broker,
        ...extra,
    ]
}

const available = mosquittoAvailable()
if (available.ok) {
    test.serial(
        "deploy: the board written by esptool boots, joins the WiFi from its settings and says online on the broker",
        async t => {
            const broker = await startMosquitto()
            t.teardown(() => broker.stop())
            const witness = await startWitness(broker.url, "fieldlink/devices/+/status")
            t.teardown(() => witness.stop())
            const s = makeStandIns(t)
            const r = await runFieldlink(flashArgs(s, broker.url, ["--timeout", "45"]), s.env, 90_000)
            if (r.code !== 0) t.log(r.stdout, r.stderr, s.boardLog())
            t.is(r.code, 0)
            const id = "xiao-c3-a1b2c3"
            t.regex(r.stdout, new RegExp(`device id: ${id} \\(from MAC ${MAC}`))
            t.regex(
                r.stdout,
                new RegExp(
                    `${id} is online: fieldlink/devices/${id}/status = online after [\\d.]+ s \\(fw 0\\.1\\.0, board ${XIAO}, transport wifi\\)`,
                ),
            )
            // The progress bar, one line per 10 % when not on a terminal.
            t.regex(r.stdout, /writing \[###############---------------\] {2}50%/)
            t.regex(r.stdout, /writing \[##############################\] 100%/)
            t.notRegex(r.stdout, /correct horse/, "the WiFi password is never printed")

            // esptool: first the MAC (leaving the board in its bootloader), then one write at 0x0.
            const calls = s.calls()
            t.is(calls.length, 2)
            t.deepEqual(calls[0], [
                "--chip",
                "esp32c3",
                "--port",
                s.port,
                "--baud",
                "460800",
                "--before",
                "default_reset",
                "--after",
                "no_reset",
                "read_mac",
            ])
            t.deepEqual(calls[1].slice(0, -1), [
                "--chip",
                "esp32c3",
                "--port",
                s.port,
                "--baud",
                "460800",
                "--before",
                "default_reset",
                "--after",
                "hard_reset",
                "write_flash",
                "0x0",
            ])
            t.regex(calls[1].at(-1)!, /bundle-seeed_xiao_esp32c3\.bin$/)

            // The broker saw the board's own birth (retained), and the firmware added the network.
            await witness.waitFor(
                m => m.topic === `fieldlink/devices/${id}/status` && m.text === "online",
                10_000,
            )
            await waitFor(() => s.wifi().length > 0 && /wifi: joined 'fieldnet'/.test(s.boardLog()), {
                what: "the firmware to join the stand-in WiFi",
                timeoutMs: 15_000,
            })
            t.deepEqual(s.wifi(), [{ ssid: "fieldnet", password: "correct horse" }])
            t.regex(
                s.boardLog(),
                /fieldlink: board seeed_xiao_esp32c3: simulator, not starting hardware drivers \(sht30 at 0x44\)/,
            )
            // The runtime booted the storage as written: mounted, never formatted; the program
            // came from it (the stand-in board hands the VM nothing else) and read its settings.
            t.regex(s.boardLog(), /booting from the storage at 0x1c0000 \(256 KiB of flash\)/)
            t.regex(s.boardLog(), /runtime: fstor: mounted/)
            t.notRegex(s.boardLog(), /formatting now|mount failure/)

            // The emulated flash holds the stand-in runtime at 0 and the storage at 0x1c0000.
            const flash = new Uint8Array(readFileSync(`${s.env.FIELDLINK_STANDIN_DIR}/flash.bin`))
            t.deepEqual(flash.subarray(0, s.runtimeBytes.length), s.runtimeBytes)
            const back = readBundle(flash, { ...loadProfile(XIAO).layout!, binFlashOffset: 0 })
            t.like(back.settings, {
                device_id: id,
                wifi_ssid: "fieldnet",
                board: XIAO,
                transport: "wifi",
                mqtt_host: "127.0.0.1",
                mqtt_port: broker.port,
            })
        },
    )

    ;(socatProblem() ? test.skip : test.serial)(
        "flash --monitor shows the board's USB log, with notes, while waiting for it",
        async t => {
            const broker = await startMosquitto()
            t.teardown(() => broker.stop())
            const s = makeStandIns(t)
            const pair = await PtyPair.open(s.dir, "usb")
            t.teardown(() => pair.close())
            const env = { ...s.env, FIELDLINK_STANDIN_LOG_TTY: join(s.dir, "devices", "usb") }
            const r = await runFieldlink(
                flashArgs({ ...s, port: pair.gatewayPath }, broker.url, [
                    "--device-id",
                    "mon-1",
                    "--timeout",
                    "45",
                    "--monitor",
                ]),
                env,
                90_000,
            )
            if (r.code !== 0) t.log(r.stdout, r.stderr, s.boardLog())
            t.is(r.code, 0)
            t.regex(r.stdout, /showing the board's log from .*usb at 115200 baud/)
            // Lines from before the monitor opened the port may be missed (as on a board: hence
            // "press RESET"); the firmware's first line comes after the program starts.
            t.regex(
                r.stdout,
                /board\| fieldlink: device mon-1 fw \S+ broker 127\.0\.0\.1:\d+\nboard\| {5}\^ the firmware started with its settings/,
            )
            t.regex(r.stdout, /mon-1 is online/)
            // The log is shown up to the board's own "online" line, even when the broker's
            // word came first (a board's log over USB can lag its network).
            t.regex(r.stdout, /board\| fieldlink: online\n(?:.*\n)*.*mon-1 is online/)
        },
    )

    test.serial("a given --device-id skips the MAC read; --timeout 0 returns once written", async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const s = makeStandIns(t, { mode: "noboot" })
        const r = await runFieldlink(
            flashArgs(s, broker.url, ["--device-id", "greenhouse-7", "--timeout", "0", "--baud", "115200"]),
            s.env,
        )
        t.is(r.code, 0, r.stderr)
        t.is(s.calls().length, 1)
        t.deepEqual(s.calls()[0].slice(0, 6), ["--chip", "esp32c3", "--port", s.port, "--baud", "115200"])
        t.regex(r.stdout, /device_id="greenhouse-7" \(--device-id\)/)
        t.regex(r.stdout, /not waiting for the board: --timeout 0/)
    })

    test.serial(
        "a --device-id already online on the broker is warned about; an unreachable broker does not stop --output",
        async t => {
            const broker = await startMosquitto()
            t.teardown(() => broker.stop())
            const twin = await connectAsync(broker.url)
            await twin.publishAsync("fieldlink/devices/greenhouse-7/status", "online", {
                retain: true,
                qos: 1,
            })
            await twin.endAsync()
            const s = makeStandIns(t, { mode: "noboot" })
            const r = await runFieldlink(
                flashArgs(s, broker.url, ["--device-id", "greenhouse-7", "--timeout", "0"]),
                s.env,
            )
            t.is(r.code, 0, r.stderr)
            t.regex(
                r.stdout,
                /warning: a device with id greenhouse-7 is online on the broker right now \(fieldlink\/devices\/greenhouse-7\/status = online\)\. If it is another board, the two will take each other's connection over and flap; give this one its own --device-id/,
            )
            const other = await runFieldlink(
                flashArgs(s, broker.url, ["--device-id", "greenhouse-8", "--timeout", "0"]),
                s.env,
            )
            t.is(other.code, 0, other.stderr)
            t.notRegex(other.stdout, /is online on the broker right now/)
            const started = Date.now()
            const offline = await runFieldlink(
                flashArgs(s, "mqtt://127.0.0.1:9", [
                    "--device-id",
                    "greenhouse-7",
                    "--output",
                    `${s.env.FIELDLINK_STANDIN_DIR}/image.bin`,
                ]),
                s.env,
            )
            t.is(offline.code, 0, offline.stderr)
            t.regex(offline.stdout, /wrote .*image\.bin/)
            t.log(`--output with an unreachable broker took ${Date.now() - started} ms`)
        },
    )

    test.serial("a board that never says online: the failure says what to try", async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const s = makeStandIns(t, { mode: "noboot" })
        const r = await runFieldlink(
            flashArgs(s, broker.url, ["--device-id", "silent-1", "--timeout", "2"]),
            s.env,
        )
        t.is(r.code, 1)
        t.regex(r.stderr, /the board was written, but silent-1 did not come online within 2 s/)
        // What to read on the board's log, in the order the board prints it: storage, firmware, WiFi.
        t.regex(
            r.stderr,
            /what to try:\n {2}- read its log \(UART TX GPIO21, 115200 baud; on most boards the USB port .*ttyUSB-stand-in\): fieldlink monitor --port .*ttyUSB-stand-in \(or flash again with --monitor\), then press RESET/,
        )
        t.regex(
            r.stderr,
            /1\. storage: "fstor: mounted" is good; "fstor: formatting now"[^\n]*\n[^\n]*2\. the firmware's "fieldlink:" lines[^\n]*\n[^\n]*3\. WiFi: [^\n]*wifi_ssid "fieldnet"[^\n]*2\.4 GHz/,
        )
        t.regex(r.stderr, /does not reach the broker at 127\.0\.0\.1:\d+/)
    })

    test.serial("an unreachable broker is found before the board is written", async t => {
        const s = makeStandIns(t)
        const r = await runFieldlink(flashArgs(s, "mqtt://127.0.0.1:9", ["--device-id", "x-1"]), s.env)
        t.is(r.code, 1)
        t.regex(r.stderr, /cannot reach the broker mqtt:\/\/127\.0\.0\.1:9 from this computer/)
        t.regex(r.stderr, /--timeout 0/)
        t.false(
            s.calls().some(c => c.includes("write_flash")),
            "nothing was written",
        )
    })
} else {
    test.serial("flash tests with a broker (skipped: " + available.reason + ")", t => t.pass())
}

test.serial("permission denied on the port: the message names the dialout group", async t => {
    const s = makeStandIns(t, { mode: "permission" })
    const r = await runFieldlink(flashArgs(s, "mqtt://127.0.0.1:1883"), s.env)
    t.is(r.code, 1)
    t.regex(r.stderr, /permission denied on .*ttyUSB-stand-in: this user may not open serial ports/)
    t.regex(r.stderr, /sudo usermod -aG dialout \$USER/)
    t.regex(r.stderr, /log out and back in/)
    t.is(s.calls().length, 1, "it stops at the first esptool run (the MAC read)")
})

test.serial(
    "an esptool older than 4.5 is refused with the upgrade command, before anything else runs",
    async t => {
        const s = makeStandIns(t)
        const r = await runFieldlink(flashArgs(s, "mqtt://127.0.0.1:1883", ["--device-id", "old-1"]), {
            ...s.env,
            FIELDLINK_STANDIN_VERSION: "4.3",
        })
        t.is(r.code, 1)
        t.regex(r.stderr, /esptool is version 4\.3; fieldlink needs esptool 4\.5 or newer/)
        t.regex(r.stderr, /pip install --upgrade 'esptool>=4\.5'/)
        t.deepEqual(s.calls(), [], "only its version was asked")
    },
)

test.serial("esptool's 'Unexpected chip id in image' on the write is explained", async t => {
    const s = makeStandIns(t, { mode: "imagechip" })
    const r = await runFieldlink(
        flashArgs(s, "mqtt://127.0.0.1:1883", ["--device-id", "chip-1", "--timeout", "0"]),
        s.env,
    )
    t.is(r.code, 1)
    t.regex(
        r.stderr,
        /esptool refused the image: its header is for chip id 9 \(ESP32-S3\), but the board is chip id 5 \(ESP32-C3\)/,
    )
})

test.serial("esptool missing: the message says how to install it", async t => {
    const s = makeStandIns(t, { path: "none" })
    const r = await runFieldlink(flashArgs(s, "mqtt://127.0.0.1:1883"), s.env)
    t.is(r.code, 1)
    t.regex(r.stderr, /esptool is not installed/)
    t.regex(r.stderr, /pip install esptool/)
    t.regex(r.stderr, /sudo apt install esptool/)
})

test.serial("an unknown board id is a usage mistake that lists the boards", async t => {
    const r = await runFieldlink(["flash", "--board", "esp8266", "--wifi-ssid", "x"])
    t.is(r.code, 2)
    t.regex(
        r.stderr,
        /unknown board 'esp8266'; the boards are: adafruit_qt_py_c3, esp32_bare, esp32c3_supermini, esp32s3_devkit_m, feather_s2, seeed_xiao_esp32c3, sim/,
    )
})

test.serial("no WiFi network, a missing port: clear messages, nothing written", async t => {
    const s = makeStandIns(t)
    const noWifi = await runFieldlink(
        [
            "flash",
            "--board",
            XIAO,
            "--port",
            s.port,
            "--runtime-image",
            s.runtime,
            "--broker",
            "mqtt://10.0.0.2",
        ],
        s.env,
    )
    t.is(noWifi.code, 1)
    t.regex(
        noWifi.stderr,
        /no WiFi network given[\s\S]*--wifi-ssid NAME --wifi-password PASSWORD[\s\S]*firmware\/\.env\.local/,
    )
    const port = await runFieldlink(
        flashArgs({ ...s, port: "/dev/ttyUSB-not-there" }, "mqtt://10.0.0.2"),
        s.env,
    )
    t.is(port.code, 1)
    t.regex(port.stderr, /the port \/dev\/ttyUSB-not-there does not exist/)
    t.deepEqual(s.calls(), [])
})
