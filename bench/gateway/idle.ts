/**
 * Memory of an idle gateway, from the checkout's compiled gateway (npm run build first):
 * N devices on pseudo-terminals each say hello (so each has its own MQTT connection),
 * then nothing; prints the gateway's RSS (and peak) `--settle` seconds after its start,
 * for 1 device and for N, and what each further device costs (a gateway needs a port). The installed-package version of
 * this figure is bench/install (issue 8's target: 16 devices ≤ 60 MB after 60 s).
 *
 *   node --import tsx --conditions=source bench/gateway/idle.ts [--devices=16] [--settle=60] [--bundle]
 *
 * --bundle runs the gateway as the package ships it (scripts/bundle-gateway.mjs: one
 * esbuild bundle, staged in a temporary folder) instead of the compiled dist/ files.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { startMosquitto } from "@fieldlink/test-support/mosquitto"
import { tieToParent } from "@fieldlink/test-support/cleanup"
import { startDevice, type FakeDevice } from "@fieldlink/test-support/pty"
import { processMemory, type ProcessMemory } from "@fieldlink/test-support/proc"
import { freePort, sleep, waitFor } from "@fieldlink/test-support/wait"
import { startWitness } from "@fieldlink/test-support/witness"
// @ts-expect-error: a plain JavaScript build script, without declarations
import { stageBundleForTrial } from "../../scripts/bundle-gateway.mjs"

const ROOT = fileURLToPath(new URL("../..", import.meta.url))
const arg = (name: string) => process.argv.find(a => a.startsWith(`--${name}=`))?.split("=")[1]
const DEVICES = Number(arg("devices") ?? 16)
const BUNDLE = process.argv.includes("--bundle")
const SETTLE_S = Number(arg("settle") ?? 60)

async function idle(count: number, dir: string, url: string, bin: string): Promise<ProcessMemory> {
    const witness = await startWitness(url, "fieldlink/devices/+/status")
    const devices: FakeDevice[] = []
    const ids = Array.from({ length: count }, (_, i) => `idle-${count}-${i + 1}`)
    try {
        for (const id of ids) devices.push(await startDevice(dir, id))
        const config = {
            gateway: { id: `bench-idle-${count}`, stateDir: path.join(dir, `state-${count}`) },
            broker: { url },
            ports: devices.map(d => ({ path: d.path })),
            http: { port: await freePort() },
            log: { level: "info", format: "json" },
        }
        const file = path.join(dir, `idle-${count}.json`)
        writeFileSync(file, JSON.stringify(config))
        const startedAt = performance.now()
        const gateway = spawn(process.execPath, [bin, "--config", file], {
            stdio: ["ignore", "pipe", "inherit"],
        })
        tieToParent(gateway)
        // Lines written before the gateway opens a port are lost in the PTY: wait for each.
        let logged = ""
        gateway.stdout!.on("data", (d: Buffer) => {
            if (logged.length < 1 << 20) logged += d.toString("utf8")
        })
        try {
            await waitFor(() => logged.split('"msg":"port open"').length - 1 >= count, {
                what: `the gateway to open ${count} ports`,
                timeoutMs: 60_000,
            })
            for (const [i, d] of devices.entries()) await d.write(`hello id=${ids[i]} live=3600\n`)
            for (const id of ids)
                await witness.waitFor(
                    m => m.topic === `fieldlink/devices/${id}/status` && m.text === "online",
                    60_000,
                )
            const left = SETTLE_S * 1000 - (performance.now() - startedAt)
            if (left > 0) await sleep(left)
            return processMemory(gateway.pid!, "the gateway")
        } finally {
            gateway.kill("SIGTERM")
            await new Promise(r => gateway.once("exit", r))
        }
    } finally {
        await Promise.all(devices.map(d => d.stop()))
        await witness.stop()
    }
}

const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-bench-idle-"))
const broker = await startMosquitto()
try {
    let bin = path.join(ROOT, "gateway/bin/fieldlink-gateway.js")
    if (BUNDLE) {
        await stageBundleForTrial(path.join(dir, "package"))
        bin = path.join(dir, "package/bin/fieldlink-gateway.js")
    }
    const one = await idle(1, dir, broker.url, bin)
    const some = await idle(DEVICES, dir, broker.url, bin)
    const mb = (m: number) => m.toFixed(1)
    console.log(
        `idle gateway${BUNDLE ? " (bundled as packaged)" : ""}, RSS ${SETTLE_S} s after start: 1 device ${mb(one.rssMb)} MB (peak ${mb(one.peakMb)}); ${DEVICES} devices ${mb(some.rssMb)} MB (peak ${mb(some.peakMb)}); ≈ ${(((some.rssMb - one.rssMb) / (DEVICES - 1)) * 1024).toFixed(0)} KB a further device`,
    )
} finally {
    await broker.stop()
    rmSync(dir, { recursive: true, force: true })
}
process.exit(0)
