// The installed gateway command, started as the shipped systemd unit does: bin/NAME from
// the install prefix, with PATH choosing the Node that its `#!/usr/bin/env node` line finds,
// and the unit's Environment= settings (its V8 young-generation size among them).
import { spawn, type ChildProcess } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import path from "node:path"
import { tieToParent } from "../support/cleanup.js"
import { processCpuSeconds, processMemory, type ProcessMemory } from "../support/proc.js"
import { serviceEnvironment } from "../support/service-unit.js"
import { freePort, waitFor } from "../support/wait.js"
import type { Installed } from "./install.js"

export interface GatewayProcess {
    readonly child: ChildProcess
    readonly pid: number
    /** performance.now() just before the process was started. */
    readonly startedAt: number
    output(): string
    /** Log lines (JSON) whose `msg` is `msg`. */
    logged(msg: string): number
    waitForLogged(msg: string, count: number, timeoutMs: number): Promise<void>
    /** Resident and peak resident memory now, from /proc. */
    memory(): ProcessMemory
    /** CPU time the process has used so far (user + system), in seconds, from /proc. */
    cpuSeconds(): number
    /** The native files the process has mapped (for qemu: the guest's, by their host path). */
    mappedFiles(pattern: RegExp): string[]
    kill(signal: NodeJS.Signals): Promise<void>
    readonly exited: Promise<number | string | null>
}

/** A gateway config for the installed command: a private state folder, the ports, JSON logs. */
export async function writeGatewayConfig(
    dir: string,
    id: string,
    brokerUrl: string,
    portPaths: string[],
): Promise<string> {
    const file = path.join(dir, "gateway.json")
    const config = {
        gateway: { id, stateDir: path.join(dir, "state"), scanIntervalMs: 500, statsIntervalS: 0 },
        broker: { url: brokerUrl, reconnect: { baseMs: 100, capMs: 2000 } },
        ports: portPaths.map(p => ({ path: p, live: 0 })),
        http: { port: await freePort() },
        log: { level: "info", format: "json" },
    }
    writeFileSync(file, JSON.stringify(config, null, 2))
    return file
}

export function startInstalledGateway(
    installed: Installed,
    command: string[],
    args: string[],
): GatewayProcess {
    const [name, ...leading] = command
    const bin = path.join(installed.prefix, "bin", name)
    const startedAt = performance.now()
    const env = { ...installed.env, ...serviceEnvironment() }
    const child = spawn(bin, [...leading, ...args], { env, stdio: ["ignore", "pipe", "pipe"] })
    tieToParent(child)
    if (child.pid === undefined) throw new Error(`could not start ${bin}`)
    const pid = child.pid
    let out = ""
    child.stdout!.on("data", d => (out += d))
    child.stderr!.on("data", d => (out += d))
    const exited = new Promise<number | string | null>(resolve =>
        child.once("close", (code, signal) => resolve(code ?? signal)),
    )
    child.once("error", err => (out += `\n[spawn error] ${err.message}`))

    const logged = (msg: string) =>
        out.split("\n").filter(line => {
            try {
                return (JSON.parse(line) as { msg?: unknown }).msg === msg
            } catch {
                return false
            }
        }).length
    const running = () => child.exitCode === null && child.signalCode === null
    return {
        child,
        pid,
        startedAt,
        output: () => out,
        logged,
        waitForLogged: async (msg, count, timeoutMs) => {
            await waitFor(() => logged(msg) >= count || !running(), {
                what: `${count} "${msg}" log lines from the gateway`,
                timeoutMs,
                intervalMs: 50,
            })
            if (logged(msg) < count)
                throw new Error(
                    `the gateway exited (${child.exitCode ?? child.signalCode}) before logging "${msg}" ${count} times`,
                )
        },
        memory: () => processMemory(pid, "the installed gateway"),
        cpuSeconds: () => processCpuSeconds(pid),
        mappedFiles: pattern => {
            const files = readFileSync(`/proc/${pid}/maps`, "utf8")
                .split("\n")
                .map(line => line.split(/\s+/).slice(5).join(" "))
                .filter(file => pattern.test(file))
            return [...new Set(files)]
        },
        kill: async signal => {
            if (running()) child.kill(signal)
            await exited
        },
        exited,
    }
}

/** The last lines of the gateway's output, for an error message. */
export function outputTail(gateway: GatewayProcess, lines = 25): string {
    return gateway.output().trim().split("\n").slice(-lines).join("\n") || "(no output)"
}
