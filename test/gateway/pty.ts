// Pseudo-terminal pairs for gateway tests: socat makes two linked PTYs with stable
// symlinks in a temp folder; the gateway opens one end, the test plays the device on
// the other through the real serialport bindings. stop() removes the port as an unplug
// would (socat exits, the links vanish); restart() plugs it back at the same path.
import { spawn, type ChildProcess } from "node:child_process"
import { existsSync } from "node:fs"
import path from "node:path"
import { SerialPort } from "serialport"
import { requireBinaries } from "../support/binaries"
import { tieToParent } from "../support/cleanup"
import { waitFor } from "../support/wait"

export function socatAvailable() {
    return requireBinaries(["socat"], "socat")
}

export interface FakeDevice {
    /** The path the gateway opens. */
    readonly path: string
    /** Writes raw text or bytes to the gateway. */
    write(data: string | Buffer): Promise<void>
    /** Lines the gateway sent, oldest first. */
    lines(): string[]
    waitForLine(predicate: (line: string) => boolean, timeoutMs?: number, from?: number): Promise<string>
    /** Unplugs: socat exits, both links vanish, the gateway's port sees a hang-up. */
    unplug(): Promise<void>
    /** Plugs back in at the same path. */
    plug(): Promise<void>
    stop(): Promise<void>
}

export async function startDevice(dir: string, name: string): Promise<FakeDevice> {
    const gatewayEnd = path.join(dir, name)
    const deviceEnd = path.join(dir, `${name}.device`)
    let socat: ChildProcess | undefined
    let port: SerialPort | undefined
    let partial = ""
    const received: string[] = []

    const plug = async () => {
        const child = spawn("socat", [`pty,raw,echo=0,link=${gatewayEnd}`, `pty,raw,echo=0,link=${deviceEnd}`], { stdio: "ignore" })
        tieToParent(child)
        socat = child
        await waitFor(() => existsSync(gatewayEnd) && existsSync(deviceEnd), { what: `socat to make ${gatewayEnd}`, timeoutMs: 5000, intervalMs: 10 })
        const p = new SerialPort({ path: deviceEnd, baudRate: 115200, autoOpen: false })
        await new Promise<void>((resolve, reject) => p.open((e) => (e ? reject(e) : resolve())))
        p.on("error", () => undefined)
        p.on("data", (chunk: Buffer) => {
            const parts = (partial + chunk.toString("utf8")).split("\n")
            partial = parts.pop() ?? ""
            received.push(...parts)
        })
        port = p
    }
    const unplug = async () => {
        const p = port
        port = undefined
        if (p?.isOpen) await new Promise<void>((resolve) => p.close(() => resolve()))
        const child = socat
        socat = undefined
        if (child && child.exitCode === null && child.signalCode === null) {
            const exited = new Promise((resolve) => child.once("exit", resolve))
            child.kill("SIGTERM")
            await exited
        }
    }
    await plug()
    return {
        path: gatewayEnd,
        write: (data) =>
            new Promise<void>((resolve, reject) => {
                if (!port) return reject(new Error(`${name} is unplugged`))
                port.write(data, (e) => (e ? reject(e) : port!.drain(() => resolve())))
            }),
        lines: () => [...received],
        waitForLine: (predicate, timeoutMs = 15000, from = 0) =>
            waitFor(() => received.slice(from).find(predicate), { what: `${name} to receive a matching line (got ${JSON.stringify(received.slice(-5))})`, timeoutMs, intervalMs: 10 }),
        unplug,
        plug,
        stop: unplug,
    }
}
