/**
 * Reads the firmware configuration from DeviceScript settings (flash key/value store,
 * written by `fieldlink flash`, the simulator, or `.env.defaults` at build time).
 */
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { RawSetting, resolveConfig, ResolvedConfig, SETTING_KEYS } from "@fieldlink/protocol/settings"

export interface LoadedConfig extends ResolvedConfig {
    /** Whether the setting `interval_ms` was given (it then wins over the program's own period). */
    intervalSet: boolean
}

export async function loadConfig(): Promise<LoadedConfig> {
    const values: Record<string, RawSetting> = {}
    const keys = Object.values(SETTING_KEYS) as string[]
    for (const key of keys) values[key] = await readSetting<RawSetting>(key, undefined)
    const resolved = resolveConfig(key => values[key])
    if (resolved.config.deviceId.length === 0) resolved.config.deviceId = ds.deviceIdentifier("self")
    const interval = values[SETTING_KEYS.intervalMs]
    return {
        config: resolved.config,
        errors: resolved.errors,
        intervalSet: interval !== undefined && interval !== null && interval !== "",
    }
}
