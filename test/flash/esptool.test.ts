// esptool as fieldlink drives it: finding it, its arguments, and its output read back
// into progress, MAC, chip and failures with what to do (pure parts; the CLI run is in
// flash.test.ts).
import test from "ava"
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { FlashError } from "../../flash/errors.js"
import {
    checkEsptoolVersion,
    diagnose,
    findEsptool,
    parseChip,
    parseEsptoolVersion,
    parseMac,
    parseProgress,
    readMacArgs,
    writeFlashArgs,
} from "../../flash/esptool.js"
import { macDeviceId, needsManualReset } from "../../flash/flash.js"
import { Progress, progressBar } from "../../flash/progress.js"
import { removeOnExit } from "../support/cleanup.js"

const target = { chip: "esp32c3", port: "/dev/ttyACM0", baud: 460800 }

test("arguments: the MAC read leaves the board in its bootloader; the write resets it", t => {
    t.deepEqual(readMacArgs(target), [
        "--chip",
        "esp32c3",
        "--port",
        "/dev/ttyACM0",
        "--baud",
        "460800",
        "--before",
        "default_reset",
        "--after",
        "no_reset",
        "read_mac",
    ])
    t.deepEqual(writeFlashArgs({ ...target, chip: "esp32" }, 0x1000, "bundle.bin"), [
        "--chip",
        "esp32",
        "--port",
        "/dev/ttyACM0",
        "--baud",
        "460800",
        "--before",
        "default_reset",
        "--after",
        "hard_reset",
        "write_flash",
        "0x1000",
        "bundle.bin",
    ])
})

test("progress from esptool 4 and esptool 5 lines", t => {
    t.is(parseProgress("Writing at 0x00010000... (12 %)"), 12)
    t.is(parseProgress("Writing at 0x001c4000... (100 %)"), 100)
    t.is(parseProgress("Writing at 0x00010000 [=====>                  ]  23.4% 65536/280000 bytes..."), 23.4)
    t.is(parseProgress("Compressed 2097152 bytes to 80231..."), undefined)
})

test("MAC and chip from esptool's chatter", t => {
    const out =
        "Serial port /dev/ttyACM0\nConnecting...\nChip is ESP32-C3 (QFN32) (revision v0.4)\nFeatures: WiFi, BLE\nMAC: 34:85:18:A1:B2:C3\n"
    t.is(parseMac(out), "34:85:18:a1:b2:c3")
    t.is(parseChip(out), "ESP32-C3")
    t.is(parseChip("Chip type:          ESP32-S3 (QFN56) (revision v0.2)"), "ESP32-S3")
    t.is(parseMac("no mac here"), undefined)
    t.is(macDeviceId("xiao-c3", "34:85:18:a1:b2:c3"), "xiao-c3-a1b2c3")
})

const ctx = {
    port: "/dev/ttyACM0",
    expectedChip: "ESP32-C3",
    boardId: "seeed_xiao_esp32c3",
    profilesFor: (arch: string) => (arch === "esp32s3" ? ["esp32s3_devkit_m"] : []),
}

test("failures become what happened and what to try", t => {
    const cases: [string, RegExp[]][] = [
        [
            "[Errno 13] could not open port /dev/ttyACM0: [Errno 13] Permission denied: '/dev/ttyACM0'",
            [/permission denied on \/dev\/ttyACM0/, /dialout/],
        ],
        ["[Errno 16] Device or resource busy", [/is busy: another program has it open/]],
        [
            "A fatal error occurred: This chip is ESP32-S3, not ESP32-C3. Wrong --chip argument?",
            [/is an ESP32-S3, but seeed_xiao_esp32c3 is an ESP32-C3 board/, /--board esp32s3_devkit_m/],
        ],
        [
            "A fatal error occurred: This chip is ESP32-H2, not ESP32-C3.",
            [/no profile is made for the ESP32-H2 yet/],
        ],
        [
            "A fatal error occurred: Failed to connect to ESP32-C3: No serial data received.",
            [/could not talk to the bootloader/, /hold BOOT/],
        ],
        ["could not open port /dev/ttyACM0: [Errno 2] No such file or directory", [/disappeared/]],
        [
            "something\nelse\nA fatal error occurred: flash chip is unhappy",
            [/esptool failed \(exit code 2\): .*flash chip is unhappy/, /--baud 115200/],
        ],
    ]
    for (const [output, expected] of cases) {
        const e = diagnose(output, 2, ctx)
        t.true(e instanceof FlashError)
        for (const re of expected) t.regex(e.message, re, output)
    }
})

function tempBin(names: string[]): string {
    const dir = mkdtempSync(join(tmpdir(), "fieldlink-esptool-"))
    removeOnExit(dir)
    for (const name of names) {
        writeFileSync(join(dir, name), "#!/bin/sh\nexit 0\n")
        chmodSync(join(dir, name), 0o755)
    }
    return dir
}

test("esptool is found as esptool, then esptool.py; missing, the message says how to install it", t => {
    t.is(findEsptool(undefined, { PATH: tempBin(["esptool.py"]) }).display, "esptool.py")
    t.is(findEsptool(undefined, { PATH: tempBin(["esptool", "esptool.py"]) }).display, "esptool")
    const explicit = join(tempBin(["my-esptool"]), "my-esptool")
    t.is(findEsptool(explicit, { PATH: "" }).command, explicit)
    const missing = t.throws(() => findEsptool(undefined, { PATH: tempBin([]) }), { instanceOf: FlashError })
    t.regex(
        missing!.message,
        /esptool is not installed[\s\S]*pip install esptool[\s\S]*sudo apt install esptool[\s\S]*--esptool PATH/,
    )
    t.throws(() => findEsptool("/nowhere/esptool", { PATH: "" }), {
        message: /esptool not found at \/nowhere\/esptool \(--esptool\)/,
    })
})

test("the progress bar: redrawn on a terminal, every 10 % otherwise", t => {
    t.is(progressBar(50, 10), "[#####-----]  50%")
    t.is(progressBar(120, 10), "[##########] 100%")
    const lines: string[] = []
    const p = new Progress({ isTTY: false, write: s => lines.push(s) }, "w")
    for (const v of [0, 3, 9, 10, 15, 55, 100]) p.update(v)
    p.end()
    t.deepEqual(
        lines.map(l => l.trim().slice(-4).trim()),
        ["0%", "10%", "50%", "100%"],
    )
    const tty: string[] = []
    const q = new Progress({ isTTY: true, write: s => tty.push(s) }, "w")
    q.update(1)
    q.update(1.5)
    q.update(2)
    q.end()
    t.deepEqual(tty, [
        "\rw [------------------------------]   1%",
        "\rw [#-----------------------------]   2%",
        "\n",
    ])
})

test("a native-USB board left in download mode is written, and the person is told to press RESET", t => {
    const s2 =
        "Wrote 2097152 bytes at 0x00001000 in 20.1 seconds.\nHash of data verified.\n\nLeaving...\nWARNING: ESP32-S2 (revision v0.0) chip was placed into download mode using GPIO0.\nesptool.py can not exit the download mode over USB. To run the app, reset the chip manually.\n"
    t.true(needsManualReset(s2))
    t.false(needsManualReset("Hash of data verified.\nHard resetting via RTS pin..."))
})

test("esptool's version: 4.5 and newer pass; older ones are refused with the upgrade command", t => {
    const tool = { command: "esptool", prefix: [], display: "esptool" }
    t.deepEqual(parseEsptoolVersion("esptool.py v4.7.0\n4.7.0\n"), { major: 4, minor: 7, text: "4.7.0" })
    t.deepEqual(parseEsptoolVersion("esptool v5.0.2\n5.0.2"), { major: 5, minor: 0, text: "5.0.2" })
    t.deepEqual(parseEsptoolVersion("esptool.py v3.3-dev\n"), { major: 3, minor: 3, text: "3.3" })
    for (const ok of ["esptool.py v4.5\n4.5", "esptool.py v4.8.1\n4.8.1", "esptool v5.0.0\n5.0.0"])
        t.is(checkEsptoolVersion(ok, tool), undefined, ok)
    const old = checkEsptoolVersion("esptool.py v4.4\n4.4\n", tool)
    t.regex(old!.problem, /esptool is version 4\.4; fieldlink needs esptool 4\.5 or newer/)
    t.regex(old!.hints[0], /pip install --upgrade 'esptool>=4\.5'/)
    t.regex(checkEsptoolVersion("esptool.py v3.0\n", tool)!.problem, /version 3\.0/)
    t.regex(
        checkEsptoolVersion("usage: esptool [-h]", tool)!.problem,
        /could not tell which version esptool is/,
    )
})

test("esptool's 'Unexpected chip id in image' is explained", t => {
    const e = diagnose(
        "Connecting....\nA fatal error occurred: Unexpected chip id in image. Expected 5 but value was 9. Is this image for a different chip model?",
        2,
        {
            port: "/dev/ttyACM0",
            expectedChip: "ESP32-C3",
            boardId: "seeed_xiao_esp32c3",
            profilesFor: () => [],
        },
    )
    t.regex(
        e.problem,
        /esptool refused the image: its header is for chip id 9 \(ESP32-S3\), but the board is chip id 5 \(ESP32-C3\)\. esptool compares byte 12 of the image/,
    )
    t.regex(
        e.hints.join("\n"),
        /use the DeviceScript runtime made for seeed_xiao_esp32c3 \(leave out --runtime-image/,
    )
})
