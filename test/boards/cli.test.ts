// `fieldlink boards` and `fieldlink build --board` as a user runs them.
import test from "ava"
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { removeOnExit } from "../support/cleanup.js"
import { runCli } from "../support/cli.js"

test.serial("fieldlink boards lists every profile with chip, sensors, pins and LED", async t => {
    const r = await runCli(["boards"])
    t.is(r.code, 0, r.stderr)
    t.regex(r.stdout, /^board +chip +sensors +pins +status LED +name$/m)
    t.regex(
        r.stdout,
        /^seeed_xiao_esp32c3 +ESP32-C3 +sht30 at 0x44 +I2C SDA 6 SCL 7 +- +Seeed Studio XIAO ESP32C3$/m,
    )
    t.regex(
        r.stdout,
        /^feather_s2 +ESP32-S2 +shtc3 at 0x70 +I2C SDA 8 SCL 9 +GPIO40 apa102 +Unexpected Maker FeatherS2$/m,
    )
    t.regex(r.stdout, /^sim +simulator +simulated/m)
    for (const id of ["esp32c3_supermini", "adafruit_qt_py_c3", "esp32s3_devkit_m", "esp32_bare"])
        t.regex(r.stdout, new RegExp(`^${id} `, "m"))
})

test.serial(
    "fieldlink boards ID shows one profile in full; an unknown id lists the ids (exit 2)",
    async t => {
        const r = await runCli(["boards", "esp32_bare"])
        t.is(r.code, 0)
        t.regex(r.stdout, /DeviceScript +esp32_bare \(ESP32\)/)
        t.regex(r.stdout, /flash +image at 0x1000, program and settings at 0x1c0000 \(64 × 4096 bytes\)/)
        t.regex(r.stdout, /sensor +bme680 at 0x76: temperature_c, humidity_pct, pressure_hpa/)
        t.regex(r.stdout, /log UART +TX GPIO1 at 115200 baud/)
        const unknown = await runCli(["boards", "esp8266"])
        t.is(unknown.code, 2)
        t.regex(unknown.stderr, /unknown board 'esp8266'; the boards are: adafruit_qt_py_c3, .*, sim/)
    },
)

test.serial(
    "fieldlink build --board: a bad profile fails before compiling, with every problem located",
    async t => {
        const dir = mkdtempSync(join(tmpdir(), "fieldlink-profile-"))
        removeOnExit(dir)
        const file = join(dir, "my_board.yaml")
        writeFileSync(
            file,
            "name: My board\ndevicescript_board: esp32c3_supermini\nsensors:\n  - driver: sht30\n    address: 0x45\nstatus_led:\n  pin: 11\n",
        )
        const r = await runCli(["build", "--board", file])
        t.is(r.code, 1)
        t.regex(
            r.stderr,
            /fieldlink build: .*my_board\.yaml: 1 problem:\n {2}line 7: status_led\.pin: found GPIO11, which is wired to the flash chip on the ESP32-C3; expected a free GPIO/,
        )
        t.notRegex(r.stdout, /bytes of bytecode/)
        writeFileSync(
            file,
            "name: My board\ndevicescript_board: esp32c3_supermini\nsensors:\n  - driver: ds18b20\n",
        )
        const driver = await runCli(["build", "--board", file])
        t.is(driver.code, 1)
        t.regex(
            driver.stderr,
            /line 4: sensors\[0\]\.driver: found "ds18b20", expected one of "sht30", "shtc3", "aht20", "bme680"/,
        )
    },
)

test.serial("fieldlink build --board compiles the board's firmware with its drivers", async t => {
    const r = await runCli(["build", "--board", "seeed_xiao_esp32c3"], 120_000)
    t.is(r.code, 0, r.stderr)
    t.regex(
        r.stdout,
        /^firmware for seeed_xiao_esp32c3: \d+ bytes of bytecode from firmware\/\.devicescript\/fieldlink-boards\/seeed_xiao_esp32c3-[0-9a-f]{12}\.ts in \d+ ms; drivers: sht30 at 0x44$/m,
    )
})
