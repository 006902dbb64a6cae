/**
 * Board profiles (`boards/<id>.yaml`): read, checked against boards/schema.json, then
 * against DeviceScript's board catalogue (the board id exists, every pin is a usable
 * GPIO of its chip, no pin is used twice) and against the drivers fieldlink can start.
 * Every mistake is reported at once, with its file, line and path.
 */
import { readdirSync, readFileSync } from "node:fs"
import { basename, extname, resolve } from "node:path"
import { ConfigError } from "@fieldlink/lib/config/errors"
import { parseSourceText, readSourceFile, type SourceDocument } from "@fieldlink/lib/config/document"
import { locate, validateDocument } from "@fieldlink/lib/config/validate"
import { packageOf } from "@fieldlink/lib/package-info"
import { deviceScriptCatalog, flashLayout, type DsArch, type DsBoard, type FlashLayout } from "./catalog.js"
import {
    DRIVERS,
    GPIO_ROLES,
    hex,
    type DriverName,
    type DriverSpec,
    type GpioRoleName,
    type Reading,
} from "./drivers.js"
import { checkProfileSettings, normalizeSettings } from "./settings.js"
import { resolvePin, type PinUse } from "./pins.js"

/** The profiles and their schema sit at the package's root (not in its compiled dist/). */
export const BOARDS_DIR = packageOf(import.meta.url).root + "/"
export const PROFILE_SCHEMA = JSON.parse(readFileSync(resolve(BOARDS_DIR, "schema.json"), "utf8")) as Record<
    string,
    unknown
>

export type SettingValue = string | number | boolean
export type LedType = "mono" | "ws2812" | "apa102" | "sk9822"

export interface SensorConfig {
    driver: DriverName
    address: number
    provides: readonly Reading[]
    /** "sht30 at 0x44" */
    label: string
}

export interface GpioRoleConfig {
    role: GpioRoleName
    /** GPIO number. */
    pin: number
    name?: string
    /** "relay on GPIO5" */
    label: string
}

export interface BoardProfile {
    /** The file name without extension: what --board takes. */
    id: string
    file: string
    name: string
    description?: string
    url?: string
    simulator: boolean
    /** DeviceScript board id; absent for the simulator. */
    devicescriptBoard?: string
    /** DeviceScript arch id (esp32, esp32c3, esp32s2, esp32s3). */
    chip?: string
    chipName?: string
    idPrefix: string
    /** GPIO numbers. */
    i2c?: { sda: number; scl: number; khz: number }
    sensors: SensorConfig[]
    /** Roles on GPIO pins the program uses (GPIO_ROLES). */
    gpio: GpioRoleConfig[]
    statusLed?: { pin: number; type: LedType; clockPin?: number; activeHigh: boolean }
    log?: { tx: number; baud: number }
    settings: Record<string, SettingValue>
    layout?: FlashLayout
}

interface RawProfile {
    name: string
    description?: string
    url?: string
    devicescript_board?: string
    simulator?: true
    id_prefix?: string
    i2c?: { sda: number | string; scl: number | string; khz: number }
    sensors?: { driver: DriverName; address?: number }[]
    gpio?: { role: GpioRoleName; pin: number | string; name?: string }[]
    status_led?: {
        pin: number | string
        type: LedType
        clock_pin?: number | string
        active_high: boolean
    } | null
    log?: { tx: number | string; baud: number }
    settings?: Record<string, SettingValue>
}

/** A --board value that names no profile. */
export class UnknownBoardError extends Error {
    constructor(
        readonly board: string,
        readonly known: string[],
    ) {
        super(
            `unknown board '${board}'; the boards are: ${known.join(", ")} (see 'fieldlink boards', or pass a profile file: --board path/to/board.yaml)`,
        )
        this.name = "UnknownBoardError"
    }
}

/** JSON files next to the profiles that are not profiles: the schema and the package's own. */
const NOT_PROFILES = new Set(["schema.json", "package.json", "tsconfig.json"])

/** The profile ids in `dir` (every `*.yaml` / `*.yml` / `*.json` except the schema and package files). */
export function profileIds(dir = BOARDS_DIR): string[] {
    return readdirSync(dir)
        .filter(f => /\.(ya?ml|json)$/.test(f) && !NOT_PROFILES.has(f))
        .map(f => basename(f, extname(f)))
        .sort()
}

/** A --board value is a profile file when it looks like a path. */
function isPath(board: string): boolean {
    return board.includes("/") || /\.(ya?ml|json)$/.test(board)
}

function profileFile(board: string, dir: string): string {
    if (isPath(board)) return resolve(board)
    const ids = profileIds(dir)
    if (!ids.includes(board)) throw new UnknownBoardError(board, ids)
    const file = readdirSync(dir).find(f => basename(f, extname(f)) === board && !NOT_PROFILES.has(f))!
    return resolve(dir, file)
}

/** Loads and checks one profile: an id from `dir` or a path to a profile file. */
export function loadProfile(board: string, dir = BOARDS_DIR): BoardProfile {
    const file = profileFile(board, dir)
    return checkProfile(readSourceFile(file), basename(file, extname(file)), file)
}

/** Checks profile text (for tests and editors). */
export function parseProfile(text: string, id: string, source = `${id}.yaml`): BoardProfile {
    return checkProfile(parseSourceText(text, source), id, source)
}

export interface ProfileListing {
    profiles: BoardProfile[]
    invalid: { id: string; error: Error }[]
}

export function loadAllProfiles(dir = BOARDS_DIR): ProfileListing {
    const listing: ProfileListing = { profiles: [], invalid: [] }
    for (const id of profileIds(dir)) {
        try {
            listing.profiles.push(loadProfile(id, dir))
        } catch (error) {
            listing.invalid.push({ id, error: error as Error })
        }
    }
    return listing
}

function checkProfile(doc: SourceDocument, id: string, file: string): BoardProfile {
    const raw = validateDocument<RawProfile>(PROFILE_SCHEMA, doc)
    const problems: { line: number; text: string }[] = []
    const at = (path: (string | number)[], message: string) =>
        problems.push({ line: doc.lineOf(path) ?? 0, text: `${locate(doc, path)}: ${message}` })
    const profile: BoardProfile = {
        id,
        file,
        name: raw.name,
        description: raw.description,
        url: raw.url,
        simulator: raw.simulator === true,
        idPrefix: raw.id_prefix ?? id,
        sensors: [],
        gpio: [],
        settings: normalizeSettings(raw.settings ?? {}),
    }
    if (profile.simulator) checkSimulator(raw, at)
    else checkHardware(raw, profile, at)
    for (const [key, message] of checkProfileSettings(profile.settings)) at(["settings", key], message)
    if (problems.length > 0)
        throw new ConfigError(
            file,
            problems.sort((a, b) => a.line - b.line).map(p => p.text),
        )
    return profile
}

type At = (path: (string | number)[], message: string) => void

function checkSimulator(raw: RawProfile, at: At): void {
    for (const key of ["devicescript_board", "i2c", "status_led", "log"] as const)
        if (raw[key] !== undefined)
            at([key], `found ${key} in the simulator's profile, expected none: the simulator has no hardware`)
    if ((raw.gpio ?? []).length > 0)
        at(
            ["gpio"],
            "found gpio roles in the simulator's profile, expected none: the simulator serves your program's roles itself (fieldlink sim)",
        )
    if ((raw.sensors ?? []).length > 0)
        at(
            ["sensors"],
            "found sensors in the simulator's profile, expected none: the simulator adds simulated sensors itself (fieldlink sim)",
        )
}

function checkHardware(raw: RawProfile, profile: BoardProfile, at: At): void {
    const catalog = deviceScriptCatalog()
    if (raw.devicescript_board === undefined) {
        at(
            ["devicescript_board"],
            "found nothing, expected a DeviceScript board id (or `simulator: true` for the simulator's profile)",
        )
        return
    }
    const board = catalog.boards[raw.devicescript_board]
    const arch = board ? catalog.archs[board.archId] : undefined
    if (!board || !arch || !/^esp32/.test(board.archId)) {
        const esp = Object.values(catalog.boards)
            .filter(b => /^esp32/.test(b.archId))
            .map(b => b.id)
        at(
            ["devicescript_board"],
            `found ${JSON.stringify(raw.devicescript_board)}, expected a DeviceScript ESP32 board id: ${esp.join(", ")}`,
        )
        return
    }
    profile.devicescriptBoard = board.id
    profile.chip = arch.id
    profile.chipName = arch.name
    profile.layout = flashLayout(board, arch)

    const uses: PinUse[] = []
    const pin = (
        value: number | string | undefined,
        path: (string | number)[],
        role: PinUse["role"],
    ): number | undefined => {
        if (value === undefined) return undefined
        const r = resolvePin(value, board, arch, role)
        if (typeof r === "string") {
            at(path, r)
            return undefined
        }
        const clash = uses.find(u => u.gpio === r)
        if (clash) at(path, `found GPIO${r}, which ${clash.what} already uses; expected a pin of its own`)
        uses.push({ gpio: r, role, what: path.join(".") })
        return r
    }

    checkI2c(raw, board, profile, pin)
    checkSensors(raw, profile, at)
    for (const [i, g] of (raw.gpio ?? []).entries()) {
        const gpio = pin(g.pin, ["gpio", i, "pin"], GPIO_ROLES[g.role].pinRole)
        if (gpio !== undefined)
            profile.gpio.push({ role: g.role, pin: gpio, name: g.name, label: `${g.role} on GPIO${gpio}` })
    }
    checkLed(raw, board, profile, pin)
    checkLog(raw, board, arch, profile, pin, at)
}

type PinFn = (
    value: number | string | undefined,
    path: (string | number)[],
    role: PinUse["role"],
) => number | undefined

function checkI2c(raw: RawProfile, board: DsBoard, profile: BoardProfile, pin: PinFn): void {
    // Without an i2c block the DeviceScript board's own bus (a Qwiic connector, say) applies.
    const source = raw.i2c
        ? { sda: raw.i2c.sda, scl: raw.i2c.scl, khz: raw.i2c.khz }
        : board.i2c
          ? { sda: board.i2c.pinSDA, scl: board.i2c.pinSCL, khz: board.i2c.kHz ?? 100 }
          : undefined
    if (!source) return
    const base = raw.i2c ? ["i2c"] : ["devicescript_board"]
    const sda = pin(source.sda, [...base, ...(raw.i2c ? ["sda"] : [])], "io")
    const scl = pin(source.scl, [...base, ...(raw.i2c ? ["scl"] : [])], "output")
    if (sda !== undefined && scl !== undefined) profile.i2c = { sda, scl, khz: source.khz }
}

function checkSensors(raw: RawProfile, profile: BoardProfile, at: At): void {
    const sensors = raw.sensors ?? []
    if (sensors.length > 0 && !profile.i2c && !raw.i2c)
        at(
            ["sensors"],
            `found I2C sensors but no I2C bus: ${profile.devicescriptBoard} defines none, expected an i2c block (sda, scl)`,
        )
    const byReading = new Map<Reading, string>()
    const byAddress = new Map<number, string>()
    sensors.forEach((s, i) => {
        const spec: DriverSpec = DRIVERS[s.driver]
        const address = s.address ?? spec.addresses[0]
        const label = `${s.driver} at ${hex(address)}`
        if (!spec.addresses.includes(address))
            at(
                ["sensors", i, "address"],
                `found ${hex(address)}, expected ${spec.addresses.map(hex).join(" or ")} (the addresses a ${spec.part} answers on)`,
            )
        const other = byAddress.get(address)
        if (other)
            at(
                ["sensors", i, "address"],
                `found ${hex(address)}, which ${other} already uses on the same bus; expected an address of its own`,
            )
        byAddress.set(address, label)
        // The firmware reads one value per quantity (one DeviceScript role each).
        const taken = spec.provides.filter(r => byReading.has(r))
        if (taken.length > 0)
            at(
                ["sensors", i, "driver"],
                `found ${label} giving ${taken.join(", ")}, which ${byReading.get(taken[0])} gives already; expected one sensor per reading`,
            )
        for (const reading of spec.provides) if (!byReading.has(reading)) byReading.set(reading, label)
        profile.sensors.push({ driver: s.driver, address, provides: spec.provides, label })
    })
}

const LED_TYPES: Record<LedType, number> = { mono: 0, ws2812: 1, apa102: 2, sk9822: 3 }

export function ledTypeCode(type: LedType): number {
    return LED_TYPES[type]
}

function checkLed(raw: RawProfile, board: DsBoard, profile: BoardProfile, pin: PinFn): void {
    if (raw.status_led === null) return
    if (raw.status_led) {
        const led = raw.status_led
        const p = pin(led.pin, ["status_led", "pin"], "output")
        const clockNeeded = led.type === "apa102" || led.type === "sk9822"
        const clock = clockNeeded
            ? pin(led.clock_pin ?? -1, ["status_led", "clock_pin"], "output")
            : undefined
        if (p !== undefined && (!clockNeeded || clock !== undefined))
            profile.statusLed = { pin: p, type: led.type, clockPin: clock, activeHigh: led.active_high }
        return
    }
    if (!board.led?.pin) return
    const type =
        (Object.keys(LED_TYPES) as LedType[]).find(t => LED_TYPES[t] === (board.led?.type ?? 0)) ?? "mono"
    const p = pin(board.led.pin, ["devicescript_board"], "output")
    const clock =
        board.led.pinCLK !== undefined ? pin(board.led.pinCLK, ["devicescript_board"], "output") : undefined
    if (p !== undefined)
        profile.statusLed = { pin: p, type, clockPin: clock, activeHigh: board.led.activeHigh ?? true }
}

/** DeviceScript logs only on the bootloader's UART TX pin of each chip. */
const BOOT_UART_TX: Record<string, number> = { esp32: 1, esp32c3: 21, esp32s2: 43, esp32s3: 43 }

function checkLog(
    raw: RawProfile,
    board: DsBoard,
    arch: DsArch,
    profile: BoardProfile,
    pin: PinFn,
    at: At,
): void {
    const tx = raw.log?.tx ?? board.log?.pinTX
    if (tx === undefined) return
    const path = raw.log ? ["log", "tx"] : ["devicescript_board"]
    const gpio = pin(tx, path, "uart")
    if (gpio === undefined) return
    const expected = BOOT_UART_TX[arch.id]
    if (expected !== undefined && gpio !== expected) {
        at(
            path,
            `found GPIO${gpio}, expected GPIO${expected}: on the ${arch.name} DeviceScript logs only on the bootloader UART's TX pin`,
        )
        return
    }
    profile.log = { tx: gpio, baud: raw.log?.baud ?? 115200 }
}
