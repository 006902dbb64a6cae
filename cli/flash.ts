/**
 * `fieldlink flash`: one command from a blank ESP32 to its `online` on the broker
 * (flash/flash.ts does the work; this file reads the flags and prints).
 */
import { UnknownBoardError } from "@fieldlink/boards/profile"
import { FlashError } from "@fieldlink/flash/errors"
import { flash } from "@fieldlink/flash/flash"
import { findProject } from "@fieldlink/devs-host/firmware"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { brokerFlag, commandFlags, wholeFlag, type ParsedFlags } from "@fieldlink/lib/cli/flags"

const HELP = `usage: fieldlink flash --board B [--port P] [--wifi-ssid S --wifi-password W] [--broker URL]
                       [--device-id ID] [--runtime-image FILE] [--timeout S] [--monitor] [--output FILE]

Builds the firmware for board B, bundles it with its settings and the DeviceScript
runtime into one image, writes it with esptool, then waits until the board says
"online" on the broker.

  --board B             a board id ('fieldlink boards' lists them) or a profile file
  --port P              the board's serial port (default: the one ESP32-looking port)
  --wifi-ssid S         the WiFi network the board joins (2.4 GHz)
  --wifi-password W     its password (or wifi_pass in firmware/.env.local)
  --broker URL          mqtt://[user:pass@]host:port the board publishes to, as the
                        board reaches it (default: mqtt_host/mqtt_port of the settings)
  --device-id ID        the board's id on the broker (default: <prefix>-<MAC suffix>)
  --runtime-image FILE  a DeviceScript runtime .bin to use instead of downloading it
  --refresh-runtime     download the runtime again even if it is cached
  --baud N              esptool speed (default 460800; try 115200 on flaky cables)
  --esptool PATH        the esptool to run (default: esptool on PATH, or python3 -m esptool)
  --timeout S           seconds to wait for the board's birth; 0 = do not wait (default 90)
  --monitor             show the board's USB log while waiting (as 'fieldlink monitor --port P')
  --output FILE         write the image to FILE instead of flashing (for other tools)

Settings: the profile's defaults, then firmware/.env.defaults and firmware/.env.local,
then the flags. Runtime images are cached in ~/.cache/fieldlink/runtime
($FIELDLINK_CACHE_DIR overrides; $FIELDLINK_RUNTIME_MIRROR downloads from a mirror).
See docs/flashing.md.`

const SPEC = {
    board: { type: "string" },
    port: { type: "string" },
    "wifi-ssid": { type: "string" },
    "wifi-password": { type: "string" },
    broker: { type: "string" },
    "device-id": { type: "string" },
    "runtime-image": { type: "string" },
    "refresh-runtime": { type: "boolean" },
    baud: { type: "string" },
    esptool: { type: "string" },
    timeout: { type: "string" },
    output: { type: "string" },
    monitor: { type: "boolean" },
} as const

function text(flags: ParsedFlags, name: string): string | undefined {
    const v = flags.values[name]
    return v === undefined ? undefined : String(v)
}

export async function flashCommand(argv: string[]): Promise<number> {
    const flags = commandFlags("flash", argv, SPEC, HELP)
    if (!flags) return 0
    const project = findProject()
    const board = text(flags, "board") ?? project.board
    if (!board)
        throw new UsageError(
            'fieldlink flash: --board is required (\'fieldlink boards\' lists the boards), or name it in your project\'s package.json: "fieldlink": { "board": "<id>" }',
        )
    const wifiSsid = text(flags, "wifi-ssid")
    const wifiPassword = text(flags, "wifi-password")
    try {
        const result = await flash(
            {
                board,
                project,
                port: text(flags, "port"),
                wifiSsid,
                wifiPassword,
                broker: brokerFlag("flash", flags),
                deviceId: text(flags, "device-id"),
                runtimeImage: text(flags, "runtime-image"),
                refreshRuntime: flags.values["refresh-runtime"] === true,
                baud: wholeFlag("flash", flags, "baud", 460800, 9600, 5000000),
                esptool: text(flags, "esptool"),
                timeoutS: wholeFlag("flash", flags, "timeout", 90, 0, 3600),
                output: text(flags, "output"),
                monitor: flags.values.monitor === true,
            },
            { say: line => console.log(line), progress: process.stdout },
        )
        if (result.onlineAfterS === undefined && !flags.values.output)
            console.log(
                result.noWait === "serial"
                    ? "done (a serial board: see it through the gateway)"
                    : "done (not waiting for the board: --timeout 0)",
            )
        return 0
    } catch (error) {
        if (error instanceof UnknownBoardError) throw new UsageError(`fieldlink flash: ${error.message}`)
        if (error instanceof FlashError) {
            console.error(
                `fieldlink flash: ${error.problem}${error.hints.length ? "\nwhat to try:\n" + error.hints.map(h => `  - ${h}`).join("\n") : ""}`,
            )
            return 1
        }
        throw error
    }
}
