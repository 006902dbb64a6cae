// Port discovery without udev: USB ids read from a sysfs tree, and the fallback from
// SerialPort.list() to scanning /dev, announced once.
import test from "ava"
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { Writable } from "node:stream"
import { configFromObject } from "../../gateway/config/load.js"
import { createLogger } from "../../gateway/obs/logger.js"
import { PortFinder, sysfsUsbInfo } from "../../gateway/serial/discovery.js"

test("USB vendor, product and serial number come from the tty's sysfs device, through symlinks", t => {
    const root = mkdtempSync(path.join(os.tmpdir(), "fieldlink-sysfs-"))
    t.teardown(() => rmSync(root, { recursive: true, force: true }))
    const usbDevice = path.join(root, "sys/devices/platform/usb1/1-1")
    const ttyDir = path.join(usbDevice, "1-1:1.0/ttyUSB9")
    mkdirSync(ttyDir, { recursive: true })
    writeFileSync(path.join(usbDevice, "idVendor"), "10c4\n")
    writeFileSync(path.join(usbDevice, "idProduct"), "ea60\n")
    writeFileSync(path.join(usbDevice, "serial"), "A50285BI\n")
    mkdirSync(path.join(root, "sys/class/tty/ttyUSB9"), { recursive: true })
    symlinkSync(ttyDir, path.join(root, "sys/class/tty/ttyUSB9/device"))
    mkdirSync(path.join(root, "dev/serial/by-id"), { recursive: true })
    writeFileSync(path.join(root, "dev/ttyUSB9"), "")
    symlinkSync("../../ttyUSB9", path.join(root, "dev/serial/by-id/usb-Silicon_Labs_CP2102-if00-port0"))
    const expected = { vendorId: "10c4", productId: "ea60", serialNumber: "A50285BI" }
    t.deepEqual(sysfsUsbInfo(path.join(root, "dev/ttyUSB9"), path.join(root, "sys")), expected)
    t.deepEqual(
        sysfsUsbInfo(
            path.join(root, "dev/serial/by-id/usb-Silicon_Labs_CP2102-if00-port0"),
            path.join(root, "sys"),
        ),
        expected,
    )
    t.is(sysfsUsbInfo(path.join(root, "dev/nothing"), path.join(root, "sys")), undefined)
})

test("without udev, choosing ports by USB id falls back to /dev and /sys, and says so once", async t => {
    const lines: string[] = []
    const sink = new Writable({ write: (chunk, _enc, done) => (lines.push(String(chunk)), done()) })
    const log = createLogger({ level: "info", format: "json", destination: sink })
    const config = configFromObject(
        { broker: { url: "mqtt://x" }, ports: [{ usb: { vendorId: "f00d" } }] },
        "test",
        { baseDir: "/", env: {} },
    )
    const finder = new PortFinder(log)
    await Promise.all([finder.find(config.ports), finder.find(config.ports)])
    t.deepEqual(await finder.find(config.ports), [])
    const notes = lines.filter(l => l.includes("SerialPort.list() is unavailable"))
    // Where udev works (a desktop), list() succeeds and nothing is said.
    t.true(notes.length <= 1, notes.join(""))
    t.log(notes.length ? JSON.parse(notes[0]).msg : "SerialPort.list() works here")
})
