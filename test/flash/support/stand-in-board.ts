// A STAND-IN board for the flash tests: the DeviceScript VM booted from the flash that
// the stand-in esptool wrote, as a board boots. The storage region at the chip's storage
// offset (from the DeviceScript catalogue) becomes the VM's flash, of the board's
// storage size (256 KiB); the runtime mounts it and starts the program stored in it with
// the settings stored in it: nothing is handed to the VM by other means. Every line the
// runtime logs goes to board.log (the tests look there for "fstor: mounted" and for
// "formatting now"). A stand-in WiFi service on its bus records the network the
// firmware adds. It stops on SIGTERM, when the test process that owns it is gone, or
// after two minutes.
import { appendFileSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { SerialPort } from "serialport"
import { deviceScriptCatalog } from "../../../boards/catalog.js"
import { SimulatedBoard } from "../../../devs-host/index.js"
import { addWifiStandIn } from "./wifi-stand-in.js"

const dir = process.argv[2]
// FIELDLINK_STANDIN_LOG_TTY: a serial port (one end of a pseudo-terminal pair) that gets
// every log line too, as a board's USB log does (unlocked: the pair holds that end open too).
const tty = process.env.FIELDLINK_STANDIN_LOG_TTY
    ? new SerialPort({ path: process.env.FIELDLINK_STANDIN_LOG_TTY, baudRate: 115200, lock: false })
    : undefined
tty?.on("error", () => undefined)
const say = (line: string) => {
    appendFileSync(join(dir, "board.log"), `${new Date().toISOString().slice(11, 23)} ${line}\n`)
    if (tty?.isOpen) tty.write(line + "\r\n")
}
const MAX_LIFETIME_MS = 120_000

async function main(): Promise<void> {
    if (tty && !tty.isOpen) await new Promise(resolve => tty.once("open", resolve))
    const chip = readFileSync(join(dir, "chip"), "utf8").trim()
    const arch = deviceScriptCatalog().archs[chip]
    if (!arch) throw new Error(`no DeviceScript arch ${chip}`)
    const flash = new Uint8Array(readFileSync(join(dir, "flash.bin")))
    const start = Number(arch.fstorOffset)
    const size = arch.fstorPages * (arch.flashPageSize ?? 4096)
    const storage = flash.slice(start, start + size)
    say(`booting from the storage at 0x${start.toString(16)} (${size / 1024} KiB of flash)`)
    const board = new SimulatedBoard({
        deviceId: "stand-in-board",
        flash: { size, load: () => storage },
        // The runtime's own lines (fstor, devicescript) and the program's, as on the USB log.
        onDmesg: line => say(line.kind === "runtime" ? `runtime: ${line.text}` : line.text),
        onError: e => say(`error: ${e.message}`),
    })
    await board.start()
    addWifiStandIn(board.bus!, (ssid, password) =>
        appendFileSync(join(dir, "wifi.jsonl"), JSON.stringify({ ssid, password }) + "\n"),
    )
    const owner = Number(process.env.FIELDLINK_STANDIN_OWNER ?? 0)
    const started = Date.now()
    const stop = async (why: string) => {
        say(`stopping: ${why}`)
        await board.stop()
        process.exit(0)
    }
    process.once("SIGTERM", () => void stop("SIGTERM"))
    setInterval(() => {
        let ownerAlive = true
        try {
            if (owner > 0) process.kill(owner, 0)
        } catch {
            ownerAlive = false
        }
        if (!ownerAlive) void stop("the test process is gone")
        else if (Date.now() - started > MAX_LIFETIME_MS) void stop("lived long enough")
    }, 500)
}

main().catch((e: Error) => {
    say(`failed: ${e.message}`)
    process.exit(1)
})
