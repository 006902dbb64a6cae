// Board profiles: the shipped ones check out against DeviceScript's own catalogue, and a
// profile with a mistake is refused with its file, line, path, what was found and what
// was expected.
import test from "ava"
import { readFileSync } from "node:fs"
import { deviceScriptCatalog, extractCatalog, flashLayout, pinClasses } from "../../boards/catalog.js"
import { DRIVER_NAMES } from "../../boards/drivers.js"
import {
    loadAllProfiles,
    loadProfile,
    parseProfile,
    PROFILE_SCHEMA,
    UnknownBoardError,
} from "../../boards/profile.js"
import { rangesText } from "../../boards/pins.js"
import { boardEntrySource } from "../../flash/codegen.js"

const REQUIRED = [
    "seeed_xiao_esp32c3",
    "esp32c3_supermini",
    "adafruit_qt_py_c3",
    "esp32s3_devkit_m",
    "esp32_bare",
    "feather_s2",
    "sim",
]

test("every shipped profile checks out, and the required boards are there", t => {
    const { profiles, invalid } = loadAllProfiles()
    t.deepEqual(
        invalid.map(i => `${i.id}: ${i.error.message}`),
        [],
    )
    for (const id of REQUIRED)
        t.truthy(
            profiles.find(p => p.id === id),
            id,
        )
    for (const p of profiles.filter(p => !p.simulator)) {
        t.is(p.devicescriptBoard, p.id, "each hardware profile is named after its DeviceScript board")
        t.true(p.sensors.length > 0 && p.log !== undefined && p.i2c !== undefined, p.id)
        t.regex(
            p.layout!.runtimeUrl!,
            /^https:\/\/github\.com\/microsoft\/devicescript-esp32\/releases\/download\/v2\.16\.1\/.*\.bin$/,
            "the pinned release, never latest",
        )
    }
})

test("the pins of a profile become GPIO numbers: labels, numbers and GPIO<n>", t => {
    const xiao = loadProfile("seeed_xiao_esp32c3")
    t.deepEqual(xiao.i2c, { sda: 6, scl: 7, khz: 100 })
    t.deepEqual(xiao.log, { tx: 21, baud: 115200 })
    t.is(xiao.statusLed, undefined)
    const s2 = loadProfile("feather_s2")
    t.deepEqual(s2.statusLed, { pin: 40, type: "apa102", clockPin: 45, activeHigh: true })
    t.deepEqual(loadProfile("esp32_bare").layout, {
        binFlashOffset: 0x1000,
        fstorOffset: 0x1c0000,
        pageSize: 4096,
        fstorPages: 64,
        runtimeUrl:
            "https://github.com/microsoft/devicescript-esp32/releases/download/v2.16.1/devicescript-esp32-esp32_bare-0x1000.bin",
    })
})

test("the schema's driver list is the drivers fieldlink can start", t => {
    const properties = PROFILE_SCHEMA.properties as Record<
        string,
        { items: { properties: { driver: { enum: string[] } } } }
    >
    t.deepEqual(properties.sensors.items.properties.driver.enum, DRIVER_NAMES)
})

const base = "name: Test board\ndevicescript_board: seeed_xiao_esp32c3\ni2c:\n  sda: SDA_D4\n  scl: SCL_D5\n"

function problems(text: string): string {
    try {
        parseProfile(text, "test_board")
    } catch (e) {
        return (e as Error).message
    }
    throw new Error("the profile was accepted")
}

test("an unknown driver names the line and the drivers there are", t => {
    t.regex(
        problems(base + "sensors:\n  - driver: dht22\n"),
        /test_board\.yaml: 1 problem:\n {2}line 7: sensors\[0\]\.driver: found "dht22", expected one of "sht30", "shtc3", "aht20", "bme680"/,
    )
})

test("unknown or unusable pins: the reason and what would do", t => {
    const m = problems(
        "name: T\ndevicescript_board: seeed_xiao_esp32c3\ni2c:\n  sda: SDA_D9\n  scl: 19\nstatus_led:\n  pin: 12\nlog:\n  tx: 5\nsensors:\n  - driver: sht30\n",
    )
    t.regex(
        m,
        /line 4: i2c\.sda: found "SDA_D9", expected a GPIO number or a pin label of seeed_xiao_esp32c3 \(A0_D0, .*SDA_D4, TX_D6\)/,
    )
    t.regex(m, /line 5: i2c\.scl: found GPIO19, which is a USB data line .* on the ESP32-C3/)
    t.regex(m, /line 7: status_led\.pin: found GPIO12, which is wired to the flash chip on the ESP32-C3/)
    t.regex(
        m,
        /line 9: log\.tx: found GPIO5, expected GPIO21: on the ESP32-C3 DeviceScript logs only on the bootloader UART's TX pin/,
    )
    const esp32 = problems(
        "name: T\ndevicescript_board: esp32_bare\ni2c:\n  sda: 34\n  scl: GPIO22\nstatus_led:\n  pin: 22\n",
    )
    t.regex(esp32, /line 4: i2c\.sda: found GPIO34, which is input-only on the ESP32/)
    t.regex(
        esp32,
        /line 7: status_led\.pin: found GPIO22, which i2c\.scl already uses; expected a pin of its own/,
    )
})

test("sensor addresses and readings are checked against the drivers", t => {
    const m = problems(
        base +
            "sensors:\n  - driver: sht30\n    address: 0x46\n  - driver: bme680\n  - driver: aht20\n    address: 0x76\n",
    )
    t.regex(
        m,
        /line 8: sensors\[0\]\.address: found 0x46, expected 0x44 or 0x45 \(the addresses a Sensirion SHT30\/SHT31 answers on\)/,
    )
    t.regex(
        m,
        /line 9: sensors\[1\]\.driver: found bme680 at 0x76 giving temperature_c, humidity_pct, which sht30 at 0x46 gives already/,
    )
    t.regex(m, /line 11: sensors\[2\]\.address: found 0x76, expected 0x38/)
    t.regex(
        m,
        /line 11: sensors\[2\]\.address: found 0x76, which bme680 at 0x76 already uses on the same bus/,
    )
    t.regex(
        problems("name: T\ndevicescript_board: esp32_bare\nsensors:\n  - driver: aht20\n"),
        /found I2C sensors but no I2C bus: esp32_bare defines none, expected an i2c block/,
    )
})

test("the DeviceScript board id must exist; the ESP32 ones are listed", t => {
    t.regex(
        problems("name: T\ndevicescript_board: esp8266_nodemcu\n"),
        /line 2: devicescript_board: found "esp8266_nodemcu", expected a DeviceScript ESP32 board id: adafruit_feather_esp32_s2, .*seeed_xiao_esp32c3/,
    )
    t.regex(
        problems("name: T\ndevicescript_board: pico_w\n"),
        /found "pico_w", expected a DeviceScript ESP32 board id/,
    )
    t.regex(
        problems("name: T\n"),
        /devicescript_board: found nothing, expected a DeviceScript board id \(or `simulator: true`/,
    )
})

test("settings are checked with the firmware's own rules; per-board ones are refused", t => {
    const m = problems(
        base + "settings:\n  mqtt_port: 70000\n  colour: blue\n  device_id: shared\n  wifi_pass: short\n",
    )
    t.regex(m, /line 7: settings\.mqtt_port: found 70000, expected a whole number from 1 to 65535/)
    t.regex(m, /line 8: settings\.colour: unknown setting "colour"; expected one of mqtt_host, .*wifi_pass/)
    t.regex(
        m,
        /line 9: settings\.device_id: found "shared" in a profile, expected none: a device id must differ from board to board/,
    )
    t.regex(m, /line 10: settings\.wifi_pass: found 5 characters, expected 8 to 63/)
})

test("the simulator's profile has no hardware", t => {
    t.regex(
        problems("name: S\nsimulator: true\nsensors:\n  - driver: sht30\ni2c:\n  sda: 1\n  scl: 2\n"),
        /found sensors in the simulator's profile, expected none[\s\S]*found i2c in the simulator's profile/,
    )
    t.is(loadProfile("sim").simulator, true)
})

test("an unknown board id lists the ids", t => {
    const e = t.throws(() => loadProfile("esp8266"), { instanceOf: UnknownBoardError })!
    t.regex(
        e.message,
        /unknown board 'esp8266'; the boards are: adafruit_qt_py_c3, esp32_bare, esp32c3_supermini, esp32s3_devkit_m, feather_s2, seeed_xiao_esp32c3, sim/,
    )
})

test("DeviceScript's catalogue, read from the pinned CLI bundle", t => {
    const catalog = deviceScriptCatalog()
    t.is(catalog.boards.seeed_xiao_esp32c3.archId, "esp32c3")
    t.is(rangesText(pinClasses(catalog.archs.esp32c3).get("io")!), "0-10, 20, 21")
    t.like(flashLayout(catalog.boards.feather_s2, catalog.archs.esp32s2), {
        binFlashOffset: 0x1000,
        fstorOffset: 0x1c0000,
    })
    t.throws(() => extractCatalog("no catalogue here"), { message: /no longer holds its board catalogue/ })
})

test("the generated entry configures the pins and starts the profile's drivers", t => {
    const source = boardEntrySource(loadProfile("feather_s2"))
    t.regex(source, /import \{ startSHTC3 \} from "@devicescript\/drivers"/)
    t.regex(source, /i2c: \{ pinSDA: gpio\(8\), pinSCL: gpio\(9\), kHz: 100 \}/)
    t.regex(source, /led: \{ pin: gpio\(40\), pinCLK: gpio\(45\), type: 2 \}/)
    t.regex(source, /log: \{ pinTX: gpio\(43\), baud: 115200 \}/)
    t.regex(
        source,
        /useBoard\("feather_s2", \[\n {4}\{ name: "shtc3 at 0x70", start: async \(\) => \{ await startSHTC3\(\) \} \},\n\]\)/,
    )
    const bme = boardEntrySource(loadProfile("adafruit_qt_py_c3"))
    t.regex(bme, /await startBME680\(\{ address: 0x77 \}\)/)
    t.regex(
        boardEntrySource(loadProfile("esp32c3_supermini")),
        /led: \{ pin: gpio\(8\), type: 0, isMono: true, activeHigh: false \}/,
    )
})

test("profiles point editors at the schema", t => {
    for (const id of REQUIRED)
        t.regex(readFileSync(loadProfile(id).file, "utf8"), /^# yaml-language-server: \$schema=schema\.json/)
})

test("a profile names the GPIO roles of the user's program: the entry starts an on-board server for each", t => {
    const garden = parseProfile(
        [
            "name: Garden",
            "devicescript_board: esp32c3_supermini",
            "gpio:",
            "  - { role: relay, pin: 5 }",
            "  - { role: soil_moisture, pin: GPIO2, name: soil }",
        ].join("\n"),
        "garden",
    )
    t.deepEqual(
        garden.gpio.map(g => g.label),
        ["relay on GPIO5", "soil_moisture on GPIO2"],
    )
    const source = boardEntrySource(garden, "fieldlink-firmware")
    t.regex(
        source,
        /import \{ (configureHardware, )?startRelay, startSoilMoisture \} from "@devicescript\/servers"/,
    )
    t.regex(source, /import \{ useBoard \} from "fieldlink-firmware"/)
    t.regex(
        source,
        /\{ name: "relay on GPIO5", start: async \(\) => \{ startRelay\(\{ pin: gpio\(5\) \}\) \} \}/,
    )
    t.regex(source, /startSoilMoisture\(\{ pin: gpio\(2\), name: "soil" \}\)/)
    // The careless user: a role on a pin something else holds, a role the simulator's profile cannot have.
    const clash = t.throws(() =>
        parseProfile(
            [
                "name: X",
                "devicescript_board: esp32c3_supermini",
                "i2c: { sda: 6, scl: 7 }",
                "gpio:",
                "  - { role: relay, pin: 6 }",
            ].join("\n"),
            "x",
        ),
    )!
    t.regex(clash.message, /gpio\.0\.pin|gpio\[0\]\.pin|line 5/)
    t.regex(clash.message, /GPIO6, which i2c\.sda already uses/)
    const unknown = t.throws(() =>
        parseProfile(
            ["name: X", "devicescript_board: esp32c3_supermini", "gpio:", "  - { role: pump, pin: 5 }"].join(
                "\n",
            ),
            "x",
        ),
    )!
    t.regex(unknown.message, /relay, button, soil_moisture, light_level|relay.*button/)
})
