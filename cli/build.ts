/** `fieldlink build`: compile the firmware and report where the bytecode went. */
import { relative } from "node:path"
import { buildFirmware, FIRMWARE_DIR, FIRMWARE_ENTRY } from "../sim/firmware"
import { parseFlags } from "./flags"

const HELP = `usage: fieldlink build

Compiles ${FIRMWARE_ENTRY} of the firmware project with the pinned DeviceScript compiler.
Exits non-zero with the compiler's diagnostics when the firmware does not compile.`

export async function buildCommand(argv: string[]): Promise<number> {
    const flags = parseFlags("build", argv, {})
    if (flags.values.help) {
        console.log(HELP)
        return 0
    }
    const started = Date.now()
    const result = await buildFirmware({ cache: false })
    const where = relative(process.cwd(), FIRMWARE_DIR) || "."
    console.log(`firmware: ${result.bytecode.length} bytes of bytecode from ${where}/${FIRMWARE_ENTRY} in ${Date.now() - started} ms`)
    return 0
}
