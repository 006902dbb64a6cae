/**
 * The Raspberry Pi deploy check (run by .ci/deploy-check, which installs what it needs):
 * the gateway's npm tarball installed with an arm64 Node.js under qemu-user, its
 * installed command started against a real mosquitto with pseudo-terminal devices.
 * It passes when, as seen by an independent mosquitto_sub:
 *
 *  - the gateway publishes its own `online`;
 *  - each device's birth (`online`) arrives after its `hello`;
 *  - every telemetry line each device writes arrives (N of N);
 *  - after kill -9 of the gateway, the broker publishes every will: `offline` for the
 *    gateway and for each device;
 *
 * and serialport's native binding the gateway loaded is the linux-arm64 prebuild. It
 * prints how long the install and the start (to the gateway's `online`) took.
 *
 *   node --import tsx test/deploy/pi-check.ts [--tarball FILE] [--command "fieldlink-gateway"] [--ignore-scripts] [--lines N]
 *
 * (tarball.ts tells how the tarball and command are chosen; --installed DIR reuses the
 * --prefix of an install made before, to try the rest quickly.)
 */
import { mkdtempSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { startMosquitto } from "../support/mosquitto.js"
import { waitFor } from "../support/wait.js"
import { startWitness, type Witness, type WitnessMessage } from "../support/witness.js"
import { startDevice, type FakeDevice } from "../support/pty.js"
import { arm64Node } from "./arm64-node.js"
import { existingInstall, installTarball } from "./install.js"
import {
    outputTail,
    startInstalledGateway,
    writeGatewayConfig,
    type GatewayProcess,
} from "./installed-gateway.js"
import { chooseSubject, flag, UsageError } from "./tarball.js"

const GATEWAY_ID = "pi-check"
const DEVICES = ["pi-dev-1", "pi-dev-2"]
/** The whole check, install included, must end within this (the install is most of it). */
const OVERALL_DEADLINE_S = 900
/** Emulated start-up of a loaded machine can take tens of seconds; a real Pi needs a few. */
const ONLINE_DEADLINE_MS = 120_000
const STEP_DEADLINE_MS = 60_000

const cleanups: Array<() => unknown> = []
const seconds = (from: number) => ((performance.now() - from) / 1000).toFixed(1)

const KNOWN = ["--tarball", "--command", "--ignore-scripts", "--lines", "--installed"]

async function main(argv: string[]): Promise<void> {
    const unknown = argv.filter(
        (arg, i) =>
            arg.startsWith("--") && !KNOWN.includes(arg.split("=")[0]) && !KNOWN.includes(argv[i - 1] ?? ""),
    )
    if (unknown.length > 0)
        throw new UsageError(`unknown option ${unknown.join(", ")}; expected ${KNOWN.join(", ")}`)
    const lines = Number(flag(argv, "lines") ?? 20)
    if (!Number.isInteger(lines) || lines < 1)
        throw new UsageError(`--lines: expected a whole number ≥ 1, found ${flag(argv, "lines")}`)
    const begun = performance.now()
    console.log(
        "deploy check: the gateway's npm tarball on an arm64 Node.js (qemu-user), with mosquitto and pseudo-terminal devices",
    )

    const subject = chooseSubject(argv)
    cleanups.push(() => subject.dispose())
    console.log(`tarball    ${path.basename(subject.tarball)} (${subject.origin})`)
    console.log(`command    ${subject.command.join(" ")}`)
    const node = arm64Node()
    console.log(`node       ${node.version} arm64, run by ${node.qemu}`)

    const reuse = flag(argv, "installed")
    const install =
        reuse !== undefined
            ? existingInstall(reuse, node)
            : await installTarball({
                  tarball: subject.tarball,
                  emulated: node,
                  ignoreScripts: subject.ignoreScriptsEmulated,
              })
    cleanups.push(() => install.remove())
    const installed = { ...install, env: { ...install.env, ...subject.emulatedEnv(install.prefix) } }
    const scripts = subject.ignoreScriptsEmulated
        ? "install scripts skipped"
        : "install scripts run on the arm64 Node"
    if (reuse !== undefined) console.log(`install    (not timed: using the install in ${reuse})`)
    else
        console.log(
            `install    ${installed.seconds.toFixed(1)} s, ${installed.added ?? "?"} packages added (npm install -g, ${scripts})`,
        )
    if (installed.env.ESBUILD_BINARY_PATH)
        console.log(
            `           (tsx's esbuild runs as x86-64 on this machine: ${installed.env.ESBUILD_BINARY_PATH})`,
        )

    const broker = await startMosquitto()
    cleanups.push(() => broker.stop())
    const witness = await startWitness(broker.url, "fieldlink/#", { qos: 1 })
    cleanups.push(() => witness.stop())
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-deploy-"))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const devices: FakeDevice[] = []
    for (const id of DEVICES) {
        const device = await startDevice(dir, id)
        cleanups.push(() => device.stop())
        devices.push(device)
    }
    const config = await writeGatewayConfig(
        dir,
        GATEWAY_ID,
        broker.url,
        devices.map(d => d.path),
    )

    const gateway = startInstalledGateway(installed, subject.command, ["--config", config])
    cleanups.push(() => gateway.kill("SIGKILL"))
    const online = await expect(gateway, "the gateway's own online", () =>
        witness.waitFor(
            m => m.topic === `fieldlink/gateways/${GATEWAY_ID}/status` && m.text === "online",
            ONLINE_DEADLINE_MS,
        ),
    )
    const startSeconds = (online.at - (performance.timeOrigin + gateway.startedAt)) / 1000
    // CPU time says how much work the start was, whatever else the machine was doing.
    const startCpu = gateway.cpuSeconds()
    console.log(
        `online     start → gateway online ${startSeconds.toFixed(1)} s (${startCpu.toFixed(1)} s of CPU; load average ${os.loadavg()[0].toFixed(1)})`,
    )

    await expect(gateway, "the ports to open", () =>
        gateway.waitForLogged("port open", devices.length, STEP_DEADLINE_MS),
    )
    const bindings = gateway.mappedFiles(/bindings-cpp.*\.node$/)
    if (bindings.length !== 1 || !bindings[0].includes("/prebuilds/linux-arm64/")) {
        throw new Error(
            `expected serialport's linux-arm64 prebuild to be loaded, found ${bindings.length ? bindings.join(", ") : "no native binding"} in the gateway's memory map`,
        )
    }
    console.log(
        `ports      ${devices.length} open; serialport's native binding: ${bindings[0].slice(bindings[0].indexOf("prebuilds/"))}`,
    )

    for (const [i, device] of devices.entries())
        await device.write(`hello id=${DEVICES[i]} fw=deploy-check\n`)
    for (const id of DEVICES)
        await expect(gateway, `${id}'s birth`, () =>
            witness.waitFor(m => m.topic === statusTopic(id) && m.text === "online", STEP_DEADLINE_MS),
        )
    console.log(`birth      ${DEVICES.map(id => `${id} online`).join(", ")}`)

    for (let seq = 1; seq <= lines; seq++) {
        for (const device of devices) await device.write(`{"seq":${seq},"t_c":21.5}\n`)
    }
    for (const id of DEVICES) {
        await expect(gateway, `${lines} telemetry lines of ${id}`, () =>
            waitFor(() => telemetrySeqs(witness, id).size >= lines, {
                what: `${id}'s telemetry`,
                timeoutMs: STEP_DEADLINE_MS,
                intervalMs: 50,
            }),
        )
        const wrong = [...telemetrySeqs(witness, id)].filter(seq => !(seq >= 1 && seq <= lines))
        if (wrong.length > 0)
            throw new Error(`${id}: telemetry with seq ${wrong.join(", ")}, which no device sent`)
    }
    console.log(
        `telemetry  ${DEVICES.map(id => `${id} ${telemetrySeqs(witness, id).size}/${lines}`).join(", ")}`,
    )

    const mark = witness.messages().length
    const killedAt = Date.now()
    await gateway.kill("SIGKILL")
    const wills = [`fieldlink/gateways/${GATEWAY_ID}/status`, ...DEVICES.map(statusTopic)]
    const seen: WitnessMessage[] = []
    for (const topic of wills) {
        seen.push(
            await witness.waitFor(m => m.topic === topic && m.text === "offline", STEP_DEADLINE_MS, mark),
        )
    }
    const willSeconds = (Math.max(...seen.map(m => m.at)) - killedAt) / 1000
    console.log(
        `wills      after kill -9: ${wills.map(t => `${t.split("/").slice(1, 3).join("/")} offline`).join(", ")} (within ${Math.max(0, willSeconds).toFixed(1)} s)`,
    )
    const installPart = Number.isNaN(installed.seconds) ? "" : `install ${installed.seconds.toFixed(1)} s, `
    console.log(
        `\ndeploy check passed in ${seconds(begun)} s (${installPart}start → online ${startSeconds.toFixed(1)} s, ${startCpu.toFixed(1)} s CPU)`,
    )
}

function statusTopic(id: string): string {
    return `fieldlink/devices/${id}/status`
}

function telemetrySeqs(witness: Witness, id: string): Set<number> {
    const seqs = new Set<number>()
    for (const m of witness.messages()) {
        if (m.topic !== `fieldlink/devices/${id}/telemetry`) continue
        seqs.add(Number((JSON.parse(m.text) as { seq?: unknown }).seq))
    }
    return seqs
}

/** Runs a wait; on failure names what was awaited and shows the gateway's last output. */
async function expect<T>(gateway: GatewayProcess, what: string, wait: () => Promise<T>): Promise<T> {
    try {
        return await wait()
    } catch (error) {
        const state =
            gateway.child.exitCode !== null || gateway.child.signalCode !== null
                ? `exited (${gateway.child.exitCode ?? gateway.child.signalCode})`
                : "running"
        throw new Error(
            `waiting for ${what}: ${(error as Error).message}\nthe gateway is ${state}; its last output:\n${outputTail(gateway)}`,
        )
    }
}

async function cleanUp(): Promise<void> {
    for (const cleanup of cleanups.splice(0).reverse()) {
        try {
            await cleanup()
        } catch (error) {
            console.error(`cleanup: ${(error as Error).message}`)
        }
    }
}

process.once("SIGINT", () => {
    console.error("\ninterrupted: cleaning up ...")
    void cleanUp().finally(() => process.exit(130))
})
const overall = setTimeout(() => {
    console.error(`deploy check FAILED: not done after ${OVERALL_DEADLINE_S} s`)
    void cleanUp().finally(() => process.exit(1))
}, OVERALL_DEADLINE_S * 1000)
try {
    await main(process.argv.slice(2))
    process.exitCode = 0
} catch (error) {
    const usage = error instanceof UsageError
    console.error(
        `\ndeploy check ${usage ? "usage" : "FAILED"}: ${usage ? (error as Error).message : ((error as Error).stack ?? String(error))}`,
    )
    process.exitCode = usage ? 2 : 1
} finally {
    await cleanUp()
    clearTimeout(overall)
}
