// A device of the user's own, the way a user makes it: `npm run package`'s tarballs,
// `fieldlink init` in a folder far from the checkout, the tarballs installed into it, a
// program of this test's own in src/main.ts (a soil-moisture reading and a pump relay
// obeying cmd/pump), then the installed `fieldlink` building it and running a scenario
// with --check: the telemetry, and the relay on within 2 s of the command.
import { execFile } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import test from "ava"

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL("../../", import.meta.url))

interface Ran {
    code: number
    stdout: string
    stderr: string
}

async function attempt(file: string, args: string[], cwd: string, timeout = 300000): Promise<Ran> {
    return run(file, args, { cwd, timeout, maxBuffer: 16 * 1024 * 1024 }).then(
        r => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({
            code: e.code,
            stdout: e.stdout,
            stderr: e.stderr,
        }),
    )
}

const PROGRAM = `import * as ds from "@devicescript/core"
import { device } from "fieldlink-firmware"

const soil = new ds.SoilMoisture()
const pump = new ds.Relay()

const node = await device.start()
node.command("pump", async (payload) => {
    await pump.enabled.write(payload.trim() === "on")
    node.log("pump " + payload)
})
node.telemetry({ every: 1000 }, async () => ({
    soil_pct: Math.round((await soil.reading.read()) * 1000) / 10,
}))
`

const SCENARIO = `name: pump on command
duration: 10
boards:
  - id: garden-1
    interval: 1000
    soilMoisture: { type: constant, value: 0.42 }
inputs:
  - { name: water, at: 4, device: garden-1, command: pump, payload: "on" }
expect:
  - { type: status, device: garden-1, becomes: online, after: 0, within: 10 }
  - { type: telemetry, device: garden-1, atLeast: 5 }
  - { type: reading, device: garden-1, field: soil_pct, min: 41.9, max: 42.1 }
  - { type: actuator, device: garden-1, actuator: relay, state: "off", after: 3.5, within: 0 }
  - { type: actuator, device: garden-1, actuator: relay, state: "on", after: water, within: 2 }
  - { type: log, device: garden-1, contains: "pump on", after: water, within: 2 }
`

test("a project from fieldlink init, on the installed tarballs, builds and checks the user's own program", async t => {
    t.timeout(900000)
    const work = mkdtempSync(path.join(os.tmpdir(), "fieldlink-own-"))
    t.teardown(() => rmSync(work, { recursive: true, force: true }))
    const out = path.join(work, "out")
    await run(process.execPath, [path.join(ROOT, "scripts/package.mjs"), "--out", out], { timeout: 300000 })
    const tarballs = readdirSync(out).filter(f => /^fieldlink(-firmware)?-\d.*\.tgz$/.test(f))
    t.is(tarballs.length, 2, `fieldlink and fieldlink-firmware tarballs in ${readdirSync(out).join(", ")}`)

    const project = path.join(work, "garden")
    const init = await attempt(
        process.execPath,
        [path.join(ROOT, "cli/bin/fieldlink.js"), "init", project, "--board", "esp32c3_supermini"],
        work,
    )
    t.is(init.code, 0, init.stderr)
    const pkg = JSON.parse(readFileSync(path.join(project, "package.json"), "utf8")) as {
        fieldlink: { board: string }
        dependencies: Record<string, string>
    }
    t.is(pkg.fieldlink.board, "esp32c3_supermini")
    t.truthy(pkg.dependencies["fieldlink-firmware"])
    for (const file of [
        "devsconfig.json",
        "src/main.ts",
        "scenario.yaml",
        "README.md",
        ".github/workflows/device.yml",
    ])
        t.notThrows(() => readFileSync(path.join(project, file)), file)
    t.regex(
        readFileSync(path.join(project, ".github/workflows/device.yml"), "utf8"),
        /fieldlink sim scenario\.yaml --check/,
    )
    // A second init into the same folder writes nothing.
    const again = await attempt(
        process.execPath,
        [path.join(ROOT, "cli/bin/fieldlink.js"), "init", project],
        work,
    )
    t.is(again.code, 2)
    t.regex(again.stderr, /is not empty; nothing was written/)

    await run(
        "npm",
        ["install", "--prefer-offline", "--no-audit", "--no-fund", ...tarballs.map(f => path.join(out, f))],
        { cwd: project, timeout: 600000 },
    )
    const fieldlink = path.join(project, "node_modules", ".bin", "fieldlink")

    // What init wrote works as it is: its scenario passes on its program (what its CI runs).
    const stock = await attempt(fieldlink, ["sim", "scenario.yaml", "--check"], project)
    t.is(stock.code, 0, `${stock.stdout}\n${stock.stderr}`)
    t.regex(stock.stdout, /4 of 4 expectations met/)

    // The careless user: a mistake in their program comes back with its file and line.
    writeFileSync(path.join(project, "src/main.ts"), PROGRAM.replace("payload.trim()", "payload.trimm()"))
    const broken = await attempt(fieldlink, ["build", "--board", "sim"], path.join(project, "src"))
    t.is(broken.code, 1)
    t.regex(broken.stderr, /src\/main\.ts:9:\d+ - error TS2551: Property 'trimm' does not exist/)

    writeFileSync(path.join(project, "src/main.ts"), PROGRAM)
    writeFileSync(path.join(project, "pump.yaml"), SCENARIO)
    const built = await attempt(fieldlink, ["build"], project)
    t.is(built.code, 0, built.stderr)
    t.regex(built.stdout, /program for esp32c3_supermini: \d+ bytes of bytecode/)

    const checked = await attempt(fieldlink, ["sim", "pump.yaml", "--check"], project)
    t.log(
        checked.stdout
            .split("\n")
            .filter(l => /[✔✘]/.test(l))
            .join("\n"),
    )
    t.is(checked.code, 0, `${checked.stdout}\n${checked.stderr}`)
    t.regex(checked.stdout, /building your program src\/main\.ts/)
    t.regex(checked.stdout, /✔ garden-1 soil_pct stayed within 41\.9\.\.42\.1/)
    t.regex(checked.stdout, /✔ garden-1 relay on \d+\.\d s after water/)
    t.regex(checked.stdout, /6 of 6 expectations met/)
})
