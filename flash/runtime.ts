/**
 * The DeviceScript runtime image for a board: a local file (--runtime-image, for sites
 * without internet), or the image of the pinned devicescript-esp32 release
 * (boards/runtime-release.ts), downloaded once into a cache and refused unless its
 * sha256 is the one recorded there. Every image, wherever it came from, is checked for
 * this board (./runtime-check.ts) before anything is written.
 *
 * Cache: $FIELDLINK_CACHE_DIR, else $XDG_CACHE_HOME/fieldlink, else ~/.cache/fieldlink;
 * images under runtime/<release>/ by their published file name, each with a .json note
 * of where and when it came from. FIELDLINK_RUNTIME_MIRROR replaces the release's
 * download address by a mirror holding the same file names (the sha256 check stays).
 */
import { createHash } from "node:crypto"
import { existsSync } from "node:fs"
import { mkdir, readFile, rename, writeFile } from "node:fs/promises"
import { homedir } from "node:os"
import { basename, join } from "node:path"
import type { BoardProfile } from "@fieldlink/boards/profile"
import {
    assetFileName,
    releaseAssetUrl,
    RUNTIME_IMAGE_SHA256,
    RUNTIME_RELEASE,
} from "@fieldlink/boards/runtime-release"
import { FlashError } from "./errors.js"
import { checkRuntimeImage, type RuntimeTarget } from "./runtime-check.js"

const DOWNLOAD_TIMEOUT_MS = 120_000

export interface RuntimeImage {
    bytes: Uint8Array
    /** Where it came from, for the person: a path, "cached <path>", or "downloaded <url>". */
    source: string
    /** Notes for the person (an unverified or unofficial image). */
    notes: string[]
}

export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
    if (env.FIELDLINK_CACHE_DIR) return env.FIELDLINK_CACHE_DIR
    return join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "fieldlink")
}

/** The published file name of a board's runtime image. */
export function runtimeFileName(profile: BoardProfile): string {
    const published = profile.layout?.runtimeUrl
    if (!published)
        throw new FlashError(
            `DeviceScript publishes no runtime image for ${profile.devicescriptBoard ?? profile.id}`,
            ["pass a runtime image you built or downloaded with --runtime-image FILE"],
        )
    return assetFileName(published)
}

/** The download URL of a board's runtime in the pinned release, through the mirror when one is set. */
export function runtimeUrl(profile: BoardProfile, env: NodeJS.ProcessEnv = process.env): string {
    const file = runtimeFileName(profile)
    const mirror = env.FIELDLINK_RUNTIME_MIRROR
    return mirror ? `${mirror.replace(/\/+$/, "")}/${file}` : releaseAssetUrl(file)
}

export function sha256(bytes: Uint8Array): string {
    return createHash("sha256").update(bytes).digest("hex")
}

function target(profile: BoardProfile): RuntimeTarget {
    return {
        chip: profile.chip!,
        chipName: profile.chipName!,
        devicescriptBoard: profile.devicescriptBoard!,
        layout: profile.layout!,
    }
}

function check(
    bytes: Uint8Array,
    fileName: string | undefined,
    profile: BoardProfile,
    what: string,
    extraHints: string[] = [],
): void {
    const problem = checkRuntimeImage(bytes, fileName, target(profile))
    if (problem)
        throw new FlashError(
            `${what} is not a DeviceScript runtime image for ${profile.name}: ${problem.problem}`,
            [...problem.hints, ...extraHints],
        )
}

/** Why bytes that should be `file` of the release are not, or undefined when their sha256 matches. */
function hashProblem(
    file: string,
    bytes: Uint8Array,
    hashes: Readonly<Record<string, string | undefined>>,
): string | undefined {
    const expected = hashes[file]
    if (expected === undefined)
        return `no sha256 is recorded for ${file} of devicescript-esp32 ${RUNTIME_RELEASE} (boards/runtime-release.ts), so it cannot be verified`
    const found = sha256(bytes)
    return found === expected
        ? undefined
        : `its sha256 is ${found}, expected ${expected} (the ${RUNTIME_RELEASE} release's ${file})`
}

export interface ObtainOptions {
    profile: BoardProfile
    /** --runtime-image */
    file?: string
    /** --refresh-runtime */
    refresh?: boolean
    env?: NodeJS.ProcessEnv
    log?: (line: string) => void
    /** The recorded sha256 of each release file (tests put their own). */
    hashes?: Readonly<Record<string, string | undefined>>
}

export async function obtainRuntime(o: ObtainOptions): Promise<RuntimeImage> {
    const env = o.env ?? process.env
    const hashes = o.hashes ?? RUNTIME_IMAGE_SHA256
    if (o.file) return await localImage(o.file, o.profile, hashes)
    const file = runtimeFileName(o.profile)
    const url = runtimeUrl(o.profile, env)
    const dir = join(cacheDir(env), "runtime", RUNTIME_RELEASE)
    const path = join(dir, file)
    const offline = [
        `or, on a machine with internet access, download ${releaseAssetUrl(file)}, compare its sha256 with the release's, and flash with --runtime-image ${file}`,
    ]
    const unverified = hashes[file] === undefined
    // Checked before the cache or the network: an image that cannot be verified is never fetched.
    if (unverified)
        throw new FlashError(
            `the DeviceScript runtime ${file} cannot be downloaded safely: ${hashProblem(file, new Uint8Array(), hashes)}`,
            [
                `download it yourself from ${releaseAssetUrl(file)} and pass it with --runtime-image FILE (its structure is checked)`,
                "maintainers: record its sha256 in boards/runtime-release.ts (npx tsx scripts/runtime-hashes.ts prints them; see docs/flashing.md)",
            ],
        )
    if (!o.refresh && existsSync(path)) {
        const bytes = new Uint8Array(await readFile(path))
        const problem = hashProblem(file, bytes, hashes)
        if (problem)
            throw new FlashError(`the cached runtime ${path} is not the published one: ${problem}`, [
                "download it again with --refresh-runtime",
            ])
        check(bytes, file, o.profile, path, ["delete it, or download it again with --refresh-runtime"])
        return { bytes, source: `cached ${path}`, notes: [] }
    }
    o.log?.(`downloading the DeviceScript runtime (${RUNTIME_RELEASE}) from ${url}`)
    const bytes = await download(url, o.profile, offline)
    const problem = hashProblem(file, bytes, hashes)
    if (problem)
        throw new FlashError(`the runtime downloaded from ${url} was refused: ${problem}`, [
            "nothing was written or cached; try again later, or from another network (a proxy or a broken mirror can alter downloads)",
            ...offline,
        ])
    check(bytes, file, o.profile, `the file downloaded from ${url}`, offline)
    await mkdir(dir, { recursive: true })
    const partial = `${path}.${process.pid}.tmp`
    await writeFile(partial, bytes)
    await rename(partial, path)
    const note = {
        url,
        release: RUNTIME_RELEASE,
        sha256: sha256(bytes),
        bytes: bytes.length,
        downloaded: new Date().toISOString(),
    }
    await writeFile(`${path}.json`, JSON.stringify(note, null, 2) + "\n")
    return { bytes, source: `downloaded ${url} (sha256 verified; cached as ${path})`, notes: [] }
}

/** --runtime-image: the person's own file, checked for the board; its origin is noted, not required. */
async function localImage(
    file: string,
    profile: BoardProfile,
    hashes: Readonly<Record<string, string | undefined>>,
): Promise<RuntimeImage> {
    let bytes: Uint8Array
    try {
        bytes = new Uint8Array(await readFile(file))
    } catch (e) {
        throw new FlashError(
            `cannot read the runtime image ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            ["check the path given to --runtime-image"],
        )
    }
    check(bytes, basename(file), profile, file)
    const published = profile.layout?.runtimeUrl ? runtimeFileName(profile) : undefined
    const expected = published ? hashes[published] : undefined
    const notes: string[] = []
    if (published && expected === undefined)
        notes.push(
            `note: ${basename(file)} passed the image checks; its sha256 ${sha256(bytes)} is not compared (none is recorded for ${published} of ${RUNTIME_RELEASE})`,
        )
    else if (expected !== undefined && sha256(bytes) !== expected)
        notes.push(
            `note: ${basename(file)} is not the ${RUNTIME_RELEASE} release's ${published} (sha256 differs); it passed the image checks and is used as given`,
        )
    return {
        bytes,
        source:
            expected !== undefined && sha256(bytes) === expected
                ? `${file} (the ${RUNTIME_RELEASE} release's, sha256 verified)`
                : file,
        notes,
    }
}

async function download(url: string, profile: BoardProfile, offline: string[]): Promise<Uint8Array> {
    let response: Response
    try {
        response = await fetch(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS), redirect: "follow" })
    } catch (e) {
        const cause = (e as Error & { cause?: { code?: string; message?: string } }).cause
        const why = cause?.code ?? cause?.message ?? (e as Error).message
        throw new FlashError(
            `could not download the DeviceScript runtime for ${profile.name} from ${url}: ${why}`,
            offline,
        )
    }
    if (!response.ok)
        throw new FlashError(
            `could not download the DeviceScript runtime for ${profile.name} from ${url}: HTTP ${response.status} ${response.statusText}`,
            offline,
        )
    return new Uint8Array(await response.arrayBuffer())
}
