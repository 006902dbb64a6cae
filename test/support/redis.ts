// A real Debian redis-server per test: a free loopback port, no persistence, stopped by
// the caller (t.teardown). Used to cluster aedes nodes (mqemitter-redis + persistence).
import { spawn } from "node:child_process"
import { requireBinaries, MissingBinaryError, type Availability } from "./binaries.js"
import { tieToParent } from "./cleanup.js"
import { freePort, waitFor } from "./wait.js"

export interface Redis {
    readonly port: number
    stop(): Promise<void>
}

export function redisAvailable(): Availability {
    return requireBinaries(["redis-server"], "redis-server")
}

export async function startRedis(): Promise<Redis> {
    const availability = redisAvailable()
    if (!availability.ok) throw new MissingBinaryError(availability.reason)
    const port = await freePort()
    const child = spawn(
        availability.paths["redis-server"]!,
        ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        { stdio: ["ignore", "pipe", "pipe"] },
    )
    tieToParent(child)
    let output = ""
    child.stdout!.on("data", d => (output += d))
    child.stderr!.on("data", d => (output += d))
    const exited = new Promise<void>(resolve => child.once("exit", () => resolve()))
    await waitFor(() => /Ready to accept connections/.test(output) || child.exitCode !== null, {
        what: "redis-server to start",
        timeoutMs: 10000,
    })
    if (child.exitCode !== null)
        throw new Error(`redis-server exited at start (code ${child.exitCode}):\n${output}`)
    return {
        port,
        async stop() {
            if (child.exitCode !== null || child.signalCode !== null) return
            child.kill("SIGTERM")
            await exited
        },
    }
}
