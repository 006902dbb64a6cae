// The board layer of the firmware in the DeviceScript VM: a board build names its
// drivers but starts none in the simulator (no I2C there), adds the WiFi network from
// its settings through the runtime's WiFi service (a stand-in here), and the plain
// build (the simulator's) does neither.
import test from "ava"
import { loadProfile } from "../../boards/profile.js"
import { buildBoardFirmware } from "../../flash/build.js"
import { SimulatedBoard } from "../../devs-host/index.js"
import type { JDBus } from "../../devs-host/jacdac.js"
import { firmwareProgram } from "../support/firmware.js"
import { waitFor } from "../support/wait.js"
import { addWifiStandIn } from "../flash/support/wifi-stand-in.js"

async function boot(
    t: import("ava").ExecutionContext,
    program: Uint8Array,
    settings: Record<string, string | number | boolean>,
    onBus?: (bus: JDBus) => void,
) {
    const lines: string[] = []
    const board = new SimulatedBoard({
        deviceId: "board-test",
        program,
        // Port 1 refuses at once: these tests are about the board layer, not MQTT.
        settings: { device_id: "board-test", mqtt_host: "127.0.0.1", mqtt_port: 1, ...settings },
        onLog: line => lines.push(line),
        onError: e => t.log(e.message),
    })
    t.teardown(() => board.stop())
    const started = board.start()
    if (onBus) {
        // The bus exists before the program runs: a device added now is there when the
        // firmware starts looking for it, as on a real board, not seconds later on a
        // loaded machine (the firmware waits 10 s for its WiFi service, then gives up).
        const bus = await waitFor(() => board.bus, {
            what: "the board's bus",
            timeoutMs: 30_000,
            intervalMs: 1,
        })
        onBus(bus)
    }
    await started
    return { board, lines }
}

test.serial(
    "a board build joins the WiFi named in its settings and starts no hardware drivers in the VM",
    async t => {
        const program = (await buildBoardFirmware(loadProfile("seeed_xiao_esp32c3"))).bytecode
        const added: [string, string][] = []
        const { lines } = await boot(t, program, { wifi_ssid: "fieldnet", wifi_pass: "12345678" }, bus =>
            addWifiStandIn(bus, (ssid, password) => added.push([ssid, password])),
        )
        await waitFor(() => lines.some(l => l === "fieldlink: wifi: joined 'fieldnet'"), {
            what: "the firmware to join the stand-in WiFi",
            timeoutMs: 15_000,
        }).catch((error: Error) => {
            throw new Error(`${error.message}\nthe board's log:\n${lines.join("\n")}`)
        })
        t.deepEqual(added, [["fieldnet", "12345678"]])
        t.true(
            lines.includes(
                "fieldlink: board seeed_xiao_esp32c3: simulator, not starting hardware drivers (sht30 at 0x44)",
            ),
        )
    },
)

test.serial("the plain build starts no board drivers and leaves the WiFi alone", async t => {
    const { lines } = await boot(t, await firmwareProgram(), {})
    await waitFor(() => lines.some(l => /mqtt: state/.test(l)), {
        what: "the firmware to start its MQTT client",
        timeoutMs: 10_000,
    })
    t.false(
        lines.some(l => /fieldlink: (board|wifi)/.test(l)),
        lines.join("\n"),
    )
})
