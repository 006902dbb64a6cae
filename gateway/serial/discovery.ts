/**
 * Which serial ports exist now, and what USB device is behind each: the port entries of
 * the config (path, glob, usb ids) turned into concrete paths.
 *
 * USB details come from serialport's SerialPort.list(). On Linux that runs `udevadm`,
 * which is missing in containers and minimal images (`spawn udevadm ENOENT`); then the
 * finder says so once and reads the same facts from /dev and /sys itself (a tty's sysfs
 * device links up to its USB device, which holds idVendor, idProduct and serial).
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs"
import path from "node:path"
import { SerialPort } from "serialport"
import type { PortConfig } from "../config/types.js"
import type { Logger } from "../obs/logger.js"
import { expandGlob } from "./glob.js"

export interface UsbInfo {
    vendorId?: string
    productId?: string
    serialNumber?: string
}

export interface FoundPort {
    path: string
    /** The device node behind any symlink: the same port found twice is opened once. */
    realPath: string
    config: PortConfig
}

/** Device nodes worth looking at when scanning /dev (USB, CDC, and SoC UARTs). */
const TTY_NAMES = /^tty(USB|ACM|AMA|S|AMC|SC|GS|XRUSB|CH343USB)\d+$/

function readTrimmed(file: string): string | undefined {
    try {
        return readFileSync(file, "utf8").trim() || undefined
    } catch {
        return undefined
    }
}

/** USB ids of a tty from sysfs (Linux), or undefined when it is not a USB device. */
export function sysfsUsbInfo(devicePath: string, sysRoot = "/sys"): UsbInfo | undefined {
    let dir: string
    try {
        dir = realpathSync(
            path.join(sysRoot, "class", "tty", path.basename(realpathSync(devicePath)), "device"),
        )
    } catch {
        return undefined
    }
    for (let i = 0; i < 6 && dir.length > 1; i++, dir = path.dirname(dir)) {
        const vendorId = readTrimmed(path.join(dir, "idVendor"))
        if (vendorId)
            return {
                vendorId,
                productId: readTrimmed(path.join(dir, "idProduct")),
                serialNumber: readTrimmed(path.join(dir, "serial")),
            }
    }
    return undefined
}

export class PortFinder {
    private listBroken = false
    private listing: Promise<{ path: string; realPath: string; usb: UsbInfo }[]> | undefined
    private readonly usbCache = new Map<string, UsbInfo | undefined>()

    constructor(private readonly log: Logger) {}

    /** Every port the config chooses that exists now; the first entry to claim a device node wins. */
    async find(ports: readonly PortConfig[]): Promise<FoundPort[]> {
        const found: FoundPort[] = []
        const taken = new Set<string>()
        const needsUsb = ports.some(p => p.selector.kind === "usb")
        const usbPorts = needsUsb ? await this.usbPorts() : []
        for (const config of ports) {
            const s = config.selector
            const paths =
                s.kind === "path"
                    ? existsSync(s.path)
                        ? [s.path]
                        : []
                    : s.kind === "glob"
                      ? expandGlob(s.pattern, d => readdirSync(d))
                      : usbPorts.filter(u => usbMatches(u.usb, s)).map(u => u.path)
            for (const p of paths) {
                let realPath: string
                try {
                    realPath = realpathSync(p)
                } catch {
                    continue // a dangling symlink: the device is gone
                }
                if (taken.has(realPath)) continue
                taken.add(realPath)
                found.push({ path: p, realPath, config })
            }
        }
        return found
    }

    /** USB ids of the port at `devicePath` (for an id derived from its serial number). */
    async usbInfo(devicePath: string): Promise<UsbInfo | undefined> {
        const real = (() => {
            try {
                return realpathSync(devicePath)
            } catch {
                return devicePath
            }
        })()
        if (this.usbCache.has(real)) return this.usbCache.get(real)
        // On Linux sysfs answers directly, without spawning udevadm for every port opened.
        const info = existsSync("/sys/class/tty")
            ? sysfsUsbInfo(real)
            : (await this.usbPorts()).find(u => u.realPath === real)?.usb
        this.usbCache.set(real, info)
        return info
    }

    /** Forget cached details of a port that went away (another adapter may take its name). */
    forget(devicePath: string): void {
        try {
            this.usbCache.delete(realpathSync(devicePath))
        } catch {
            this.usbCache.clear()
        }
    }

    /** One listing at a time: concurrent callers share it (and the "say so once" stays once). */
    private usbPorts(): Promise<{ path: string; realPath: string; usb: UsbInfo }[]> {
        this.listing ??= this.listUsbPorts().finally(() => (this.listing = undefined))
        return this.listing
    }

    private async listUsbPorts(): Promise<{ path: string; realPath: string; usb: UsbInfo }[]> {
        if (!this.listBroken) {
            try {
                const list = await SerialPort.list()
                return list
                    .filter(p => p.vendorId !== undefined)
                    .map(p => ({
                        path: p.path,
                        realPath: safeReal(p.path),
                        usb: {
                            vendorId: p.vendorId?.toLowerCase(),
                            productId: p.productId?.toLowerCase(),
                            serialNumber: p.serialNumber,
                        },
                    }))
            } catch (e) {
                this.listBroken = true
                this.log.warn(
                    { err: (e as Error).message },
                    "SerialPort.list() is unavailable here (no udev?); scanning /dev and /sys for serial ports instead",
                )
            }
        }
        const out: { path: string; realPath: string; usb: UsbInfo }[] = []
        let names: string[] = []
        try {
            names = readdirSync("/dev")
        } catch {
            return out
        }
        for (const name of names) {
            if (!TTY_NAMES.test(name)) continue
            const p = path.join("/dev", name)
            const usb = sysfsUsbInfo(p)
            if (usb) out.push({ path: p, realPath: safeReal(p), usb })
        }
        return out
    }
}

function safeReal(p: string): string {
    try {
        return realpathSync(p)
    } catch {
        return p
    }
}

function usbMatches(
    usb: UsbInfo,
    s: { vendorId?: string; productId?: string; serialNumber?: string },
): boolean {
    return (
        (!s.vendorId || usb.vendorId === s.vendorId) &&
        (!s.productId || usb.productId === s.productId) &&
        (!s.serialNumber || usb.serialNumber === s.serialNumber)
    )
}
