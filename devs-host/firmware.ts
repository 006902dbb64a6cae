/**
 * The real firmware, compiled for the simulator: the same bytecode a board runs.
 */
import { fileURLToPath } from "node:url"
import { compileDeviceScript, type CompileResult } from "./vm/index"

export const FIRMWARE_DIR = fileURLToPath(new URL("../firmware/", import.meta.url))
export const FIRMWARE_ENTRY = "src/main.ts"
/** Shared code outside the DeviceScript project that the firmware compiles in. */
const SHARED_SOURCES = [fileURLToPath(new URL("../protocol/", import.meta.url))]

/** Compiles firmware/src/main.ts (cached by the hash of every source). */
export function buildFirmware(options: { cache?: boolean } = {}): Promise<CompileResult> {
    return compileDeviceScript({
        projectDir: FIRMWARE_DIR,
        entry: FIRMWARE_ENTRY,
        extraInputs: SHARED_SOURCES,
        cache: options.cache ?? true,
    })
}
