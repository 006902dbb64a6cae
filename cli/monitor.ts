/**
 * `fieldlink monitor --port P`: the board's USB log, with a note under the lines that
 * tell why it is or is not online (flash/monitor.ts). Ends with Ctrl-C, or after
 * --timeout seconds.
 */
import { existsSync } from "node:fs"
import { startMonitor } from "@fieldlink/flash/monitor"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { commandFlags, wholeFlag } from "@fieldlink/lib/cli/flags"

const HELP = `usage: fieldlink monitor --port P [--baud N] [--timeout S]

Shows the board's log from its USB serial port: the runtime's storage lines (fstor),
the firmware's "fieldlink:" lines and the WiFi join, each line that matters with a note
on what it means. Press RESET on the board to see it boot. Ctrl-C ends it.

  --port P       the board's serial port, e.g. /dev/ttyACM0
  --baud N       the log's speed (default 115200, as every profile here)
  --timeout S    stop after S seconds (default: run until Ctrl-C)

See docs/flashing.md (Troubleshooting).`

const SPEC = {
    port: { type: "string" },
    baud: { type: "string" },
    timeout: { type: "string" },
} as const

export async function monitorCommand(argv: string[]): Promise<number> {
    const flags = commandFlags("monitor", argv, SPEC, HELP)
    if (!flags) return 0
    const port = flags.values.port === undefined ? undefined : String(flags.values.port)
    if (!port) throw new UsageError("fieldlink monitor: --port is required, e.g. --port /dev/ttyACM0")
    if (!existsSync(port)) {
        console.error(
            `fieldlink monitor: the port ${port} does not exist\nwhat to try:\n  - is the board plugged in with a data cable? ls /dev/ttyACM* /dev/ttyUSB*`,
        )
        return 1
    }
    const baud = wholeFlag("monitor", flags, "baud", 115200, 300, 5_000_000)
    const timeoutS = wholeFlag("monitor", flags, "timeout", 0, 0, 86_400)
    let monitor
    try {
        monitor = await startMonitor({
            path: port,
            baud,
            print: line => console.log(line),
            openWithinMs: 2000,
        })
    } catch (error) {
        console.error(
            `fieldlink monitor: cannot open ${port}: ${(error as Error).message}\nwhat to try:\n  - close other programs using the port (esptool, screen, a fieldlink gateway)\n  - permission denied: sudo usermod -aG dialout $USER, then log out and back in`,
        )
        return 1
    }
    console.error(
        `monitoring ${port} at ${baud} baud; press RESET on the board to see it boot${timeoutS ? `; stopping after ${timeoutS} s` : "; Ctrl-C ends"}`,
    )
    await new Promise<void>(resolve => {
        const timer = timeoutS ? setTimeout(resolve, timeoutS * 1000) : undefined
        const stop = () => {
            if (timer) clearTimeout(timer)
            resolve()
        }
        process.once("SIGINT", stop)
        process.once("SIGTERM", stop)
    })
    // Asked to stop (or its time is up): close at once, nothing is waiting for more lines.
    await monitor.close({ maxMs: 0 })
    return 0
}
