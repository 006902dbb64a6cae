// The board layer of the firmware in the DeviceScript VM: a board build names its
// drivers but starts none in the simulator (no I2C there), adds the WiFi network from
// its settings through the runtime's WiFi service (a stand-in here), and the plain
// build (the simulator's) does neither.
import test from "ava"
import { loadProfile } from "../../boards/profile.js"
import { buildBoardFirmware } from "../../flash/build.js"
import { SimulatedBoard } from "../../devs-host/index.js"
import { firmwareProgram } from "../support/firmware.js"
import { waitFor } from "../support/wait.js"
import { addWifiStandIn } from "../flash/support/wifi-stand-in.js"

async function boot(
    t: import("ava").ExecutionContext,
    program: Uint8Array,
    settings: Record<string, string | number | boolean>,
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
    await board.start()
    return { board, lines }
}

test.serial(
    "a board build joins the WiFi named in its settings and starts no hardware drivers in the VM",
    async t => {
        const program = (await buildBoardFirmware(loadProfile("seeed_xiao_esp32c3"))).bytecode
        const { board, lines } = await boot(t, program, { wifi_ssid: "fieldnet", wifi_pass: "12345678" })
        const added: [string, string][] = []
        addWifiStandIn(board.bus!, (ssid, password) => added.push([ssid, password]))
        await waitFor(() => lines.some(l => l === "fieldlink: wifi: joined 'fieldnet'"), {
            what: "the firmware to join the stand-in WiFi",
            timeoutMs: 15_000,
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
