/**
 * The board's sensors, read through DeviceScript roles: on a board they bind to the
 * drivers its profile starts; in the simulator to simulated sensor servers. A sensor that
 * is absent (not bound) is left out of the sample instead of stalling it.
 */
import * as ds from "@devicescript/core"

const temperature = new ds.Temperature()
const humidity = new ds.Humidity()
/** Only some boards have one (BME680); an unbound role is simply left out. */
const pressure = new ds.AirPressure()

/** Rounds to 2 decimals: sensor noise below that is not worth bytes on the wire. */
function round2(x: number): number {
    return Math.round(x * 100) / 100
}

/**
 * Waits (bounded) for the sensor roles to bind after boot, so that the first sample
 * already carries readings. Absent sensors cost the deadline once, then never again.
 */
export async function awaitSensors(timeoutMs: number): Promise<void> {
    const deadline = ds.millis() + timeoutMs
    while (ds.millis() < deadline) {
        if ((await temperature.binding().read()) && (await humidity.binding().read())) return
        await ds.sleep(50)
    }
}

/** The readings keyed with their units (DESIGN §1), e.g. `{ temperature_c: 21.5 }`. */
export async function readSensors(): Promise<Record<string, number>> {
    const reading: Record<string, number> = {}
    if (await temperature.binding().read())
        reading["temperature_c"] = round2(await temperature.reading.read())
    if (await humidity.binding().read()) reading["humidity_pct"] = round2(await humidity.reading.read())
    if (await pressure.binding().read()) reading["pressure_hpa"] = round2(await pressure.reading.read())
    return reading
}
