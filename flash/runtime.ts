/**
 * The DeviceScript runtime image for a board: a local file (--runtime-image, for sites
 * without internet), or the image DeviceScript publishes for the board, downloaded once
 * into a cache as `devs flash` does. DeviceScript is no longer developed, so a cached
 * image stays valid; --refresh-runtime downloads it again.
 *
 * Cache: $FIELDLINK_CACHE_DIR, else $XDG_CACHE_HOME/fieldlink, else ~/.cache/fieldlink;
 * images under runtime/ by their published file name, each with a .json note of where
 * and when it came from. FIELDLINK_RUNTIME_MIRROR replaces the download location
 * (https://github.com/microsoft/devicescript-esp32/releases/latest/download) by a mirror
 * holding the same file names.
 */
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { basename, join } from "node:path"
import type { BoardProfile } from "@fieldlink/boards/profile"
import { FlashError } from "./errors.js"
import { runtimeImageProblem } from "./image.js"

export const DEFAULT_RUNTIME_BASE = "https://github.com/microsoft/devicescript-esp32/releases/latest/download"
const DOWNLOAD_TIMEOUT_MS = 120_000

export interface RuntimeImage {
    bytes: Uint8Array
    /** Where it came from, for the person: a path, "cached <path>", or "downloaded <url>". */
    source: string
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
    if (env.FIELDLINK_CACHE_DIR) return env.FIELDLINK_CACHE_DIR
    return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "fieldlink")
}

/** The download URL of a board's runtime, through the mirror when one is set. */
export function runtimeUrl(profile: BoardProfile, env: NodeJS.ProcessEnv = process.env): string {
    const published = profile.layout?.runtimeUrl
    if (!published) throw new FlashError(`DeviceScript publishes no runtime image for ${profile.devicescriptBoard ?? profile.id}`, ["pass a runtime image you built or downloaded with --runtime-image FILE"])
    const mirror = env.FIELDLINK_RUNTIME_MIRROR
    return mirror ? `${mirror.replace(/\/+$/, "")}/${basename(new URL(published).pathname)}` : published
}

function check(bytes: Uint8Array, profile: BoardProfile, what: string, hints: string[]): void {
    const problem = runtimeImageProblem(bytes, profile.layout!)
    if (problem) throw new FlashError(`${what} is not a DeviceScript runtime image for ${profile.name}: ${problem}`, hints)
}

export interface ObtainOptions {
    profile: BoardProfile
    /** --runtime-image */
    file?: string
    /** --refresh-runtime */
    refresh?: boolean
    env?: NodeJS.ProcessEnv
    log?: (line: string) => void
}

export async function obtainRuntime(o: ObtainOptions): Promise<RuntimeImage> {
    const env = o.env ?? process.env
    if (o.file) {
        let bytes: Uint8Array
        try {
            bytes = new Uint8Array(await readFile(o.file))
        } catch (e) {
            throw new FlashError(`cannot read the runtime image ${o.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ["check the path given to --runtime-image"])
        }
        check(bytes, o.profile, o.file, [`use the image made for ${o.profile.devicescriptBoard} (${o.profile.layout?.runtimeUrl ? basename(o.profile.layout.runtimeUrl) : "see docs/flashing.md"})`])
        return { bytes, source: o.file }
    }
    const url = runtimeUrl(o.profile, env)
    const dir = join(cacheDir(env), "runtime")
    const path = join(dir, basename(new URL(url).pathname))
    if (!o.refresh && existsSync(path)) {
        const bytes = new Uint8Array(await readFile(path))
        check(bytes, o.profile, path, ["delete it, or download it again with --refresh-runtime"])
        return { bytes, source: `cached ${path}` }
    }
    o.log?.(`downloading the DeviceScript runtime from ${url}`)
    const bytes = await download(url, o.profile)
    check(bytes, o.profile, `the file downloaded from ${url}`, [`pass a runtime image with --runtime-image FILE (${basename(path)} from the DeviceScript releases)`])
    await mkdir(dir, { recursive: true })
    const partial = `${path}.${process.pid}.tmp`
    await writeFile(partial, bytes)
    await rename(partial, path)
    const note = { url, sha256: createHash("sha256").update(bytes).digest("hex"), bytes: bytes.length, downloaded: new Date().toISOString() }
    await writeFile(`${path}.json`, JSON.stringify(note, null, 2) + "\n")
    return { bytes, source: `downloaded ${url} (cached as ${path})` }
}

async function download(url: string, profile: BoardProfile): Promise<Uint8Array> {
    const file = basename(new URL(url).pathname)
    const hints = [
        `on a machine with internet access, download ${profile.layout?.runtimeUrl ?? url}`,
        `then flash offline with --runtime-image ${file} (or put it in ${join(cacheDir(), "runtime")})`,
    ]
    let response: Response
    try {
        response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: "follow" })
    } catch (e) {
        const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause
        const why = cause?.code ?? cause?.message ?? (e as Error).message
        throw new FlashError(`could not download the DeviceScript runtime for ${profile.name} from ${url}: ${why}`, hints)
    }
    if (!response.ok) throw new FlashError(`could not download the DeviceScript runtime for ${profile.name} from ${url}: HTTP ${response.status} ${response.statusText}`, hints)
    return new Uint8Array(await response.arrayBuffer())
}
