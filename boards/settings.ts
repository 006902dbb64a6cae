/**
 * The firmware settings a profile (or firmware/.env.local, or a flash flag) may set, and
 * their checks: the names the firmware reads (protocol/settings.ts and
 * protocol/board-keys.ts) and the same validation the firmware applies at boot, run
 * here so a bad value fails the build instead of being replaced by its default on the
 * board.
 */
import { resolveConfig, SETTING_KEYS, type RawSetting } from "@fieldlink/protocol/settings"
import { BOARD_SETTING_KEYS } from "@fieldlink/protocol/board-keys"

export const KNOWN_SETTINGS: readonly string[] = [
    ...Object.values(SETTING_KEYS),
    ...Object.values(BOARD_SETTING_KEYS),
]

/** Settings `fieldlink flash` writes itself: per board, so a profile default makes no sense. */
export const FLASH_OWNED_SETTINGS: Readonly<Record<string, string>> = {
    [SETTING_KEYS.board]: "fieldlink flash sets it to the profile's id",
    [SETTING_KEYS.deviceId]:
        "a device id must differ from board to board: pass --device-id to fieldlink flash",
}

/** How a flashed board reaches the broker: MQTT over WiFi, or lines to a fieldlink gateway. */
export const TRANSPORTS: readonly string[] = ["wifi", "serial"]

/** Settings whose value is text: a password of digits must not be stored as a number. */
export const TEXT_SETTINGS: readonly string[] = [
    SETTING_KEYS.brokerHost,
    SETTING_KEYS.username,
    SETTING_KEYS.password,
    SETTING_KEYS.topicRoot,
    SETTING_KEYS.deviceId,
    BOARD_SETTING_KEYS.wifiSsid,
    BOARD_SETTING_KEYS.wifiPassword,
]

/** A copy with the text settings' numbers turned into text. Pure. */
export function normalizeSettings<T extends string | number | boolean>(
    settings: Readonly<Record<string, T>>,
): Record<string, T | string> {
    const out: Record<string, T | string> = {}
    for (const [key, value] of Object.entries(settings))
        out[key] = TEXT_SETTINGS.includes(key) && typeof value === "number" ? String(value) : value
    return out
}

/**
 * Checks values with the firmware's own rules; returns [key, sentence] per problem.
 * Unknown keys are reported with the known ones. Pure.
 */
export function checkSettingValues(
    settings: Readonly<Record<string, string | number | boolean>>,
): [string, string][] {
    const problems: [string, string][] = []
    for (const key of Object.keys(settings))
        if (!KNOWN_SETTINGS.includes(key))
            problems.push([
                key,
                `unknown setting ${JSON.stringify(key)}; expected one of ${KNOWN_SETTINGS.join(", ")}`,
            ])
    const { errors } = resolveConfig(key => settings[key] as RawSetting)
    for (const e of errors) {
        // "setting mqtt_port: found 70000, expected ...; using the default"
        const m = /^setting (\S+): (.*?)(?:; (?:using the default|skipping it))?$/.exec(e)
        if (m) problems.push([m[1], m[2]])
    }
    for (const key of [BOARD_SETTING_KEYS.wifiSsid, BOARD_SETTING_KEYS.wifiPassword]) {
        const v = settings[key]
        if (v !== undefined && typeof v !== "string")
            problems.push([key, `found ${JSON.stringify(v)}, expected text`])
    }
    const transport = settings[SETTING_KEYS.transport]
    if (transport !== undefined && !TRANSPORTS.includes(String(transport)))
        problems.push([
            SETTING_KEYS.transport,
            `found ${JSON.stringify(transport)}, expected ${TRANSPORTS.map(t => JSON.stringify(t)).join(" or ")}`,
        ])
    const ssid = settings[BOARD_SETTING_KEYS.wifiSsid]
    if (typeof ssid === "string" && (ssid.length === 0 || new TextEncoder().encode(ssid).length > 32))
        problems.push([
            BOARD_SETTING_KEYS.wifiSsid,
            `found ${JSON.stringify(ssid)}, expected 1 to 32 bytes (a WiFi network name)`,
        ])
    const pass = settings[BOARD_SETTING_KEYS.wifiPassword]
    if (typeof pass === "string" && pass.length > 0 && (pass.length < 8 || pass.length > 63))
        problems.push([
            BOARD_SETTING_KEYS.wifiPassword,
            `found ${pass.length} characters, expected 8 to 63 (WPA2), or none for an open network`,
        ])
    return problems
}

/** A profile's settings: the value checks, and no per-board settings. */
export function checkProfileSettings(
    settings: Readonly<Record<string, string | number | boolean>>,
): [string, string][] {
    const problems = checkSettingValues(settings)
    for (const [key, why] of Object.entries(FLASH_OWNED_SETTINGS))
        if (settings[key] !== undefined)
            problems.push([key, `found ${JSON.stringify(settings[key])} in a profile, expected none: ${why}`])
    return problems
}
