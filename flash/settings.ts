/**
 * The settings written into a board's image, from lowest to highest precedence:
 * the profile's defaults, firmware/.env.defaults, firmware/.env.local, then the flags
 * (--broker, --device-id, --wifi-ssid, --wifi-password). `board` is always the profile's
 * id; `transport` is "wifi" unless a profile or .env file says "serial". Every value is checked with the firmware's own
 * rules, and a problem names where the value came from.
 */
import { existsSync, readFileSync } from "node:fs"
import { join, relative } from "node:path"
import { SETTING_KEYS } from "@fieldlink/protocol/settings"
import { BOARD_SETTING_KEYS } from "@fieldlink/protocol/board-keys"
import type { BoardProfile, SettingValue } from "@fieldlink/boards/profile"
import { checkSettingValues, KNOWN_SETTINGS, normalizeSettings } from "@fieldlink/boards/settings"
import { MAX_SETTING_KEY_LENGTH } from "@fieldlink/devs-host"
import { FIRMWARE_DIR } from "@fieldlink/devs-host/firmware"
import { parseEnvFile } from "./env-file.js"
import { FlashError } from "./errors.js"

export interface SettingFlags {
    broker?: URL
    deviceId?: string
    wifiSsid?: string
    wifiPassword?: string
}

export interface EnvSource {
    /** For messages, e.g. "firmware/.env.local". */
    name: string
    text: string
}

export interface ComposedSettings {
    settings: Record<string, SettingValue>
    /** Where each value came from: "profile seeed_xiao_esp32c3", "firmware/.env.local:3", "--broker". */
    origin: Record<string, string>
    /** Keys the firmware does not read (kept: the user's own code may). */
    unknown: string[]
}

/** DeviceScript's own names for WiFi credentials in `.env` files, mapped to the firmware's. */
const DEVICESCRIPT_ALIASES: Record<string, string> = {
    WIFI_SSID: BOARD_SETTING_KEYS.wifiSsid,
    WIFI_PWD: BOARD_SETTING_KEYS.wifiPassword,
}

/** Settings that must never be printed. */
export const SECRET_SETTINGS: readonly string[] = [SETTING_KEYS.password, BOARD_SETTING_KEYS.wifiPassword]

/** The firmware project's `.env.defaults` and `.env.local`, those that exist. */
export function firmwareEnvFiles(dir: string = FIRMWARE_DIR): EnvSource[] {
    return [".env.defaults", ".env.local"]
        .map(f => join(dir, f))
        .filter(p => existsSync(p))
        .map(p => ({ name: relative(process.cwd(), p) || p, text: readFileSync(p, "utf8") }))
}

/** mqtt://user:pass@host:port → the firmware's broker settings (as sim/board-settings.ts). */
export function brokerSettings(broker: URL): Record<string, SettingValue> {
    const tls = broker.protocol === "mqtts:"
    const out: Record<string, SettingValue> = {
        [SETTING_KEYS.brokerHost]: broker.hostname,
        [SETTING_KEYS.brokerPort]: broker.port ? Number(broker.port) : tls ? 8883 : 1883,
        [SETTING_KEYS.tls]: tls,
    }
    if (broker.username) out[SETTING_KEYS.username] = decodeURIComponent(broker.username)
    if (broker.password) out[SETTING_KEYS.password] = decodeURIComponent(broker.password)
    return out
}

export function composeSettings(
    profile: BoardProfile,
    envFiles: readonly EnvSource[],
    flags: SettingFlags,
): ComposedSettings {
    const settings: Record<string, SettingValue> = {}
    const origin: Record<string, string> = {}
    const set = (key: string, value: SettingValue, from: string) => {
        settings[key] = value
        origin[key] = from
    }
    const problems: string[] = []
    for (const [k, v] of Object.entries(profile.settings)) set(k, v, `profile ${profile.id}`)
    for (const file of envFiles) {
        const parsed = parseEnvFile(file.text)
        for (const p of parsed.problems)
            problems.push(
                `${file.name}:${p.line}: found ${JSON.stringify(p.text.trim())}, expected KEY=value`,
            )
        for (const e of parsed.entries)
            set(DEVICESCRIPT_ALIASES[e.key] ?? e.key, e.value, `${file.name}:${e.line}`)
    }
    if (flags.broker) for (const [k, v] of Object.entries(brokerSettings(flags.broker))) set(k, v, "--broker")
    if (flags.deviceId !== undefined) set(SETTING_KEYS.deviceId, flags.deviceId, "--device-id")
    if (flags.wifiSsid !== undefined) set(BOARD_SETTING_KEYS.wifiSsid, flags.wifiSsid, "--wifi-ssid")
    if (flags.wifiPassword !== undefined)
        set(BOARD_SETTING_KEYS.wifiPassword, flags.wifiPassword, "--wifi-password")
    set(SETTING_KEYS.board, profile.id, `profile ${profile.id}`)
    if (settings[SETTING_KEYS.transport] === undefined) set(SETTING_KEYS.transport, "wifi", "fieldlink flash")

    const normalized = normalizeSettings(settings)
    const unknown = Object.keys(normalized).filter(k => !KNOWN_SETTINGS.includes(k))
    for (const key of Object.keys(normalized))
        if (key.length > MAX_SETTING_KEY_LENGTH)
            problems.push(
                `${origin[key]}: setting ${key}: found ${key.length} characters, expected at most ${MAX_SETTING_KEY_LENGTH} (readSetting refuses longer names)`,
            )
    for (const [key, message] of checkSettingValues(normalized)) {
        if (unknown.includes(key)) continue
        const shown = SECRET_SETTINGS.includes(key)
            ? message.replace(/^found "[^"]*"/, "found a value")
            : message
        problems.push(`${origin[key] ?? "settings"}: setting ${key}: ${shown}`)
    }
    if (problems.length > 0)
        throw new FlashError(`the settings for the board are not valid:\n    ${problems.join("\n    ")}`, [
            "fix the values above (docs/firmware.md lists every setting)",
        ])
    return { settings: normalized, origin, unknown }
}
