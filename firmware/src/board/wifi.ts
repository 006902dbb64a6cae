/**
 * Joins the WiFi network named in the settings (`wifi_ssid`, `wifi_pass`).
 *
 * `fieldlink flash` writes these settings into the image because the runtime's own
 * network list cannot travel in a bundle (see ./keys.ts). At every boot the firmware
 * hands them to the runtime's WiFi service (`addNetwork`), which stores them and joins.
 * Re-adding known credentials is harmless; new ones (a re-flash) take over. Without
 * `wifi_ssid` (the simulator) nothing happens and the runtime keeps what it knows.
 */
import * as ds from "@devicescript/core"
import { readSetting } from "@devicescript/settings"
import { BOARD_SETTING_KEYS } from "@fieldlink/protocol/board-keys"

/** The runtime's WiFi service is on the board itself: it binds within a second or two. */
const BIND_TIMEOUT_MS = 10000
/** A join normally takes a few seconds; past this, ask for a fresh scan once. */
const JOIN_TIMEOUT_MS = 30000

/** A setting as text: a password of digits arrives as a number from a `.env` file. */
function text(value: any): string {
    if (typeof value === "string") return value
    if (typeof value === "number") return "" + value
    return ""
}

/** The register is a fixed 32-byte string in the spec (`s[32]`): a server may pad it with NULs. */
function untilNul(value: string): string {
    const end = value.indexOf("\0")
    return end < 0 ? value : value.slice(0, end)
}

async function waitBound(role: ds.Role, timeoutMs: number): Promise<boolean> {
    const deadline = ds.millis() + timeoutMs
    while (ds.millis() < deadline) {
        if (await role.binding().read()) return true
        await ds.sleep(100)
    }
    return false
}

export async function joinWifi(log: (line: string) => void): Promise<void> {
    const ssid = text(await readSetting(BOARD_SETTING_KEYS.wifiSsid, ""))
    if (ssid.length === 0) return
    const password = text(await readSetting(BOARD_SETTING_KEYS.wifiPassword, ""))
    const wifi = new ds.Wifi()
    if (!(await waitBound(wifi, BIND_TIMEOUT_MS))) {
        log(
            "wifi: this board has no WiFi service; " +
                BOARD_SETTING_KEYS.wifiSsid +
                " '" +
                ssid +
                "' not used",
        )
        return
    }
    log("wifi: joining '" + ssid + "'")
    await wifi.addNetwork(ssid, password)
    const deadline = ds.millis() + JOIN_TIMEOUT_MS
    while (ds.millis() < deadline) {
        if (untilNul(await wifi.ssid.read()) === ssid) {
            log("wifi: joined '" + ssid + "'")
            return
        }
        await ds.sleep(500)
    }
    // The runtime may still be retrying credentials it had before: rescan with ours.
    log("wifi: not joined '" + ssid + "' after " + JOIN_TIMEOUT_MS / 1000 + " s; rescanning")
    await wifi.reconnect()
}
