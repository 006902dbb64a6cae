// A STAND-IN for esptool (not esptool): the flash tests put it on PATH as `esptool`.
// It records its arguments, talks like esptool 4 (chip, MAC, "Writing at ... (n %)"),
// keeps an emulated 4 MB flash in FIELDLINK_STANDIN_DIR/flash.bin, and after a
// write_flash "resets the board": it starts ./stand-in-board.ts, which boots the program
// and settings from that flash in the DeviceScript VM.
//
// FIELDLINK_STANDIN_MODE picks a failure to act out: permission, busy, silent,
// FIELDLINK_STANDIN_VERSION is the version it reports (default 4.7.0).
// mismatch (the chip is an ESP32-S3), imagechip (esptool's own image chip id check
// fails on write_flash), noboot (written, but the board never comes
// back), or ok (default).
import { spawn } from "node:child_process"
import { appendFileSync, existsSync, openSync, readFileSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const dir = process.env.FIELDLINK_STANDIN_DIR
if (!dir) {
    console.error("stand-in esptool: FIELDLINK_STANDIN_DIR is not set")
    process.exit(2)
}
const args = process.argv.slice(2)
// `esptool version` (fieldlink asks it first) is answered, not recorded as a call.
const version = process.env.FIELDLINK_STANDIN_VERSION ?? "4.7.0"
if (args.length === 1 && args[0] === "version") {
    console.log(`esptool.py v${version}\n${version}`)
    process.exit(0)
}
appendFileSync(join(dir, "calls.jsonl"), JSON.stringify(args) + "\n")

const option = (name: string) => {
    const i = args.indexOf(name)
    return i >= 0 ? args[i + 1] : undefined
}
const chip = option("--chip") ?? "auto"
const port = option("--port") ?? "/dev/ttyUSB0"
const chipName = chip === "auto" ? "ESP32-C3" : chip.toUpperCase().replace(/^ESP32(?=.)/, "ESP32-")
const mac = process.env.FIELDLINK_STANDIN_MAC ?? "34:85:18:a1:b2:c3"
const mode = process.env.FIELDLINK_STANDIN_MODE ?? "ok"

function fail(text: string): never {
    console.log(text)
    process.exit(2)
}

console.log(`esptool.py v${version} (stand-in)`)
console.log(`Serial port ${port}`)
if (mode === "permission")
    fail(
        `A fatal error occurred: Could not open ${port}, the port is busy or doesn't exist.\n([Errno 13] could not open port ${port}: [Errno 13] Permission denied: '${port}')`,
    )
if (mode === "busy")
    fail(
        `A fatal error occurred: Could not open ${port}, the port is busy or doesn't exist.\n([Errno 16] could not open port ${port}: [Errno 16] Device or resource busy: '${port}')`,
    )
console.log("Connecting....")
if (mode === "silent")
    fail(`A fatal error occurred: Failed to connect to ${chipName}: No serial data received.`)
if (mode === "mismatch")
    fail(`A fatal error occurred: This chip is ESP32-S3, not ${chipName}. Wrong --chip argument?`)
if (mode === "imagechip" && args.includes("write_flash"))
    fail(
        "A fatal error occurred: Unexpected chip id in image. Expected 5 but value was 9. Is this image for a different chip model?",
    )
console.log(`Chip is ${chipName} (QFN32) (revision v0.4)`)
console.log("Crystal is 40MHz")
console.log(`MAC: ${mac}`)
console.log("Uploading stub...\nRunning stub...\nStub running...")

const command = args.find(a => a === "read_mac" || a === "write_flash")
if (command === "read_mac") {
    console.log(`MAC: ${mac}`)
    console.log(args.includes("no_reset") ? "Staying in bootloader." : "Hard resetting via RTS pin...")
    process.exit(0)
}
if (command !== "write_flash") fail(`stand-in esptool: unsupported command in ${args.join(" ")}`)

const [offsetText, file] = args.slice(-2)
const offset = Number(offsetText)
const data = readFileSync(file)
const flashPath = join(dir, "flash.bin")
const flash = existsSync(flashPath) ? readFileSync(flashPath) : Buffer.alloc(4 * 1024 * 1024, 0xff)
if (offset + data.length > flash.length)
    fail(
        `A fatal error occurred: File ${file} (length ${data.length}) at offset ${offset} will not fit in 4194304 bytes of flash.`,
    )
data.copy(flash, offset)
writeFileSync(flashPath, flash)
writeFileSync(join(dir, "chip"), chip)
console.log(`Compressed ${data.length} bytes to ${Math.ceil(data.length / 3)}...`)
for (let p = 0; p <= 100; p += 10)
    console.log(
        `Writing at 0x${(offset + Math.floor((data.length * p) / 100)).toString(16).padStart(8, "0")}... (${p} %)`,
    )
console.log(
    `Wrote ${data.length} bytes (${Math.ceil(data.length / 3)} compressed) at 0x${offset.toString(16).padStart(8, "0")} in 0.1 seconds.`,
)
console.log("Hash of data verified.\n\nLeaving...\nHard resetting via RTS pin...")

if (mode === "noboot") process.exit(0)
// The "board" boots from its new flash and outlives this process, as a real one would.
const log = openSync(join(dir, "board.log"), "a")
const board = spawn(
    process.execPath,
    [
        "--import",
        "tsx",
        "--conditions=source",
        fileURLToPath(new URL("./stand-in-board.ts", import.meta.url)),
        dir,
    ],
    { detached: true, stdio: ["ignore", log, log], env: process.env },
)
writeFileSync(join(dir, "board.pid"), String(board.pid))
board.unref()
