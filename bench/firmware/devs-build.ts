/**
 * Builds the bench's DeviceScript programs (firmware/bench, a project of its own) with
 * the pinned CLI's `devs build --stats`, and reads back the bytecode and its debug
 * information, which says how many bytes of bytecode each function takes and where in
 * the sources it comes from.
 *
 * The CLI writes its output to one fixed place in the project, so builds take the same
 * lock file, with the same protocol, as the simulator's compiler (devs-host/compile.ts):
 * a bench run and a test building the same project never overwrite each other.
 */
import { readFile, rm } from "node:fs/promises"
import { join, relative, resolve, sep } from "node:path"
import { fileURLToPath } from "node:url"
import { runDevsBuild, withBuildLock } from "@fieldlink/devs-host/compile"

export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url))
export const BENCH_PROJECT = join(REPO_ROOT, "firmware", "bench")

const BUILD_TIMEOUT_MS = 120_000

export interface DevsBuild {
    entry: string
    bytecode: Uint8Array
    /** Bytes of string literals: the compiler does not say which function they belong to. */
    stringBytes: number
    functionBytes: number
    /** Function bytes per source file, keyed by its path from the repository root. */
    functionBytesByFile: Map<string, number>
}

interface DebugInfo {
    sizes: Record<string, number>
    functions: Array<{ name: string; size: number; location: [number, number] }>
    sources: Array<{ path: string; length: number }>
}

/** Function bytes per source file, from the debug information's source map. Pure. */
export function functionBytesByFile(info: DebugInfo, projectDir: string): Map<string, number> {
    const starts: Array<{ start: number; end: number; path: string }> = []
    let offset = 0
    for (const source of info.sources) {
        const path = relative(REPO_ROOT, resolve(projectDir, source.path)).split(sep).join("/")
        starts.push({ start: offset, end: offset + source.length, path })
        offset += source.length
    }
    const bytes = new Map<string, number>()
    for (const fn of info.functions) {
        const at = fn.location[0]
        const file = starts.find(s => at >= s.start && at < s.end)?.path ?? "(unknown)"
        bytes.set(file, (bytes.get(file) ?? 0) + fn.size)
    }
    return bytes
}

/** `devs build <entry> --stats` in firmware/bench; `entry` relative to that project. */
export async function devsBuild(entry: string): Promise<DevsBuild> {
    return withBuildLock(BENCH_PROJECT, 2 * BUILD_TIMEOUT_MS, async () => {
        const bin = join(BENCH_PROJECT, ".devicescript", "bin")
        await rm(join(bin, "bytecode.devs"), { force: true })
        await runDevsBuild(BENCH_PROJECT, entry, BUILD_TIMEOUT_MS, ["--stats"])
        const bytecode = new Uint8Array(await readFile(join(bin, "bytecode.devs")))
        const info = JSON.parse(await readFile(join(bin, "bytecode-dbg.json"), "utf8")) as DebugInfo
        return {
            entry,
            bytecode,
            stringBytes: info.sizes.strings ?? 0,
            functionBytes: info.functions.reduce((sum, fn) => sum + fn.size, 0),
            functionBytesByFile: functionBytesByFile(info, BENCH_PROJECT),
        }
    })
}

/** Sum of function bytes over the files whose repository path matches `pattern`. */
export function functionBytesIn(build: DevsBuild, pattern: RegExp): number {
    let sum = 0
    for (const [file, bytes] of build.functionBytesByFile) if (pattern.test(file)) sum += bytes
    return sum
}
