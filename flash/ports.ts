/**
 * Finding the serial port of the board to flash.
 *
 * The list comes from the `serialport` package (which asks udev); where udev is missing
 * (containers, minimal systems: `spawn udevadm ENOENT`) the ports are found by scanning
 * /dev/ttyUSB*, /dev/ttyACM* and /dev/serial/by-id, with USB vendor, product and serial
 * number read from sysfs. The file system is a seam (`PortSystem`) so tests can hand in
 * a made-up /dev and /sys.
 */
import {
    accessSync,
    constants,
    existsSync,
    readdirSync,
    readFileSync,
    readlinkSync,
    realpathSync,
} from "node:fs"
import { basename, dirname, join, resolve } from "node:path"
import { SerialPort } from "serialport"
import { FlashError } from "./errors.js"

export interface PortInfo {
    path: string
    /** 4 hex digits, lower case, as lsusb shows them. */
    vendorId?: string
    productId?: string
    serialNumber?: string
    manufacturer?: string
    product?: string
    /** The stable /dev/serial/by-id name of the port, when there is one. */
    byId?: string
}

export interface PortSystem {
    /** The udev-backed listing; throws when udev is not there. */
    list(): Promise<PortInfo[]>
    devDir: string
    sysDir: string
}

export const REAL_PORT_SYSTEM: PortSystem = {
    list: async () =>
        (await SerialPort.list()).map(p => ({
            // macOS lists /dev/tty.*, which blocks on open until carrier detect; esptool wants /dev/cu.*.
            path: process.platform === "darwin" ? p.path.replace(/^\/dev\/tty\./, "/dev/cu.") : p.path,
            vendorId: p.vendorId?.toLowerCase(),
            productId: p.productId?.toLowerCase(),
            serialNumber: p.serialNumber,
            manufacturer: p.manufacturer,
        })),
    devDir: "/dev",
    sysDir: "/sys",
}

/** USB vendors of ESP32 boards and of the USB-serial chips on them. */
export const ESP_USB_VENDORS: Readonly<Record<string, string>> = {
    "303a": "Espressif",
    "10c4": "Silicon Labs CP210x",
    "1a86": "WCH CH34x/CH9102",
    "0403": "FTDI",
    "239a": "Adafruit",
}

export interface PortListing {
    ports: PortInfo[]
    /** Said once when the listing had to do without udev. */
    note?: string
}

function readText(path: string): string | undefined {
    try {
        return readFileSync(path, "utf8").trim() || undefined
    } catch {
        return undefined
    }
}

/** The USB device a tty hangs off in sysfs: the nearest parent holding idVendor. */
function usbInfo(sysDir: string, name: string): Partial<PortInfo> {
    let dir: string
    try {
        dir = realpathSync(join(sysDir, "class", "tty", name, "device"))
    } catch {
        return {}
    }
    for (let i = 0; i < 4 && dir !== dirname(dir); i++, dir = dirname(dir)) {
        const vendorId = readText(join(dir, "idVendor"))
        if (vendorId)
            return {
                vendorId: vendorId.toLowerCase(),
                productId: readText(join(dir, "idProduct"))?.toLowerCase(),
                serialNumber: readText(join(dir, "serial")),
                manufacturer: readText(join(dir, "manufacturer")),
                product: readText(join(dir, "product")),
            }
    }
    return {}
}

/** /dev/serial/by-id/<name> → the tty it points at, as tty name → by-id path. */
function byIdLinks(devDir: string): Map<string, string> {
    const dir = join(devDir, "serial", "by-id")
    const out = new Map<string, string>()
    let names: string[] = []
    try {
        names = readdirSync(dir)
    } catch {
        return out
    }
    for (const name of names) {
        try {
            out.set(basename(resolve(dir, readlinkSync(join(dir, name)))), join(dir, name))
        } catch {
            // not a link
        }
    }
    return out
}

/** Ports found by scanning /dev and /sys (no udev). */
export function scanPorts(sys: Pick<PortSystem, "devDir" | "sysDir">): PortInfo[] {
    let names: string[] = []
    try {
        names = readdirSync(sys.devDir).filter(n => /^tty(USB|ACM)\d+$/.test(n))
    } catch {
        return []
    }
    const links = byIdLinks(sys.devDir)
    return names
        .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
        .map(name => ({ path: join(sys.devDir, name), ...usbInfo(sys.sysDir, name), byId: links.get(name) }))
}

export async function listPorts(sys: PortSystem = REAL_PORT_SYSTEM): Promise<PortListing> {
    try {
        const ports = await sys.list()
        const links = byIdLinks(sys.devDir)
        return { ports: ports.map(p => ({ ...p, byId: p.byId ?? links.get(basename(p.path)) })) }
    } catch (error) {
        const why = (error as Error).message
        const noUdev = /udevadm/.test(why) && /ENOENT/.test(why)
        return {
            ports: scanPorts(sys),
            note: noUdev
                ? `udevadm is not installed (no udev here), so serial ports are found by scanning ${join(sys.devDir, "ttyUSB*")}, ${join(sys.devDir, "ttyACM*")} and ${join(sys.devDir, "serial/by-id")} instead`
                : `listing serial ports through udev failed (${why}); scanning ${sys.devDir} instead`,
        }
    }
}

/** "/dev/ttyACM0  303a:1001  serial 34:85:18:01:02:03  Espressif USB JTAG/serial debug unit". */
export function describePort(p: PortInfo): string {
    const id = p.vendorId ? `${p.vendorId}:${p.productId ?? "????"}` : "????:????"
    const serial = p.serialNumber ? `serial ${p.serialNumber}` : "no serial number"
    const what =
        [p.manufacturer, p.product].filter(Boolean).join(" ") ||
        (p.vendorId ? ESP_USB_VENDORS[p.vendorId] : undefined) ||
        ""
    return [p.path, id, serial, what, p.byId ? `(${p.byId})` : ""].filter(Boolean).join("  ")
}

const PLUG_HINTS = [
    "plug the board in with a USB cable that carries data (many charge-only cables do not)",
    "boards with native USB (ESP32-C3, -S2, -S3) may need download mode: hold BOOT, press and release RESET, release BOOT",
    "then run the command again, or name the port with --port PATH",
]

/** The port to flash: `wanted`, or the one port that looks like an ESP32 board. */
export function choosePort(listing: PortListing, wanted?: string): PortInfo {
    if (wanted !== undefined) {
        const found = listing.ports.find(p => p.path === wanted || p.byId === wanted)
        if (found) return found
        // Not listed (an unusual driver, a by-path link): trust the user if it exists.
        if (existsSync(wanted)) return { path: wanted }
        const others = listing.ports.map(describePort)
        throw new FlashError(`the port ${wanted} does not exist`, [
            others.length > 0
                ? `serial ports present:\n      ${others.join("\n      ")}`
                : "no serial ports are present at all: is the board plugged in?",
            "check the name given to --port",
        ])
    }
    const known = listing.ports.filter(
        p => p.vendorId !== undefined && Object.hasOwn(ESP_USB_VENDORS, p.vendorId),
    )
    // Without USB details (no sysfs), every USB serial port is a candidate.
    const candidates =
        known.length > 0
            ? known
            : listing.ports.filter(p => p.vendorId === undefined && /tty(USB|ACM)/.test(p.path))
    if (candidates.length === 1) return candidates[0]
    if (candidates.length === 0) {
        const others = listing.ports.map(describePort)
        throw new FlashError("no serial port found that looks like an ESP32 board", [
            ...PLUG_HINTS,
            ...(others.length > 0
                ? [
                      `other serial ports present (not ESP32 USB vendors ${Object.keys(ESP_USB_VENDORS).join(", ")}):\n      ${others.join("\n      ")}`,
                  ]
                : []),
        ])
    }
    throw new FlashError(
        `${candidates.length} serial ports look like ESP32 boards:\n    ${candidates.map(describePort).join("\n    ")}`,
        [
            `name the one to flash with --port, e.g. --port ${candidates[0].byId ?? candidates[0].path}`,
            "unplug the boards you do not mean to flash",
        ],
    )
}

/** Fails with what to do when this user may not open the port. */
export function checkPortAccess(path: string): void {
    try {
        accessSync(path, constants.R_OK | constants.W_OK)
    } catch (error) {
        const code = (error as NodeJS.ErrnoException).code
        if (code === "EACCES" || code === "EPERM") throw permissionDenied(path)
        if (code === "ENOENT")
            throw new FlashError(`the port ${path} disappeared`, [
                "is the board still plugged in? Boards with native USB change port while they reset: run the command again",
            ])
        throw new FlashError(`cannot use the port ${path}: ${code ?? (error as Error).message}`)
    }
}

export function permissionDenied(path: string): FlashError {
    return new FlashError(`permission denied on ${path}: this user may not open serial ports`, [
        "add yourself to the dialout group: sudo usermod -aG dialout $USER",
        "then log out and back in (or run: newgrp dialout) and run the command again",
    ])
}
