/**
 * Node-RED as a peer in the benchmark: `node-red@4.1.15` with
 * `node-red-node-serialport@2.0.3`, installed by `--install-node-red` into
 * bench/.scratch/node-red (git-ignored; never a project dependency), run headless with one
 * serial-in → mqtt-out flow per port, at QoS 0 (its default) or QoS 1 (the gateway's).
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process"
import { existsSync, mkdirSync, writeFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const SCRATCH = fileURLToPath(new URL("../.scratch/node-red", import.meta.url))
const RED = path.join(SCRATCH, "node_modules", "node-red", "red.js")

export function nodeRedInstalled(): boolean {
    return existsSync(RED) && existsSync(path.join(SCRATCH, "node_modules", "node-red-node-serialport"))
}

export function installNodeRed(): void {
    mkdirSync(SCRATCH, { recursive: true })
    if (!existsSync(path.join(SCRATCH, "package.json")))
        writeFileSync(
            path.join(SCRATCH, "package.json"),
            JSON.stringify({ name: "node-red-bench-scratch", private: true }),
        )
    execFileSync(
        "npm",
        ["install", "--no-audit", "--no-fund", "node-red@4.1.15", "node-red-node-serialport@2.0.3"],
        { cwd: SCRATCH, stdio: "inherit" },
    )
}

export function startNodeRed(
    brokerUrl: string,
    ports: string[],
    dir: string,
    httpPort: number,
    qos: 0 | 1,
): ChildProcess {
    const broker = new URL(brokerUrl)
    const flow: Record<string, unknown>[] = [
        { id: "tab", type: "tab", label: "bench" },
        {
            id: "broker",
            type: "mqtt-broker",
            name: "bench",
            broker: broker.hostname,
            port: broker.port,
            clientid: `node-red-bench-${process.pid}`,
            autoConnect: true,
            usetls: false,
            protocolVersion: "4",
            keepalive: "60",
            cleansession: true,
        },
    ]
    ports.forEach((p, i) => {
        flow.push(
            {
                id: `port${i}`,
                type: "serial-port",
                serialport: p,
                serialbaud: "115200",
                databits: "8",
                parity: "none",
                stopbits: "1",
                waitfor: "",
                dtr: "none",
                rts: "none",
                cts: "none",
                dsr: "none",
                newline: "\\n",
                bin: "false",
                out: "char",
                addchar: "",
                responsetimeout: "10000",
            },
            {
                id: `in${i}`,
                type: "serial in",
                z: "tab",
                serial: `port${i}`,
                x: 100,
                y: 40 * (i + 1),
                wires: [[`out${i}`]],
            },
            {
                id: `out${i}`,
                type: "mqtt out",
                z: "tab",
                topic: `fieldlink/devices/${path.basename(p)}/telemetry`,
                qos: String(qos),
                retain: "false",
                broker: "broker",
                x: 300,
                y: 40 * (i + 1),
                wires: [],
            },
        )
    })
    const userDir = path.join(dir, `node-red-q${qos}-${ports.length}`)
    mkdirSync(userDir, { recursive: true })
    const flowFile = path.join(userDir, "flows.json")
    writeFileSync(flowFile, JSON.stringify(flow))
    writeFileSync(
        path.join(userDir, "settings.js"),
        `module.exports = { uiPort: ${httpPort}, uiHost: "127.0.0.1", flowFile: ${JSON.stringify(flowFile)}, httpAdminRoot: false, httpNodeRoot: false, credentialSecret: false, logging: { console: { level: "error" } } }\n`,
    )
    return spawn(
        process.execPath,
        [RED, "--userDir", userDir, "--settings", path.join(userDir, "settings.js")],
        { stdio: ["ignore", "ignore", "inherit"] },
    )
}
