/**
 * Firmware for one board: the profile's generated entry (./codegen.ts) compiled with the
 * pinned DeviceScript compiler. The simulator's profile builds the plain firmware
 * (src/main.ts), which starts no drivers. A user's project (devs-host findProject) builds the
 * same way, its entry importing `useBoard` from the fieldlink-firmware library.
 *
 * Generated entries go under the firmware's `.devicescript/` (build output, git-ignored)
 * with a digest of their text in the name: the compile cache keys on the entry's name and
 * the project's sources, so a changed profile gets a new key, and concurrent builds of
 * the same profile write the same bytes.
 */
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import { mkdir, rename, writeFile } from "node:fs/promises"
import { join } from "node:path"
import type { BoardProfile } from "@fieldlink/boards/profile"
import {
    buildableProject,
    buildFirmware,
    STOCK_PROJECT,
    type FirmwareProject,
} from "@fieldlink/devs-host/firmware"
import { compileDeviceScript } from "@fieldlink/devs-host"
import { boardEntryMain, boardEntrySource, GENERATED_DIR } from "./codegen.js"

export interface BoardBuild {
    bytecode: Uint8Array
    /** The entry compiled, relative to the firmware project. */
    entry: string
    cached: boolean
}

export async function writeBoardEntry(
    profile: BoardProfile,
    project: FirmwareProject = STOCK_PROJECT,
): Promise<string> {
    const setup = boardEntrySource(profile, project.libraryImport)
    const digest = createHash("sha256").update(setup).digest("hex").slice(0, 12)
    const setupModule = `${profile.id}-${digest}-setup`
    const entry = `${GENERATED_DIR}/${profile.id}-${digest}.ts`
    await mkdir(join(project.dir, GENERATED_DIR), { recursive: true })
    await writeOnce(join(project.dir, GENERATED_DIR, `${setupModule}.ts`), setup)
    await writeOnce(join(project.dir, entry), boardEntryMain(profile, setupModule))
    return entry
}

/** Writes `text` to `path` unless it is there (same name, same digest: same text); atomic for concurrent builds. */
async function writeOnce(path: string, text: string): Promise<void> {
    if (existsSync(path)) return
    const partial = `${path}.${process.pid}.tmp`
    await writeFile(partial, text)
    await rename(partial, path)
}

/** Builds `project` (default: the stock firmware) for the board of `profile`. */
export async function buildBoardFirmware(
    profile: BoardProfile,
    options: { cache?: boolean; project?: FirmwareProject } = {},
): Promise<BoardBuild> {
    // The stock firmware of an install the user cannot write is built from a copy.
    const project = await buildableProject(options.project ?? STOCK_PROJECT)
    if (profile.simulator) {
        const r = await buildFirmware({ cache: options.cache, project })
        return { bytecode: r.bytecode, entry: project.entry, cached: r.cached }
    }
    const entry = await writeBoardEntry(profile, project)
    const r = await compileDeviceScript({
        projectDir: project.dir,
        entry,
        extraInputs: project.extraInputs,
        cache: options.cache ?? true,
    })
    return { bytecode: r.bytecode, entry, cached: r.cached }
}
