/**
 * The sensor drivers a board profile may name: the I2C drivers of @devicescript/drivers
 * (firmware/node_modules/@devicescript/drivers/src) that give the readings the firmware
 * publishes. Each entry says how the generated firmware starts it and what it measures.
 */

/** Telemetry keys (DESIGN §1: units in the key names), as firmware/src/app/sensors.ts writes them. */
export type Reading = "temperature_c" | "humidity_pct" | "pressure_hpa"

export interface DriverSpec {
    /** The part, as a person would look for it. */
    part: string
    /** 7-bit I2C addresses the part can answer on; the first is the default. */
    addresses: readonly number[]
    /** The @devicescript/drivers function that starts it. */
    start: string
    /** Whether `start` takes `{ address }` (parts with one fixed address do not). */
    takesAddress: boolean
    provides: readonly Reading[]
}

export const DRIVERS = {
    sht30: {
        part: "Sensirion SHT30/SHT31",
        addresses: [0x44, 0x45],
        start: "startSHT30",
        takesAddress: true,
        provides: ["temperature_c", "humidity_pct"],
    },
    shtc3: {
        part: "Sensirion SHTC3",
        addresses: [0x70],
        start: "startSHTC3",
        takesAddress: false,
        provides: ["temperature_c", "humidity_pct"],
    },
    aht20: {
        part: "ASAIR AHT20",
        addresses: [0x38],
        start: "startAHT20",
        takesAddress: false,
        provides: ["temperature_c", "humidity_pct"],
    },
    bme680: {
        part: "Bosch BME680",
        addresses: [0x76, 0x77],
        start: "startBME680",
        takesAddress: true,
        provides: ["temperature_c", "humidity_pct", "pressure_hpa"],
    },
} as const satisfies Record<string, DriverSpec>

export type DriverName = keyof typeof DRIVERS

export const DRIVER_NAMES = Object.keys(DRIVERS) as DriverName[]

export function isDriverName(name: string): name is DriverName {
    return Object.hasOwn(DRIVERS, name)
}

/**
 * Roles on one GPIO pin that a profile may start for the user's program
 * (`gpio:` in a profile): on-board servers of @devicescript/servers. The program's role
 * (`new ds.Relay()`) binds to the server the generated entry starts.
 */
export const GPIO_ROLES = {
    relay: {
        start: "startRelay",
        pinRole: "output",
        binds: "ds.Relay",
        part: "a relay (or MOSFET) driven by the pin",
    },
    button: {
        start: "startButton",
        pinRole: "io",
        binds: "ds.Button",
        part: "a push button between the pin and GND",
    },
    soil_moisture: {
        start: "startSoilMoisture",
        pinRole: "io",
        binds: "ds.SoilMoisture",
        part: "an analog soil-moisture probe on an ADC pin",
    },
    light_level: {
        start: "startLightLevel",
        pinRole: "io",
        binds: "ds.LightLevel",
        part: "an analog light sensor (LDR divider) on an ADC pin",
    },
} as const

export type GpioRoleName = keyof typeof GPIO_ROLES

export const GPIO_ROLE_NAMES = Object.keys(GPIO_ROLES) as GpioRoleName[]

export function hex(n: number): string {
    return "0x" + n.toString(16).padStart(2, "0")
}
