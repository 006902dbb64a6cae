/**
 * The real firmware, compiled for the simulator: the same bytecode a board runs.
 */
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { compileDeviceScript, type CompileResult } from "./index.js"

/**
 * The firmware's DeviceScript project: the nearest `firmware/` folder with a
 * `devsconfig.json` above this module. That is the checkout's `firmware/` (from the
 * sources or from `dist/`), or the copy an installed `fieldlink` package carries.
 * It is not a package of its own: DeviceScript would stamp a package.json's name and
 * `git describe` into the bytecode.
 */
function findFirmwareDir(): string {
    let dir = dirname(fileURLToPath(import.meta.url))
    for (;;) {
        const candidate = join(dir, "firmware")
        if (existsSync(join(candidate, "devsconfig.json"))) return candidate + "/"
        const parent = dirname(dir)
        if (parent === dir) throw new Error("cannot find the firmware sources (a firmware/ folder with devsconfig.json) above " + fileURLToPath(import.meta.url))
        dir = parent
    }
}

export const FIRMWARE_DIR = findFirmwareDir()
export const FIRMWARE_ENTRY = "src/main.ts"
/**
 * Shared code outside the DeviceScript project that the firmware compiles in (for the
 * cache key): the sources of @fieldlink/protocol, a DeviceScript library.
 */
export const SHARED_SOURCES = [dirname(createRequire(import.meta.url).resolve("@fieldlink/protocol/package.json"))]

/** Compiles firmware/src/main.ts (cached by the hash of every source). */
export function buildFirmware(options: { cache?: boolean } = {}): Promise<CompileResult> {
    return compileDeviceScript({
        projectDir: FIRMWARE_DIR,
        entry: FIRMWARE_ENTRY,
        extraInputs: SHARED_SOURCES,
        cache: options.cache ?? true,
    })
}
