/**
 * Program + settings + runtime → the one image written to the board, checked by reading
 * it back before anything is flashed: the storage at the board's offset must hold
 * exactly the program that was built and the settings that were composed.
 */
import type { FlashLayout } from "@fieldlink/boards/catalog"
import type { SettingValue } from "@fieldlink/boards/profile"
import { currentHeader, FstorError, headerMismatch, readEntries, readProgram, readSettings } from "./fstor.js"
import { bundleImage, imageStorage } from "./image.js"
import { buildStorage } from "./storage.js"

export interface BundleInput {
    runtime: Uint8Array
    program: Uint8Array
    settings: Readonly<Record<string, SettingValue>>
    layout: FlashLayout
}

/** What the image holds, read back from it. */
export interface BundleContents {
    program: Uint8Array
    settings: Record<string, unknown>
}

/** The program and settings of a bundled image, refused unless the board's runtime would mount its storage as it is. */
export function readBundle(image: Uint8Array, layout: FlashLayout): BundleContents {
    const storage = imageStorage(image, layout)
    const mismatch = headerMismatch(currentHeader(storage), layout.pageSize, layout.fstorPages)
    if (mismatch) throw new FstorError(mismatch)
    const entries = readEntries(storage)
    return { program: readProgram(entries), settings: readSettings(entries) }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
    return a.length === b.length && a.every((x, i) => x === b[i])
}

/** Every difference between what was meant and what the image holds, as sentences. Pure. */
export function bundleDifferences(
    contents: BundleContents,
    program: Uint8Array,
    settings: Readonly<Record<string, SettingValue>>,
): string[] {
    const out: string[] = []
    if (!sameBytes(contents.program, program))
        out.push(
            `the program read back is ${contents.program.length} bytes and differs from the ${program.length} bytes built`,
        )
    const keys = new Set([...Object.keys(settings), ...Object.keys(contents.settings)])
    for (const key of [...keys].sort())
        if (JSON.stringify(contents.settings[key]) !== JSON.stringify(settings[key]))
            out.push(`setting ${key} reads back as ${JSON.stringify(contents.settings[key]) ?? "nothing"}`)
    return out
}

export async function bundle(input: BundleInput): Promise<Uint8Array> {
    const storage = await buildStorage({
        program: input.program,
        settings: input.settings,
        pageSize: input.layout.pageSize,
        pages: input.layout.fstorPages,
    })
    const image = bundleImage(input.runtime, storage, input.layout)
    const differences = bundleDifferences(readBundle(image, input.layout), input.program, input.settings)
    if (differences.length > 0)
        throw new Error(`the bundled image does not hold what was put in: ${differences.join("; ")}`)
    return image
}
