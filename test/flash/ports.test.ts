// Finding the board's serial port, on a made-up /dev and /sys (the PortSystem seam):
// with and without udev, none, one, or several candidates.
import test from "ava"
import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { FlashError } from "../../flash/errors.js"
import {
    checkPortAccess,
    choosePort,
    describePort,
    listPorts,
    type PortInfo,
    type PortSystem,
} from "../../flash/ports.js"
import { removeOnExit } from "../support/cleanup.js"

interface FakeUsb {
    tty: string
    vendor?: string
    product?: string
    serial?: string
    manufacturer?: string
    productName?: string
    byId?: string
}

/** A /dev with the ttys and by-id links, a /sys with their USB devices, and no udev. */
function fakeSystem(devices: FakeUsb[], udev?: PortInfo[]): PortSystem {
    const root = mkdtempSync(join(tmpdir(), "fieldlink-ports-"))
    removeOnExit(root)
    const dev = join(root, "dev")
    const sys = join(root, "sys")
    mkdirSync(join(dev, "serial", "by-id"), { recursive: true })
    mkdirSync(join(sys, "class", "tty"), { recursive: true })
    devices.forEach((d, i) => {
        writeFileSync(join(dev, d.tty), "")
        if (d.byId) symlinkSync(`../../${d.tty}`, join(dev, "serial", "by-id", d.byId))
        if (!d.vendor) return
        // /sys/devices/.../1-<i>/1-<i>:1.0/tty/<tty>, and /sys/class/tty/<tty>/device -> the interface
        const usb = join(sys, "devices", "usb1", `1-${i}`)
        const iface = join(usb, `1-${i}:1.0`)
        mkdirSync(iface, { recursive: true })
        writeFileSync(join(usb, "idVendor"), d.vendor + "\n")
        writeFileSync(join(usb, "idProduct"), (d.product ?? "0000") + "\n")
        if (d.serial) writeFileSync(join(usb, "serial"), d.serial + "\n")
        if (d.manufacturer) writeFileSync(join(usb, "manufacturer"), d.manufacturer + "\n")
        if (d.productName) writeFileSync(join(usb, "product"), d.productName + "\n")
        mkdirSync(join(sys, "class", "tty", d.tty))
        symlinkSync(iface, join(sys, "class", "tty", d.tty, "device"))
    })
    return {
        list: async () => {
            if (udev) return udev
            const e = new Error("spawn udevadm ENOENT") as NodeJS.ErrnoException
            e.code = "ENOENT"
            throw e
        },
        devDir: dev,
        sysDir: sys,
    }
}

const XIAO: FakeUsb = {
    tty: "ttyACM0",
    vendor: "303a",
    product: "1001",
    serial: "34:85:18:01:02:03",
    manufacturer: "Espressif",
    productName: "USB JTAG/serial debug unit",
    byId: "usb-Espressif_USB_JTAG_serial_debug_unit_34:85:18:01:02:03-if00",
}
const DEVKIT: FakeUsb = {
    tty: "ttyUSB0",
    vendor: "10c4",
    product: "ea60",
    serial: "0001",
    manufacturer: "Silicon Labs",
    productName: "CP2102 USB to UART Bridge Controller",
}
const GPS: FakeUsb = { tty: "ttyUSB1", vendor: "1546", product: "01a7", productName: "u-blox GNSS receiver" }

function message(fn: () => unknown): string {
    try {
        fn()
    } catch (e) {
        if (e instanceof FlashError) return e.message
        throw e
    }
    throw new Error("expected a FlashError")
}

test("without udevadm, ports come from /dev and /sys, and the fallback is said once", async t => {
    const listing = await listPorts(fakeSystem([XIAO, GPS]))
    t.regex(
        listing.note!,
        /udevadm is not installed \(no udev here\), so serial ports are found by scanning .*ttyUSB\*, .*ttyACM\* and .*serial\/by-id instead/,
    )
    t.is(listing.ports.length, 2)
    t.like(listing.ports[0], {
        vendorId: "303a",
        productId: "1001",
        serialNumber: "34:85:18:01:02:03",
        manufacturer: "Espressif",
    })
    t.regex(listing.ports[0].byId!, /by-id\/usb-Espressif_USB_JTAG/)
    t.like(listing.ports[1], { vendorId: "1546", productId: "01a7" })
})

test("with udev, its listing is used and no note is given", async t => {
    const listing = await listPorts(
        fakeSystem([], [{ path: "/dev/ttyACM0", vendorId: "303a", productId: "1001" }]),
    )
    t.is(listing.note, undefined)
    t.is(choosePort(listing).path, "/dev/ttyACM0")
})

test("one ESP32-looking port among others is chosen", async t => {
    const port = choosePort(await listPorts(fakeSystem([GPS, XIAO])))
    t.like(port, { vendorId: "303a", serialNumber: "34:85:18:01:02:03" })
    t.regex(
        describePort(port),
        /ttyACM0 {2}303a:1001 {2}serial 34:85:18:01:02:03 {2}Espressif USB JTAG\/serial debug unit/,
    )
})

test("several candidates: each is listed with VID:PID and serial number, and --port is suggested", async t => {
    const listing = await listPorts(fakeSystem([XIAO, DEVKIT]))
    const m = message(() => choosePort(listing))
    t.regex(m, /2 serial ports look like ESP32 boards:/)
    t.regex(m, /ttyACM0 {2}303a:1001 {2}serial 34:85:18:01:02:03/)
    t.regex(m, /ttyUSB0 {2}10c4:ea60 {2}serial 0001 {2}Silicon Labs CP2102/)
    t.regex(m, /--port .*by-id\/usb-Espressif/)
})

test("no port: what to plug and press, and the other ports present", async t => {
    const none = message(() => choosePort({ ports: [] }))
    t.regex(none, /no serial port found that looks like an ESP32 board/)
    t.regex(none, /cable that carries data/)
    t.regex(none, /hold BOOT, press and release RESET/)
    t.regex(none, /--port PATH/)
    const gpsOnly = message(() =>
        choosePort({ ports: [{ path: "/dev/ttyUSB1", vendorId: "1546", productId: "01a7" }] }),
    )
    t.regex(gpsOnly, /other serial ports present .*:\n\s+\/dev\/ttyUSB1 {2}1546:01a7/)
})

test("without USB details every USB tty is a candidate", async t => {
    const listing = await listPorts(fakeSystem([{ tty: "ttyUSB3" }]))
    t.regex(choosePort(listing).path, /ttyUSB3$/)
})

test("--port that is not there lists what is", async t => {
    const listing = await listPorts(fakeSystem([XIAO]))
    const m = message(() => choosePort(listing, "/dev/ttyUSB9"))
    t.regex(m, /the port \/dev\/ttyUSB9 does not exist/)
    t.regex(m, /serial ports present:\n\s+.*ttyACM0/)
    t.is(choosePort(listing, listing.ports[0].byId).vendorId, "303a", "a by-id name finds its port")
})

test("a port that vanished is named; access is checked before esptool runs", t => {
    t.regex(
        message(() => checkPortAccess(join(tmpdir(), "fieldlink-no-such-port"))),
        /disappeared/,
    )
})

// root may open anything: the check can only be seen failing as another user.
const asRoot = process.getuid?.() === 0
;(asRoot ? test.skip : test)("a port this user may not open: the dialout group", t => {
    const root = mkdtempSync(join(tmpdir(), "fieldlink-port-perm-"))
    removeOnExit(root)
    const port = join(root, "ttyUSB0")
    writeFileSync(port, "")
    chmodSync(port, 0o000)
    const m = message(() => checkPortAccess(port))
    t.regex(m, /permission denied on .*ttyUSB0[\s\S]*usermod -aG dialout/)
})
