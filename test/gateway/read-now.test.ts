// The gateway's serial reads (gateway/serial/read-now.ts): serialport's own binding on a
// real pseudo-terminal, with reads made on the event loop when the port is readable
// rather than in the thread pool. What it must keep: a read with nothing to read waits
// for data instead of failing or spinning; bytes arrive in order and whole; a pending
// read ends (canceled, as bindings-cpp's does) when the port is closed; an unplug
// still closes the port through the transport.
import test from "ava"
import { execFileSync } from "node:child_process"
import { EventEmitter } from "node:events"
import { closeSync, constants, openSync, writeFileSync } from "node:fs"
import path from "node:path"
import { readNowBinding, readWhenReadable } from "../../gateway/serial/read-now.js"
import { nodeSerialTransport } from "../../gateway/serial/transport.js"
import { socatAvailable, startDevice } from "../support/pty.js"
import { waitFor } from "../support/wait.js"
import { tempDir } from "./harness.js"

const ready = socatAvailable()
const ptyTest = ready.ok ? test : test.skip
if (!ready.ok) test("serial read tests are skipped here", t => t.pass(ready.reason))

const OPEN = { baudRate: 115200, dataBits: 8, stopBits: 1, parity: "none", lock: false } as const

ptyTest("a read with nothing to read waits for the data, then returns it", async t => {
    const device = await startDevice(tempDir(t), "ttyR")
    t.teardown(() => device.stop())
    const port = await readNowBinding().open({ path: device.path, ...OPEN })
    t.teardown(() => (port.isOpen ? port.close() : undefined))
    const buffer = Buffer.alloc(256)
    let settled = false
    const reading = port.read(buffer, 0, buffer.length).finally(() => (settled = true))
    // Nothing written yet: the read must still be waiting after the loop has turned a few times.
    await new Promise(resolve => setTimeout(resolve, 200))
    t.false(settled, "a read of an empty port resolved (or failed) instead of waiting")
    await device.write("hello id=r1\n")
    const { bytesRead } = await reading
    t.is(buffer.subarray(0, bytesRead).toString(), "hello id=r1\n")
})

ptyTest("a pending read ends as canceled when the port is closed", async t => {
    const device = await startDevice(tempDir(t), "ttyC")
    t.teardown(() => device.stop())
    const port = await readNowBinding().open({ path: device.path, ...OPEN })
    const reading = port.read(Buffer.alloc(64), 0, 64)
    await port.close()
    const error = await t.throwsAsync(reading)
    t.true((error as Error & { canceled?: boolean }).canceled, `not a canceled read: ${error?.message}`)
    await t.throwsAsync(port.read(Buffer.alloc(64), 0, 64), { message: /not open/ })
})

ptyTest("through the transport: a burst arrives whole and in order; an unplug closes the port", async t => {
    const device = await startDevice(tempDir(t), "ttyT")
    t.teardown(() => device.stop())
    const chunks: Buffer[] = []
    let closed: { error?: Error } | undefined
    const serial = await nodeSerialTransport.open(
        device.path,
        {
            baudRate: 115200,
            dataBits: 8,
            parity: "none",
            stopBits: 1,
            rtscts: false,
            live: 0,
            maxLineBytes: 1024,
            checksum: "optional",
            acks: false,
            retainedCommands: [],
        },
        { data: chunk => chunks.push(Buffer.from(chunk)), closed: error => (closed = { error }) },
    )
    t.teardown(() => serial.close())
    const lines = Array.from({ length: 2000 }, (_, i) => `{"seq":${i}}\n`).join("")
    await device.write(lines)
    await waitFor(() => Buffer.concat(chunks).length >= lines.length, {
        what: "the burst to be read",
        timeoutMs: 15000,
    })
    t.is(Buffer.concat(chunks).toString(), lines)
    await device.unplug()
    await waitFor(() => closed, { what: "the port to close after the unplug", timeoutMs: 10000 })
    t.pass()
})

test("a read waits for the poller even when data is already there, so a busy port cannot starve the sockets", async t => {
    // A real non-blocking FIFO holding data, and a stand-in for the port's poller (a test
    // double: only this test decides when `readable` comes). Reading again at once
    // whenever data is there would keep the event loop in microtasks for as long as a
    // device writes, and no PUBACK would be read meanwhile.
    const fifo = path.join(tempDir(t), "port")
    execFileSync("mkfifo", [fifo])
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK)
    t.teardown(() => closeSync(fd))
    writeFileSync(fd, "waiting\n")
    const poller = new EventEmitter()
    const port = { fd, isOpen: true, poller }
    const buffer = Buffer.alloc(64)
    let done = false
    const reading = readWhenReadable(port, buffer, 0, 64).finally(() => (done = true))
    for (let turn = 0; turn < 5; turn++) await new Promise(resolve => setImmediate(resolve))
    t.false(done, "read without waiting for the poller")
    poller.emit("readable", null)
    const { bytesRead } = await reading
    t.is(buffer.subarray(0, bytesRead).toString(), "waiting\n")
    // A wake-up with nothing to read (EAGAIN) waits for the next one instead of failing.
    let again = false
    const next = readWhenReadable(port, buffer, 0, 64).finally(() => (again = true))
    poller.emit("readable", null)
    for (let turn = 0; turn < 5; turn++) await new Promise(resolve => setImmediate(resolve))
    t.false(again, "an empty read resolved")
    writeFileSync(fd, "more\n")
    poller.emit("readable", null)
    t.is(buffer.subarray(0, (await next).bytesRead).toString(), "more\n")
})
