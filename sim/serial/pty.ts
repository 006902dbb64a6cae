/**
 * A simulated serial cable: two linked pseudo-terminals made by socat, with stable
 * symlinks. The gateway opens one end (`gatewayPath`) with the real serialport bindings;
 * the simulated device writes and reads the other through serialport too.
 *
 * `unplug()` removes the port as a USB unplug would (socat exits, both links vanish, the
 * gateway's port hangs up); `plug()` brings it back at the same path.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync } from "node:fs"
import path from "node:path"
import { SerialPort } from "serialport"
import { armEveryWait, isWaitingPoller } from "@fieldlink/lib/serial/poller-waits"
import { tieToParent } from "@fieldlink/lib/process/children"

export const PORTS_DIR = "ports"
const DEVICES_DIR = "devices"

/** Why socat cannot be used here, or null when it can. */
export function socatProblem(): string | null {
    const r = spawnSync("socat", ["-V"], { stdio: "ignore" })
    return r.error ? "socat is not installed (Debian/Ubuntu: sudo apt install socat)" : null
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
        await new Promise(r => setTimeout(r, 10))
    }
}

export class PtyPair {
    private socat: ChildProcess | undefined
    private port: SerialPort | undefined
    private partial = ""
    private readonly lineListeners = new Set<(line: string) => void>()

    /** The end the gateway opens. */
    readonly gatewayPath: string
    private readonly devicePath: string

    private constructor(dir: string, name: string) {
        this.gatewayPath = path.join(dir, PORTS_DIR, name)
        this.devicePath = path.join(dir, DEVICES_DIR, name)
    }

    /** The gateway end is `<dir>/ports/<name>`, so the gateway can watch `<dir>/ports/*`. */
    static async open(dir: string, name: string): Promise<PtyPair> {
        mkdirSync(path.join(dir, PORTS_DIR), { recursive: true })
        mkdirSync(path.join(dir, DEVICES_DIR), { recursive: true })
        const pair = new PtyPair(dir, name)
        await pair.plug()
        return pair
    }

    get plugged(): boolean {
        return this.port !== undefined
    }

    /** Lines the gateway sends to the device (`ok`, `err`, `pong`, `cmd`). */
    onLine(listener: (line: string) => void): () => void {
        this.lineListeners.add(listener)
        return () => this.lineListeners.delete(listener)
    }

    /** Resolves once the bytes are handed to the terminal. Fails while unplugged. */
    write(data: string | Buffer): Promise<void> {
        const port = this.port
        if (!port) return Promise.reject(new Error(`${this.gatewayPath} is unplugged`))
        return new Promise((resolve, reject) =>
            port.write(data, e => (e ? reject(e) : port.drain(() => resolve()))),
        )
    }

    async plug(): Promise<void> {
        if (this.socat) return
        const child = spawn(
            "socat",
            [`pty,raw,echo=0,link=${this.gatewayPath}`, `pty,raw,echo=0,link=${this.devicePath}`],
            { stdio: "ignore" },
        )
        tieToParent(child)
        this.socat = child
        await until(
            `socat to make ${this.gatewayPath}`,
            () => existsSync(this.gatewayPath) && existsSync(this.devicePath),
            5000,
        )
        const port = new SerialPort({ path: this.devicePath, baudRate: 115200, autoOpen: false })
        await new Promise<void>((resolve, reject) => port.open(e => (e ? reject(e) : resolve())))
        // The device end reads and writes at once, as the gateway's does: keep both waits armed.
        const poller = (port.port as { poller?: unknown } | undefined)?.poller
        if (isWaitingPoller(poller)) armEveryWait(poller)
        port.on("error", () => undefined)
        port.on("data", (chunk: Buffer) => {
            const parts = (this.partial + chunk.toString("utf8")).split("\n")
            this.partial = parts.pop() ?? ""
            for (const line of parts)
                for (const listener of this.lineListeners) listener(line.replace(/\r$/, ""))
        })
        this.port = port
    }

    async unplug(): Promise<void> {
        const port = this.port
        this.port = undefined
        this.partial = ""
        if (port?.isOpen) await new Promise<void>(resolve => port.close(() => resolve()))
        const child = this.socat
        this.socat = undefined
        if (child && child.exitCode === null && child.signalCode === null) {
            const exited = new Promise(resolve => child.once("exit", resolve))
            child.kill("SIGTERM")
            await exited
        }
    }

    close(): Promise<void> {
        this.lineListeners.clear()
        return this.unplug()
    }
}
