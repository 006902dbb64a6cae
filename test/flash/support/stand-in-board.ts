// A STAND-IN board for the flash tests: the DeviceScript VM booted from the flash that
// the stand-in esptool wrote. It reads the storage at the chip's storage offset (from
// the DeviceScript catalogue) back into program and settings, runs them on a simulated
// board, and puts a stand-in WiFi service on its bus that records the network the
// firmware adds. It stops on SIGTERM, when the test process that owns it is gone, or
// after two minutes.
import { appendFileSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { deviceScriptCatalog } from "../../../boards/catalog.js"
import { readBundle } from "../../../flash/bundle.js"
import { SimulatedBoard, type BoardSettings } from "../../../devs-host/index.js"
import { addWifiStandIn } from "./wifi-stand-in.js"

const dir = process.argv[2]
const say = (line: string) => appendFileSync(join(dir, "board.log"), `${new Date().toISOString().slice(11, 23)} ${line}\n`)
const MAX_LIFETIME_MS = 120_000

async function main(): Promise<void> {
    const chip = readFileSync(join(dir, "chip"), "utf8").trim()
    const arch = deviceScriptCatalog().archs[chip]
    if (!arch) throw new Error(`no DeviceScript arch ${chip}`)
    const flash = new Uint8Array(readFileSync(join(dir, "flash.bin")))
    // The whole flash is the "image" here: it starts at address 0.
    const contents = readBundle(flash, { binFlashOffset: 0, fstorOffset: Number(arch.fstorOffset), pageSize: arch.flashPageSize ?? 4096, fstorPages: arch.fstorPages, runtimeUrl: undefined })
    const settings: Record<string, string | number | boolean> = {}
    for (const [k, v] of Object.entries(contents.settings)) if (["string", "number", "boolean"].includes(typeof v)) settings[k] = v as string | number | boolean
    const deviceId = String(settings.device_id ?? "stand-in")
    say(`booting ${contents.program.length} bytes of program with ${Object.keys(settings).join(", ")}`)
    const board = new SimulatedBoard({
        deviceId,
        program: contents.program,
        settings: settings as BoardSettings,
        onLog: (line) => say(line),
        onError: (e) => say(`error: ${e.message}`),
    })
    await board.start()
    addWifiStandIn(board.bus!, (ssid, password) => appendFileSync(join(dir, "wifi.jsonl"), JSON.stringify({ ssid, password }) + "\n"))
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
