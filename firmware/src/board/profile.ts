/**
 * The board profile compiled into this firmware: which sensor drivers to start.
 *
 * `fieldlink build --board B` generates an entry file that imports main.ts, configures
 * the pins (`configureHardware`) and calls `useBoard()` with the profile's drivers. The
 * plain build (the simulator's) never calls it, so it starts no drivers: there the
 * sensors are simulated Jacdac servers that the host puts on the VM's bus.
 */
import * as ds from "@devicescript/core"
import { joinWifi } from "./wifi.js"

export interface BoardDriver {
    /** As the profile names it, e.g. "sht30 at 0x44". */
    name: string
    start(): Promise<void>
}

let boardId = ""
let drivers: BoardDriver[] = []

/** Called once by the generated board entry, before main's fiber gets to startBoard(). */
export function useBoard(id: string, list: BoardDriver[]) {
    boardId = id
    drivers = list
}

/**
 * Starts what the board needs before the sensors are read: the WiFi join (in the
 * background: the MQTT client retries until the network is up) and the sensor drivers.
 * A driver that fails (sensor absent, wiring wrong) is logged and skipped: the other
 * sensors and the uplink keep working, and the sample simply lacks its readings.
 */
export async function startBoard(log: (line: string) => void): Promise<void> {
    joinWifi.start(log)
    if (drivers.length === 0) return
    const names = drivers.map(d => d.name).join(", ")
    // The DeviceScript VM has no I2C: hardware drivers would wait forever there.
    if (ds.isSimulator()) {
        log("board " + boardId + ": simulator, not starting hardware drivers (" + names + ")")
        return
    }
    for (const driver of drivers) {
        try {
            await driver.start()
            log("board " + boardId + ": started " + driver.name)
        } catch (e) {
            log("board " + boardId + ": " + driver.name + " did not start: " + (e as Error).message)
        }
    }
}
