/**
 * Reads the firmware configuration from DeviceScript settings (flash key/value store,
 * written by `fieldlink flash`, the simulator, or `.env.defaults` at build time).
 */
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { RawSetting, resolveConfig, ResolvedConfig, SETTING_KEYS } from "@fieldlink/protocol/settings"

export async function loadConfig(): Promise<ResolvedConfig> {
    const values: Record<string, RawSetting> = {}
    const keys = Object.values(SETTING_KEYS) as string[]
    for (const key of keys) values[key] = await readSetting<RawSetting>(key, undefined)
    const resolved = resolveConfig(key => values[key])
    if (resolved.config.deviceId.length === 0) resolved.config.deviceId = ds.deviceIdentifier("self")
    return resolved
}
