/** `fieldlink build`: compile the project's program (optionally for one board) and report where the bytecode went. */
import { relative } from "node:path"
import { loadProfile, UnknownBoardError, type BoardProfile } from "@fieldlink/boards/profile"
import { buildBoardFirmware } from "@fieldlink/flash/build"
import { buildableProject, buildFirmware, findProject } from "@fieldlink/devs-host/firmware"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { parseFlags } from "@fieldlink/lib/cli/flags"

const HELP = `usage: fieldlink build [--board B]

Compiles src/main.ts of the project in the current folder (the nearest folder at or
above it with a devsconfig.json, as 'fieldlink init' makes one), or fieldlink's stock
firmware outside a project, with the pinned DeviceScript compiler.
With --board (default: the board named in the project's package.json "fieldlink"
section), builds for that board: its profile (boards/B.yaml, or a profile file) is
checked first, then its pins and sensor drivers are compiled in.
Exits non-zero with the compiler's diagnostics (file:line:column) when the program does
not compile, and with the profile's problems when the profile does not check out.`

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
    // Where it is really built: the stock firmware of an install the user cannot write is copied.
    const project = await buildableProject(findProject())
    const where = relative(process.cwd(), project.dir) || "."
    const what = project.stock ? "firmware" : "program"
    const board = flags.values.board ?? project.board
    try {
        if (board !== undefined) {
            const profile = profileFor(String(board))
            const result = await buildBoardFirmware(profile, { cache: false, project })
            const drivers = profile.simulator
                ? "none (simulated sensors)"
                : [...profile.sensors, ...profile.gpio].map(s => s.label).join(", ") || "none"
            console.log(
                `${what} for ${profile.id}: ${result.bytecode.length} bytes of bytecode from ${where}/${result.entry} in ${Date.now() - started} ms; drivers: ${drivers}`,
            )
            return 0
        }
        const result = await buildFirmware({ cache: false, project })
        console.log(
            `${what}: ${result.bytecode.length} bytes of bytecode from ${where}/${project.entry} in ${Date.now() - started} ms`,
        )
        return 0
    } catch (error) {
        const message = (error as Error).message
        if (!message.startsWith("devs build")) throw error
        // The compiler's own diagnostics name the file and line, relative to the project.
        console.error(
            `fieldlink build: ${where}/${project.entry} does not compile:\n${compilerDiagnostics(message)}`,
        )
        return 1
    }
}

/** The diagnostics of a failed `devs build`, without the runner's first line and the compiler's banner. */
export function compilerDiagnostics(message: string): string {
    return message
        .split("\n")
        .slice(1)
        .filter(line => !line.startsWith("using devs:"))
        .join("\n")
        .trim()
}
