// The gateway as a user installs it: `npm run package`'s tarball installed globally into
// an empty prefix far from the checkout (third-party packages from the registry, or
// npm's cache), then the installed `fieldlink-gateway` bridging a PTY device to a real
// mosquitto: its birth, the device's birth and telemetry.
import { execFile, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import test from "ava"
import { tieToParent } from "../support/cleanup.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { socatAvailable, startDevice } from "../support/pty.js"
import { freePort, waitFor } from "../support/wait.js"
import { startWitness, witnessAvailable } from "../support/witness.js"

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL("../../", import.meta.url))

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("package install test is skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

function tempDir(prefix: string): string {
    return mkdtempSync(path.join(os.tmpdir(), prefix))
}

brokerTest(
    "the gateway tarball installs alone and runs: --version, --check, birth and telemetry from a PTY device",
    async t => {
        const work = tempDir("fieldlink-pkg-")
        t.teardown(() => rmSync(work, { recursive: true, force: true }))
        // Pack (from the compiled packages: npm test builds first) and install far from the checkout.
        await run(process.execPath, [
            path.join(ROOT, "scripts/package.mjs"),
            "--out",
            path.join(work, "out"),
            "--only",
            "fieldlink-gateway",
        ])
        const [tarball] = readdirSync(path.join(work, "out")).filter(f =>
            /^fieldlink-gateway-.*\.tgz$/.test(f),
        )
        t.truthy(tarball, "npm run package wrote fieldlink-gateway-<version>.tgz")
        const prefix = path.join(work, "prefix")
        await run(
            "npm",
            [
                "install",
                "--global",
                "--prefix",
                prefix,
                "--prefer-offline",
                "--no-audit",
                "--no-fund",
                path.join(work, "out", tarball),
            ],
            { cwd: work, timeout: 180000 },
        )
        const bin = path.join(prefix, "bin", "fieldlink-gateway")
        t.true(existsSync(bin), "the install put fieldlink-gateway on the prefix's PATH")
        const installed = path.join(prefix, "lib", "node_modules", "fieldlink-gateway", "node_modules")
        t.false(existsSync(path.join(installed, "pino-pretty")), "no pino-pretty")
        t.false(existsSync(path.join(installed, "tsx")), "no tsx at run time")
        t.false(existsSync(path.join(installed, "jacdac-ts")), "no jacdac-ts")
        // One bundle holds the gateway, mqtt, pino, ajv's runtime, yaml and serialport's
        // JavaScript; serialport's native bindings alone are installed.
        for (const inside of ["mqtt", "pino", "ajv", "yaml", "ws", "serialport", "@fieldlink"])
            t.false(existsSync(path.join(installed, inside)), `${inside} is inside the bundle, not installed`)
        t.true(
            existsSync(path.join(installed, "@serialport", "bindings-cpp")),
            "serialport's bindings are installed",
        )

        const env = { ...process.env, PATH: `${path.dirname(bin)}:${process.env.PATH}` }
        const version = await run(bin, ["--version"], { cwd: work, env })
        t.regex(version.stdout, /^\d+\.\d+\.\d+\n$/)
        const example = path.join(
            prefix,
            "lib",
            "node_modules",
            "fieldlink-gateway",
            "deploy",
            "gateway.example.yaml",
        )
        t.regex(
            (await run(bin, ["--check", "--config", example], { cwd: work, env })).stdout,
            /configuration is valid/,
        )
        // A mistaken configuration reads exactly as from the checkout (whose validator ajv
        // compiles at run time; the package's was generated when it was packed).
        const bad = path.join(work, "bad.yaml")
        writeFileSync(
            bad,
            "broker:\n  url: http://broker.local\nports:\n  - path: /dev/ttyUSB0\n    baudRate: fast\nlog: { level: loud }\n",
        )
        const refusal = (file: string, args: string[]) =>
            run(file, [...args, "--check", "--config", bad], { cwd: work, env }).then(
                () => undefined,
                (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
            )
        const fromCheckout = await refusal(process.execPath, [
            path.join(ROOT, "gateway/bin/fieldlink-gateway.js"),
        ])
        t.like(fromCheckout, { code: 2 })
        t.regex(fromCheckout?.stderr ?? "", /line 5: ports\[0\]\.baudRate: found "fast"/)
        t.deepEqual(await refusal(bin, []), fromCheckout)
        // The careless user: no flags at all is a usage mistake (exit 2) that says what to give.
        const bare = await run(bin, [], { cwd: work, env }).then(
            () => undefined,
            (e: { code: number; stderr: string }) => e,
        )
        t.is(bare?.code, 2)
        t.regex(bare?.stderr ?? "", /give --config FILE, or --broker URL with --serial PATH/)

        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const device = await startDevice(work, "ttyPKG")
        t.teardown(() => device.stop())
        const witness = await startWitness(broker.url, "fieldlink/#")
        t.teardown(() => witness.stop())
        const args = [
            "--broker",
            broker.url,
            "--serial",
            device.path,
            "--id",
            "pkg-gw",
            "--state-dir",
            path.join(work, "state"),
            "--http-port",
            String(await freePort()),
            "--log-format",
            "json",
        ]
        const gateway = spawn(bin, args, { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] })
        tieToParent(gateway)
        let output = ""
        gateway.stdout.on("data", (d: Buffer) => (output += d.toString("utf8")))
        gateway.stderr.on("data", (d: Buffer) => (output += d.toString("utf8")))
        const exited = new Promise<number | null>(resolve => gateway.once("exit", code => resolve(code)))
        t.teardown(() => void gateway.kill("SIGKILL"))

        const explain = (e: Error) => {
            throw new Error(
                `${e.message}\ninstalled gateway output:\n${output.split("\n").slice(-10).join("\n")}`,
            )
        }
        await witness
            .waitFor(m => m.topic === "fieldlink/gateways/pkg-gw/status" && m.text === "online", 30000)
            .catch(explain)
        // Lines written before the gateway opens the port are lost in the PTY: wait for it.
        await waitFor(() => output.split("\n").some(l => l.includes('"msg":"port open"')), {
            what: "the installed gateway to open the port",
            timeoutMs: 30000,
        }).catch(explain)
        await device.write("hello id=pkg-dev fw=9.9.9\n")
        await device.waitForLine(l => l === "ok hello")
        await witness
            .waitFor(m => m.topic === "fieldlink/devices/pkg-dev/status" && m.text === "online")
            .catch(explain)
        await device.write('{"seq":1,"temperature_c":20.5}\n')
        t.is(
            (await witness.waitFor(m => m.topic === "fieldlink/devices/pkg-dev/telemetry").catch(explain))
                .text,
            '{"seq":1,"temperature_c":20.5}',
        )

        gateway.kill("SIGTERM")
        t.is(await exited, 0)
        await witness.waitFor(m => m.topic === "fieldlink/devices/pkg-dev/status" && m.text === "offline")
    },
)
