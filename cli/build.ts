/** `fieldlink build`: compile the firmware (optionally for one board) and report where the bytecode went. */
import { relative } from "node:path"
import { loadProfile, UnknownBoardError, type BoardProfile } from "@fieldlink/boards/profile"
import { buildBoardFirmware } from "@fieldlink/flash/build"
import { buildFirmware, FIRMWARE_DIR, FIRMWARE_ENTRY } from "@fieldlink/devs-host/firmware"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { parseFlags } from "@fieldlink/lib/cli/flags"

const HELP = `usage: fieldlink build [--board B]

Compiles ${FIRMWARE_ENTRY} of the firmware project with the pinned DeviceScript compiler.
With --board, builds the firmware for that board: its profile (boards/B.yaml, or a
profile file) is checked first, then its pins and sensor drivers are compiled in.
Exits non-zero with the compiler's diagnostics when the firmware does not compile, and
with the profile's problems when the profile does not check out.`

function profileFor(board: string): BoardProfile {
    try {
        return loadProfile(board)
    } catch (error) {
        if (error instanceof UnknownBoardError) throw new UsageError(`fieldlink build: ${error.message}`)
        throw error
    }
}

export async function buildCommand(argv: string[]): Promise<number> {
    const flags = parseFlags("build", argv, { board: { type: "string" } })
    if (flags.values.help) {
        console.log(HELP)
        return 0
    }
    const started = Date.now()
    const where = relative(process.cwd(), FIRMWARE_DIR) || "."
    const board = flags.values.board
    if (board !== undefined) {
        const profile = profileFor(String(board))
        const result = await buildBoardFirmware(profile, { cache: false })
        const drivers = profile.simulator ? "none (simulated sensors)" : profile.sensors.map((s) => s.label).join(", ") || "none"
        console.log(`firmware for ${profile.id}: ${result.bytecode.length} bytes of bytecode from ${where}/${result.entry} in ${Date.now() - started} ms; drivers: ${drivers}`)
        return 0
    }
    const result = await buildFirmware({ cache: false })
    console.log(`firmware: ${result.bytecode.length} bytes of bytecode from ${where}/${FIRMWARE_ENTRY} in ${Date.now() - started} ms`)
    return 0
}
