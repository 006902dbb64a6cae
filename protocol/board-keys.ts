/**
 * Setting names of the board layer, shared by the firmware and `fieldlink flash` (which
 * writes them into the image). Pure: no DeviceScript imports, so Node code can use it.
 *
 * WiFi credentials are ordinary settings because a bundled image cannot carry the
 * runtime's own WiFi configuration: `devs bundle` (and our bundler) write settings from
 * a VM that has no WiFi service, so the firmware adds the network itself at boot.
 */
export const BOARD_SETTING_KEYS = {
    wifiSsid: "wifi_ssid",
    wifiPassword: "wifi_pass",
}
