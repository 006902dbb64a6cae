/**
 * DeviceScript's own board catalogue (board ids, chips, pin labels, where the runtime
 * image is published and where its flash storage lives), read from the pinned
 * `@devicescript/cli` bundle rather than copied here, so it cannot drift from the
 * runtime that `devs flash` would install.
 *
 * The bundle carries it as an object literal (`var boards_default = { archs, boards }`),
 * the same data `devs flash --help` lists. It is cut out and evaluated as data in an
 * empty context, once per process.
 */
import { readFileSync } from "node:fs"
import { runInNewContext } from "node:vm"
import { locateCli } from "@fieldlink/devs-host/bundle"
import { assetFileName, releaseAssetUrl } from "./runtime-release.js"

export interface DsArch {
    id: string
    name: string
    /** Runtime image without board configuration (patched by `devs flash` for custom boards). */
    bareUrl?: string
    /** Flash address of the first byte of a runtime `.bin`. */
    binFlashOffset?: string | number
    dcfgOffset: string | number
    flashPageSize?: number
    /** Flash address of the settings and program storage ("fstor"). */
    fstorOffset: string | number
    fstorPages: number
    /** Pin classes: "0-10,bootUart" style lists that may name other classes. */
    pins: Record<string, string>
}

export interface DsBoard {
    id: string
    archId: string
    devName: string
    $description?: string
    $fwUrl?: string
    url?: string
    pins?: Record<string, number>
    i2c?: { pinSDA: string | number; pinSCL: string | number; kHz?: number; $connector?: string }
    led?: {
        pin?: string | number
        pinCLK?: string | number
        type?: number
        isMono?: boolean
        activeHigh?: boolean
    }
    log?: { pinTX: string | number; baud?: number }
    fstorOffset?: string | number
    fstorPages?: number
    flashPageSize?: number
    $flashToolArguments?: string[]
}

export interface DsCatalog {
    archs: Record<string, DsArch>
    boards: Record<string, DsBoard>
}

const START = "var boards_default = "
/** The literal is indented by 4 spaces in the bundle; its closing brace is the first at that depth. */
const END = "\n    };\n"

/** Cuts the catalogue literal out of the bundle text and evaluates it. Pure; exported for tests. */
export function extractCatalog(bundleText: string): DsCatalog {
    const start = bundleText.indexOf(START)
    if (start < 0)
        throw new Error(
            "The DeviceScript CLI bundle no longer holds its board catalogue (`var boards_default`).",
        )
    const end = bundleText.indexOf(END, start)
    if (end < 0) throw new Error("The board catalogue in the DeviceScript CLI bundle has no end.")
    const literal = bundleText.slice(start + START.length, end + END.length - 2)
    const catalog = runInNewContext(`(${literal})`, Object.create(null), { timeout: 2000 }) as DsCatalog
    if (!catalog || typeof catalog.archs !== "object" || typeof catalog.boards !== "object")
        throw new Error("The board catalogue in the DeviceScript CLI bundle has an unexpected shape.")
    return catalog
}

let cached: DsCatalog | undefined

export function deviceScriptCatalog(): DsCatalog {
    cached ??= extractCatalog(readFileSync(locateCli().bundle, "utf8"))
    return cached
}

export function parseAnyInt(value: string | number | undefined): number | undefined {
    if (value === undefined) return undefined
    if (typeof value === "number") return value
    const n = Number(value)
    return Number.isInteger(n) ? n : undefined
}

/**
 * The GPIO numbers of every pin class of an arch, e.g. `io` of the ESP32-C3 =
 * "0-10,bootUart" = 0..10, 20, 21. A class may name other classes. Pure.
 */
export function pinClasses(arch: DsArch): Map<string, Set<number>> {
    const out = new Map<string, Set<number>>()
    const resolve = (name: string, seen: string[]): Set<number> => {
        const done = out.get(name)
        if (done) return done
        if (seen.includes(name)) throw new Error(`pin class ${name} of ${arch.id} refers to itself`)
        const set = new Set<number>()
        for (const part of (arch.pins[name] ?? "")
            .split(",")
            .map(p => p.trim())
            .filter(Boolean)) {
            const range = /^(\d+)-(\d+)$/.exec(part)
            if (range) for (let i = Number(range[1]); i <= Number(range[2]); i++) set.add(i)
            else if (/^\d+$/.test(part)) set.add(Number(part))
            else for (const n of resolve(part, [...seen, name])) set.add(n)
        }
        out.set(name, set)
        return set
    }
    for (const name of Object.keys(arch.pins)) resolve(name, [])
    return out
}

/** Where a board's runtime image and storage go in flash. */
export interface FlashLayout {
    /** Flash address the runtime `.bin` (and so the bundled image) is written at. */
    binFlashOffset: number
    /** Flash address of the storage that holds the program and the settings. */
    fstorOffset: number
    pageSize: number
    fstorPages: number
    /**
     * Runtime image published by DeviceScript for this board, if any: in the pinned
     * release (./runtime-release.ts), not at `latest` where DeviceScript's catalogue points.
     */
    runtimeUrl: string | undefined
}

export function flashLayout(board: DsBoard, arch: DsArch): FlashLayout {
    const fstorOffset = parseAnyInt(board.fstorOffset ?? arch.fstorOffset)
    const fstorPages = board.fstorPages ?? arch.fstorPages
    if (fstorOffset === undefined || !fstorPages)
        throw new Error(`The DeviceScript catalogue gives no storage offset for ${board.id}.`)
    return {
        binFlashOffset: parseAnyInt(arch.binFlashOffset) ?? 0,
        fstorOffset,
        pageSize: board.flashPageSize ?? arch.flashPageSize ?? 4096,
        fstorPages,
        runtimeUrl: board.$fwUrl ? releaseAssetUrl(assetFileName(board.$fwUrl)) : undefined,
    }
}
