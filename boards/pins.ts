/**
 * Pins in a profile: a GPIO number (6), "GPIO6", or a pin label of the DeviceScript
 * board ("SDA_D4"), resolved to a GPIO number and checked against the chip's pin classes
 * from the DeviceScript catalogue (no flash or PSRAM pins, no USB pins, outputs only on
 * output-capable GPIOs).
 */
import { pinClasses, type DsArch, type DsBoard } from "./catalog.js"

export interface PinUse {
    gpio: number
    /** "io" for a pin that is read and driven (I2C SDA), "output" for one only driven, "uart" for the log TX. */
    role: "io" | "output" | "uart"
    /** Where the profile uses it, for messages. */
    what: string
}

/** Compact "0-10, 20, 21" for a set of GPIO numbers. Pure. */
export function rangesText(set: Iterable<number>): string {
    const sorted = [...set].sort((a, b) => a - b)
    const parts: string[] = []
    for (let i = 0; i < sorted.length;) {
        let j = i
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++
        parts.push(
            j > i + 1
                ? `${sorted[i]}-${sorted[j]}`
                : j === i + 1
                  ? `${sorted[i]}, ${sorted[j]}`
                  : `${sorted[i]}`,
        )
        i = j + 1
    }
    return parts.join(", ")
}

const RESERVED: Record<string, string> = {
    flash: "is wired to the flash chip",
    psram: "is wired to the PSRAM",
    "octal-flash": "is wired to the octal flash/PSRAM",
    usb: "is a USB data line (using it cuts the board's USB serial port)",
}

/** The GPIO number of `value`, or a sentence saying why it cannot be used. */
export function resolvePin(
    value: number | string,
    board: DsBoard,
    arch: DsArch,
    role: PinUse["role"],
): number | string {
    let gpio: number | undefined
    if (typeof value === "number") gpio = value
    else if (/^gpio\d+$/i.test(value)) gpio = Number(value.slice(4))
    else if (board.pins && Object.hasOwn(board.pins, value)) gpio = board.pins[value]
    if (gpio === undefined || !Number.isInteger(gpio) || gpio < 0) {
        const labels = Object.keys(board.pins ?? {}).sort()
        return `found ${JSON.stringify(value)}, expected a GPIO number or a pin label of ${board.id}${labels.length ? ` (${labels.join(", ")})` : ""}`
    }
    const classes = pinClasses(arch)
    for (const [name, why] of Object.entries(RESERVED))
        if (classes.get(name)?.has(gpio))
            return `found GPIO${gpio}, which ${why} on the ${arch.name}; expected a free GPIO`
    const io = classes.get("io") ?? new Set<number>()
    if (io.has(gpio)) return gpio
    // The bootloader's UART pins are not general IO on the ESP32, but the log goes there.
    if (role === "uart" && classes.get("bootUart")?.has(gpio)) return gpio
    if (classes.get("input")?.has(gpio))
        return `found GPIO${gpio}, which is input-only on the ${arch.name}; expected a GPIO that can drive ${role === "io" ? "and read " : ""}a signal (${rangesText(io)})`
    return `found GPIO${gpio}, expected a usable GPIO of the ${arch.name}: ${rangesText(io)}`
}
