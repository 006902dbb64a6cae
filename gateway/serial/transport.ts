/**
 * The hardware seam: how the gateway opens a serial port. The real one is serialport's
 * SerialPort (native bindings; works on USB-UART, USB-CDC, SoC UARTs and
 * pseudo-terminals); tests or a simulator may pass another.
 *
 * Contract: open() resolves once the port is open or rejects with the OS error;
 * `data` delivers chunks as they come (read by read-loop.ts; SerialPort opens, sets up,
 * writes and closes); `closed` fires once, whether the port went away (unplugged) or
 * close() was called. Ports are opened with an exclusive flock(2) lock,
 * which the kernel releases when the descriptor closes, even if the process dies: no
 * stale lock file is ever left behind (unlike UUCP lock files in /var/lock).
 */
import { SerialPort, type SerialPortOpenOptions } from "serialport"
import type { PortOptions } from "../config/types.js"
import { readNowBinding } from "./read-now.js"
import { ReadLoop, type ReadablePort } from "./read-loop.js"

export interface SerialHandlers {
    data(chunk: Buffer): void
    closed(error?: Error): void
}

export interface OpenSerial {
    write(data: Buffer, done: (error?: Error | null) => void): void
    /** Stops reading the port (what the OS holds waits there) until `resume`. */
    pause(): void
    resume(): void
    close(): Promise<void>
}

export interface SerialTransport {
    open(path: string, options: PortOptions, handlers: SerialHandlers): Promise<OpenSerial>
}

/** serialport's binding, reading on the event loop (read-now.ts). */
const binding = readNowBinding()

export const nodeSerialTransport: SerialTransport = {
    open(path, options, handlers) {
        const settings: SerialPortOpenOptions<typeof binding> = {
            path,
            baudRate: options.baudRate,
            dataBits: options.dataBits,
            parity: options.parity,
            stopBits: options.stopBits,
            rtscts: options.rtscts,
            lock: true,
            autoOpen: false,
        }
        // SerialPort's type leaves `binding` out, but it passes one on (its default is
        // only spread under the options).
        const port = new SerialPort({ ...settings, binding } as typeof settings)
        return new Promise((resolve, reject) => {
            port.open(error => {
                if (error) {
                    port.removeAllListeners()
                    reject(error)
                    return
                }
                let closed = false
                const onClose = (e?: Error) => {
                    if (closed) return
                    closed = true
                    reader.stop()
                    port.removeAllListeners()
                    // A read error after close is harmless; never let it be unhandled.
                    port.on("error", () => undefined)
                    handlers.closed(e ?? undefined)
                }
                // An error on an open port (EIO after an unplug) ends it, the error told.
                const fail = (e: Error) => (port.isOpen ? port.close(undefined, e) : onClose(e))
                const reader = new ReadLoop(port.port as ReadablePort, handlers.data, fail)
                port.on("close", (e?: Error | null) => onClose(e ?? undefined))
                port.on("error", fail)
                reader.start()
                resolve({
                    write: (data, done) => {
                        port.write(data, e => done(e ?? null))
                    },
                    pause: () => reader.pause(),
                    resume: () => reader.resume(),
                    close: () =>
                        new Promise<void>(done => {
                            if (!port.isOpen) {
                                onClose()
                                done()
                                return
                            }
                            port.close(() => {
                                onClose()
                                done()
                            })
                        }),
                })
            })
        })
    },
}
