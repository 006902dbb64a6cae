/**
 * fieldlink's stock sensor firmware, one program on the device library (./device.ts):
 * reads the board's temperature, humidity and pressure sensors every interval and
 * publishes one JSON sample per reading. `fieldlink init` starts a project from a copy.
 */
import { device } from "./device.js"
import { awaitSensors, readSensors } from "./app/sensors.js"

async function main() {
    const node = await device.start()
    await awaitSensors(2000)
    node.telemetry({}, readSensors)
}

main.start()
