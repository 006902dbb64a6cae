// Pseudo-terminal pairs for gateway tests, on the simulator's own PTY cable
// (sim/serial/pty.ts): the gateway opens one end, the test plays the device on the other
// through the real serialport bindings. unplug() removes the port as an unplug would
// (socat exits, the links vanish); plug() brings it back at the same path.
import { PtyPair } from "@fieldlink/sim/serial/pty"
import { requireBinaries } from "./binaries.js"
import { waitFor } from "./wait.js"

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
    const pair = await PtyPair.open(dir, name)
    const received: string[] = []
    pair.onLine(line => received.push(line))
    return {
        path: pair.gatewayPath,
        write: data => pair.write(data),
        lines: () => [...received],
        waitForLine: (predicate, timeoutMs = 5000, from = 0) =>
            waitFor(() => received.slice(from).find(predicate), {
                what: `${name} to receive a matching line (got ${JSON.stringify(received.slice(-5))})`,
                timeoutMs,
                intervalMs: 10,
            }),
        unplug: () => pair.unplug(),
        plug: () => pair.plug(),
        stop: () => pair.close(),
    }
}
