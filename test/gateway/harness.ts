// Running the real gateway for tests: a config file in a temp folder, the `fieldlink
// gateway` command as a child process (so kill -9 and SIGTERM are real), its JSON log
// lines parsed as they come.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import type { ExecutionContext } from "ava"
import { configFromObject } from "../../gateway/config/load.js"
import type { BrokerConfig } from "../../gateway/config/types.js"
import { startCli, type RunningCli } from "../support/cli.js"
import { waitFor } from "../support/wait.js"

export interface LogLine {
    level: number
    msg: string
    [key: string]: unknown
}

export interface RunningGateway {
    cli: RunningCli
    httpPort: number
    logs(): LogLine[]
    waitForLog(predicate: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>
    /** Resolves once `count` ports have been opened (lines written before that are lost in the PTY). */
    waitForPorts(count: number, timeoutMs?: number): Promise<void>
    /** SIGTERM and wait for the exit code. */
    stop(): Promise<number | null>
    kill(): Promise<void>
}

/** A link's broker settings as the gateway resolves them from a config naming only `url` (reconnect quick for tests). */
export function resolvedBroker(url: string): BrokerConfig {
    const raw = {
        broker: { url, reconnect: { baseMs: 100, capMs: 1000 } },
        ports: [{ path: "/dev/ttyUSB0" }],
    }
    return configFromObject(raw, "test", { baseDir: "/", env: {} }).broker
}

export function tempDir(t: ExecutionContext, prefix = "fieldlink-gw-"): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    return dir
}

export function writeConfig(dir: string, config: unknown, name = "gateway.json"): string {
    const file = path.join(dir, name)
    writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2))
    return file
}

/** A config for tests: fast scans, stats every second, HTTP on a port the gateway picks, state in `dir`. */
export async function testConfig(
    dir: string,
    broker: string,
    ports: unknown[],
    extra: Record<string, unknown> = {},
): Promise<Record<string, unknown>> {
    const { gateway, queue, ...rest } = extra as { gateway?: object; queue?: object }
    return {
        gateway: {
            id: "gw1",
            stateDir: path.join(dir, "state"),
            scanIntervalMs: 200,
            statsIntervalS: 1,
            ...gateway,
        },
        broker: { url: broker, keepaliveS: 5, reconnect: { baseMs: 100, capMs: 1000 } },
        queue: { flushMs: 50, ...queue },
        ports,
        // 0: the gateway picks a free port and logs it (startGateway reads it): a port
        // found free here could be taken by another test before the gateway listens.
        http: { port: 0 },
        log: { level: "debug", format: "json" },
        ...rest,
    }
}

export interface GatewayStartOptions {
    /** Runs it under `ulimit -f` (KiB): writes past that file size fail with EFBIG, as on a full disk. */
    fileSizeLimitKb?: number
}

export function startGateway(
    t: ExecutionContext,
    configFile: string,
    extraArgs: string[] = [],
    options: GatewayStartOptions = {},
): RunningGateway {
    const args = ["gateway", "--config", configFile, ...extraArgs]
    const cli = startCli(args, { fileSizeLimitKb: options.fileSizeLimitKb })
    const parsed: LogLine[] = []
    let seen = 0
    const logs = () => {
        const lines = cli.output().split("\n")
        for (; seen < lines.length - 1; seen++) {
            try {
                parsed.push(JSON.parse(lines[seen]) as LogLine)
            } catch {
                parsed.push({ level: 0, msg: lines[seen] })
            }
        }
        return parsed
    }
    let httpPort = 0
    const running: RunningGateway = {
        cli,
        get httpPort() {
            return httpPort
        },
        logs,
        waitForLog: (predicate, timeoutMs = 30000) =>
            waitFor(() => logs().find(predicate), {
                what: "a gateway log line",
                timeoutMs,
                intervalMs: 20,
            }).catch((e: Error) => {
                throw new Error(
                    `${e.message}\ngateway output (exit ${cli.child.exitCode ?? cli.child.signalCode}):\n${cli.output().split("\n").slice(-8).join("\n")}`,
                )
            }),
        waitForPorts: async (count, timeoutMs = 40000) => {
            await waitFor(() => logs().filter(l => l.msg === "port open").length >= count, {
                what: `${count} ports to open`,
                timeoutMs,
                intervalMs: 20,
            })
        },
        stop: async () => {
            if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGTERM")
            return cli.exited
        },
        kill: async () => {
            if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGKILL")
            await cli.exited
        },
    }
    t.teardown(async () => {
        await running.kill()
        if (t.passed === false) t.log(cli.output().split("\n").slice(-40).join("\n"))
    })
    void running
        .waitForLog(l => typeof l.url === "string" && /\/metrics$/.test(String(l.url)), 60000)
        .then(
            l => (httpPort = Number(new URL(String(l.url)).port)),
            () => undefined,
        )
    return running
}
