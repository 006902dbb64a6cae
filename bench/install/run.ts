/**
 * The installed gateway's weight (not a test): the four figures of the packaging
 * targets, each measured on a fresh `npm install -g` of the gateway's tarball and
 * printed against its target.
 *
 *   1. node_modules of a fresh global install: disk use and package count;
 *   2. `fieldlink-gateway --help` on this machine's Node: wall time and peak RSS
 *      (median of 5 after one warm-up, measured by /usr/bin/time from outside), with
 *      the CPU time beside it, which a busy machine does not inflate;
 *   3. the gateway with 16 idle devices on pseudo-terminals (each said hello, so each
 *      has its own MQTT connection): RSS 60 s after start, read from /proc;
 *   4. start → the gateway's `online` (seen by mosquitto_sub) on the arm64 Node under
 *      qemu-user, installed with that Node (median of 3 starts), with the CPU time the
 *      process used until then.
 *
 *   node --import tsx bench/run.ts install [--tarball=FILE] [--command="fieldlink-gateway"]
 *       [--settle=60] [--starts=3] [--skip-arm64] [--arm64-installed=DIR]
 *
 * The tarball and command are chosen as for the deploy check (test/deploy/tarball.ts).
 * Needs mosquitto, mosquitto_sub, socat, /usr/bin/time (Debian `time`) and, for figure
 * 4, what .ci/deploy-check installs.
 */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { startMosquitto, type Mosquitto } from "@fieldlink/test-support/mosquitto"
import type { ProcessMemory } from "@fieldlink/test-support/proc"
import { median } from "@fieldlink/test-support/stats"
import { startWitness, type Witness } from "@fieldlink/test-support/witness"
import { sleep } from "@fieldlink/test-support/wait"
import { startDevice } from "@fieldlink/test-support/pty"
import { arm64Node } from "../../test/deploy/arm64-node.js"
import { existingInstall, installTarball, installWeight, type Installed } from "../../test/deploy/install.js"
import { startInstalledGateway, writeGatewayConfig } from "../../test/deploy/installed-gateway.js"
import { chooseSubject, flag, type Subject } from "../../test/deploy/tarball.js"

const argv = process.argv.slice(2)
const SETTLE_S = Number(flag(argv, "settle") ?? 60)
const STARTS = Number(flag(argv, "starts") ?? 3)
const MB = 1024 * 1024

interface Row {
    figure: string
    measured: string
    target: string
    met: boolean | undefined
}
const rows: Row[] = []
const cleanups: Array<() => unknown> = []

/** Figure 2: wall time (s) and peak RSS (bytes) of one run of the command, by GNU time. */
function timedRun(
    installed: Installed,
    command: string[],
    args: string[],
    dir: string,
): { seconds: number; cpu: number; rss: number } {
    const [name, ...leading] = command
    const report = path.join(dir, "time.txt")
    const run = spawnSync(
        "/usr/bin/time",
        ["-o", report, "-f", "%e %U %S %M", path.join(installed.prefix, "bin", name), ...leading, ...args],
        {
            env: installed.env,
            stdio: "ignore",
            timeout: 60_000,
        },
    )
    if (run.error)
        throw new Error(`/usr/bin/time could not run (Debian package \`time\`): ${run.error.message}`)
    if (run.status !== 0)
        throw new Error(`${command.join(" ")} ${args.join(" ")} exited with ${run.status ?? run.signal}`)
    const match = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/m.exec(readFileSync(report, "utf8"))
    if (!match) throw new Error(`/usr/bin/time wrote no figures: ${readFileSync(report, "utf8")}`)
    return {
        seconds: Number(match[1]),
        cpu: Number(match[2]) + Number(match[3]),
        rss: Number(match[4]) * 1024,
    }
}

/** Figure 3: RSS of the gateway with 16 attached, idle devices, SETTLE_S after its start. */
async function idleRss(
    installed: Installed,
    subject: Subject,
    broker: Mosquitto,
    witness: Witness,
    dir: string,
): Promise<ProcessMemory> {
    const ids = Array.from({ length: 16 }, (_, i) => `idle-${i + 1}`)
    const devices = []
    for (const id of ids) {
        const device = await startDevice(dir, id)
        cleanups.push(() => device.stop())
        devices.push(device)
    }
    const config = await writeGatewayConfig(
        dir,
        "bench-idle",
        broker.url,
        devices.map(d => d.path),
    )
    const gateway = startInstalledGateway(installed, subject.command, ["--config", config])
    try {
        await gateway.waitForLogged("port open", devices.length, 60_000)
        for (const [i, device] of devices.entries()) await device.write(`hello id=${ids[i]}\n`)
        for (const id of ids)
            await witness.waitFor(
                m => m.topic === `fieldlink/devices/${id}/status` && m.text === "online",
                60_000,
            )
        const left = SETTLE_S * 1000 - (performance.now() - gateway.startedAt)
        if (left > 0) await sleep(left)
        return gateway.memory()
    } finally {
        await gateway.kill("SIGTERM")
    }
}

/** Figure 4: seconds from the start of the installed command to its `online`, STARTS times. */
async function emulatedStarts(
    installed: Installed,
    subject: Subject,
    broker: Mosquitto,
    witness: Witness,
    dir: string,
): Promise<Array<{ seconds: number; cpu: number }>> {
    const device = await startDevice(dir, "arm64-dev")
    cleanups.push(() => device.stop())
    const results: Array<{ seconds: number; cpu: number }> = []
    for (let run = 1; run <= STARTS; run++) {
        const id = `bench-arm64-${run}`
        const config = await writeGatewayConfig(dir, id, broker.url, [device.path])
        const mark = witness.messages().length
        const gateway = startInstalledGateway(installed, subject.command, ["--config", config])
        try {
            const online = await witness.waitFor(
                m => m.topic === `fieldlink/gateways/${id}/status` && m.text === "online",
                180_000,
                mark,
            )
            const result = {
                seconds: (online.at - (performance.timeOrigin + gateway.startedAt)) / 1000,
                cpu: gateway.cpuSeconds(),
            }
            results.push(result)
            console.log(`  start ${run}: ${result.seconds.toFixed(1)} s (${result.cpu.toFixed(1)} s CPU)`)
        } finally {
            await gateway.kill("SIGTERM")
        }
    }
    return results
}

async function main(): Promise<void> {
    const subject = chooseSubject(argv)
    cleanups.push(() => subject.dispose())
    console.log(
        `tarball ${path.basename(subject.tarball)} (${subject.origin}); command: ${subject.command.join(" ")}`,
    )
    console.log(
        `machine ${os.cpus().length} cores, load average ${os
            .loadavg()
            .map(l => l.toFixed(1))
            .join(" ")}`,
    )

    const installed = await installTarball({ tarball: subject.tarball })
    cleanups.push(() => installed.remove())
    const weight = installWeight(installed.prefix)
    console.log(`x86-64 install: ${installed.seconds.toFixed(1)} s`)
    rows.push({
        figure: "installed node_modules",
        measured: `${(weight.bytes / MB).toFixed(1)} MB`,
        target: "≤ 30 MB",
        met: weight.bytes <= 30 * MB,
    })
    rows.push({
        figure: "installed packages",
        measured: `${weight.packages}`,
        target: "≤ 110",
        met: weight.packages <= 110,
    })

    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-bench-install-"))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    timedRun(installed, subject.command, ["--help"], dir) // warm-up: disk cache, tsx's compile cache
    const runs = Array.from({ length: 5 }, () => timedRun(installed, subject.command, ["--help"], dir))
    const helpSeconds = median(runs.map(r => r.seconds))
    const helpRss = median(runs.map(r => r.rss))
    const helpCpu = median(runs.map(r => r.cpu))
    rows.push({
        figure: `${subject.command.join(" ")} --help, time`,
        measured: `${helpSeconds.toFixed(2)} s (${helpCpu.toFixed(2)} s CPU)`,
        target: "≤ 0.25 s",
        met: helpSeconds <= 0.25,
    })
    rows.push({
        figure: `${subject.command.join(" ")} --help, peak RSS`,
        measured: `${(helpRss / MB).toFixed(0)} MB`,
        target: "≤ 60 MB",
        met: helpRss <= 60 * MB,
    })

    const broker = await startMosquitto()
    cleanups.push(() => broker.stop())
    const witness = await startWitness(broker.url, "fieldlink/#")
    cleanups.push(() => witness.stop())
    console.log(`16 idle devices: waiting until ${SETTLE_S} s after the gateway's start ...`)
    const idle = await idleRss(installed, subject, broker, witness, dir)
    rows.push({
        figure: `16 idle devices, RSS after ${SETTLE_S} s`,
        measured: `${idle.rssMb.toFixed(0)} MB (peak ${idle.peakMb.toFixed(0)})`,
        target: "≤ 60 MB",
        met: idle.rssMb <= 60,
    })

    if (argv.includes("--skip-arm64")) {
        rows.push({
            figure: "start → online, emulated arm64",
            measured: "skipped (--skip-arm64)",
            target: "≤ 3 s",
            met: undefined,
        })
    } else {
        const node = arm64Node()
        const reuse = flag(argv, "arm64-installed")
        console.log(
            reuse
                ? `arm64: using the install in ${reuse}`
                : `arm64 ${node.version}: installing the tarball with it (minutes) ...`,
        )
        const install = reuse
            ? existingInstall(reuse, node)
            : await installTarball({
                  tarball: subject.tarball,
                  emulated: node,
                  ignoreScripts: subject.ignoreScriptsEmulated,
              })
        cleanups.push(() => install.remove())
        if (!reuse) console.log(`arm64 install: ${install.seconds.toFixed(1)} s`)
        const arm64 = { ...install, env: { ...install.env, ...subject.emulatedEnv(install.prefix) } }
        const starts = await emulatedStarts(arm64, subject, broker, witness, dir)
        const typical = median(starts.map(s => s.seconds))
        const cpu = median(starts.map(s => s.cpu))
        rows.push({
            figure: "start → online, emulated arm64",
            measured: `${typical.toFixed(1)} s (${cpu.toFixed(1)} s CPU; median of ${starts.length})`,
            target: "≤ 3 s",
            met: typical <= 3,
        })
    }
}

function printTable(): void {
    const header: Row = { figure: "figure", measured: "measured", target: "target", met: undefined }
    const width = (key: "figure" | "measured" | "target") =>
        Math.max(...[header, ...rows].map(r => r[key].length))
    const line = (r: Row, met: string) =>
        `${r.figure.padEnd(width("figure"))}  ${r.measured.padEnd(width("measured"))}  ${r.target.padEnd(width("target"))}  ${met}`
    console.log(`\n${line(header, "met")}`)
    for (const r of rows) console.log(line(r, r.met === undefined ? "–" : r.met ? "yes" : "NO"))
    console.log(
        `\n(load average ${os
            .loadavg()
            .map(l => l.toFixed(1))
            .join(" ")}: times on a busy machine are longer)`,
    )
}

let failed = false
process.once("SIGINT", () => {
    failed = true
    void Promise.all(
        cleanups
            .splice(0)
            .reverse()
            .map(async c => c()),
    ).finally(() => process.exit(130))
})
try {
    await main()
} catch (error) {
    failed = true
    console.error(`install bench FAILED: ${(error as Error).stack ?? String(error)}`)
} finally {
    if (rows.length > 0) printTable()
    for (const cleanup of cleanups.splice(0).reverse()) {
        try {
            await cleanup()
        } catch (error) {
            console.error(`cleanup: ${(error as Error).message}`)
        }
    }
}
process.exitCode = failed ? 1 : 0
