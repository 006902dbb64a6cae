// A STAND-IN for the runtime's WiFi service (the DeviceScript VM has none): a Jacdac
// WiFi server on a simulated board's bus. It records AddNetwork and then reports that
// network as joined, as the ESP32 runtime's service does once connected.
// @ts-expect-error -- jacdac-ts ships its declarations outside its "exports" map (see devs-host/jacdac.ts).
import * as runtime from "jacdac-ts"
import type * as Types from "jacdac-ts-types"
import type { JDBus } from "../../../devs-host/jacdac.js"

const jd = runtime as typeof Types

class WifiStandIn extends jd.JDServiceServer {
    private readonly ssid = this.addRegister<[string]>(jd.WifiReg.Ssid, [""])

    constructor(onAdd: (ssid: string, password: string) => void) {
        super(jd.SRV_WIFI)
        this.addCommand(jd.WifiCmd.AddNetwork, (pkt: Types.Packet) => {
            const [ssid, password] = pkt.jdunpack<[string, string]>("z z")
            onAdd(ssid, password)
            this.ssid.setValues([ssid])
        })
        this.addCommand(jd.WifiCmd.Reconnect, () => undefined)
    }
}

export function addWifiStandIn(bus: JDBus, onAdd: (ssid: string, password: string) => void): void {
    const server = new WifiStandIn(onAdd)
    jd.addServiceProvider(bus, {
        name: "wifi-stand-in",
        serviceClasses: [jd.SRV_WIFI],
        services: () => [server],
    })
}
