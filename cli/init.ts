/** `fieldlink init DIR [--board B]`: writes a device project its user owns (./init-templates.ts). */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs"
import { basename, dirname, join, relative, resolve } from "node:path"
import { loadProfile, UnknownBoardError } from "@fieldlink/boards/profile"
import { UsageError } from "@fieldlink/lib/cli/errors"
import { parseFlags } from "@fieldlink/lib/cli/flags"
import { packageOf } from "@fieldlink/lib/package-info"
import { packageName, projectFiles } from "./init-templates.js"

const HELP = `usage: fieldlink init DIR [--board B]

Writes a new device project in DIR (created if missing; it must be empty): package.json
(depending on fieldlink and fieldlink-firmware), devsconfig.json, src/main.ts on the
fieldlink-firmware library, scenario.yaml, README.md and a GitHub Actions workflow
that runs the scenario with --check. --board names the board (an id from
'fieldlink boards', or a profile file); default seeed_xiao_esp32c3.
Then: cd DIR && npm install && npx fieldlink build`

const DEFAULT_BOARD = "seeed_xiao_esp32c3"

export async function initCommand(argv: string[]): Promise<number> {
    const flags = parseFlags("init", argv, { board: { type: "string" } })
    if (flags.values.help) {
        console.log(HELP)
        return 0
    }
    if (flags.positionals.length !== 1)
        throw new UsageError(
            "fieldlink init: name one folder for the new project, e.g. fieldlink init my-device",
        )
    const dir = resolve(flags.positionals[0])
    const board = String(flags.values.board ?? DEFAULT_BOARD)
    try {
        loadProfile(board)
    } catch (error) {
        if (error instanceof UnknownBoardError) throw new UsageError(`fieldlink init: ${error.message}`)
        throw new UsageError(`fieldlink init: --board ${board}: ${(error as Error).message}`)
    }
    if (existsSync(dir) && readdirSync(dir).length > 0)
        throw new UsageError(
            `fieldlink init: ${dir} is not empty; nothing was written (pick a new folder, or empty this one)`,
        )
    const files = projectFiles({
        name: packageName(basename(dir)),
        board,
        version: packageOf(import.meta.url).version,
    })
    for (const [path, text] of Object.entries(files)) {
        mkdirSync(dirname(join(dir, path)), { recursive: true })
        writeFileSync(join(dir, path), text, { flag: "wx" })
    }
    const where = relative(process.cwd(), dir) || "."
    console.log(`a new device project in ${where} (board ${board}): ${Object.keys(files).join(", ")}`)
    console.log(
        `next: cd ${where} && npm install && npx fieldlink build && npx fieldlink sim scenario.yaml --check`,
    )
    return 0
}
