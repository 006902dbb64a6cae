// The careless path of a global install: `sudo npm install -g fieldlink`, then `fieldlink
// build` as an ordinary user, who cannot write the install folder where the stock
// firmware's sources sit. DeviceScript compiles inside the project folder, so fieldlink
// must build from a copy in the user's cache folder, and leave the install as it was.
// Run as root (CI), the commands run as the user `nobody`; run as anyone else, the
// install's firmware folder is made read-only instead.
import { execFile } from "node:child_process"
import {
    chmodSync,
    chownSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    rmSync,
    utimesSync,
} from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { promisify } from "node:util"
import test from "ava"

const run = promisify(execFile)
const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const NOBODY = 65534
const asRoot = process.getuid?.() === 0

interface Ran {
    code: number
    stdout: string
    stderr: string
}

test("an install the user cannot write builds the stock firmware from a copy in the user's cache", async t => {
    t.timeout(600000)
    const work = mkdtempSync(path.join(os.tmpdir(), "fieldlink-ro-"))
    chmodSync(work, 0o755)
    const out = path.join(work, "out")
    await run(
        process.execPath,
        [path.join(ROOT, "scripts/package.mjs"), "--out", out, "--only", "fieldlink"],
        {
            timeout: 300000,
        },
    )
    const tarball = readdirSync(out).find(f => /^fieldlink-\d.*\.tgz$/.test(f))
    t.truthy(tarball, `the fieldlink tarball in ${readdirSync(out).join(", ")}`)
    const prefix = path.join(work, "prefix")
    await run(
        "npm",
        ["install", "-g", "--prefix", prefix, "--no-audit", "--no-fund", path.join(out, tarball!)],
        {
            cwd: work,
            timeout: 300000,
        },
    )
    const firmware = path.join(prefix, "lib", "node_modules", "fieldlink", "firmware")
    t.true(existsSync(path.join(firmware, "devsconfig.json")), "the install carries the firmware sources")

    // The user: a home and a temp folder of their own, nothing else writable.
    const home = path.join(work, "home")
    const temp = path.join(work, "tmp")
    for (const dir of [home, temp]) {
        mkdirSync(dir)
        if (asRoot) chownSync(dir, NOBODY, NOBODY)
    }
    const readOnly = (mode: number) => {
        for (const dir of [firmware, path.join(firmware, "src")]) chmodSync(dir, mode)
    }
    if (!asRoot) readOnly(0o555)
    t.teardown(() => {
        if (!asRoot) readOnly(0o755)
        rmSync(work, { recursive: true, force: true })
    })
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        PATH: `${path.join(prefix, "bin")}:${path.dirname(process.execPath)}:/usr/bin:/bin`,
    }
    delete env.XDG_CACHE_HOME
    const fieldlink = (args: string[], userHome: string) =>
        run(path.join(prefix, "bin", "fieldlink"), args, {
            cwd: temp,
            timeout: 300000,
            env: { ...env, HOME: userHome, TMPDIR: temp },
            ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
        }).then(
            r => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
            (e: Ran) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
        )

    // Copies left by three earlier versions, unused for two days and more: the newest two
    // stay beside the new one, the oldest goes (devs-host/stock-copy.ts).
    const cache = path.join(home, ".cache", "fieldlink")
    const earlier = ["firmware-0000000000000001", "firmware-0000000000000002", "firmware-0000000000000003"]
    earlier.forEach((name, i) => {
        mkdirSync(path.join(cache, name, "src"), { recursive: true })
        const at = new Date(Date.now() - (48 + i) * 3600_000)
        utimesSync(path.join(cache, name), at, at)
    })
    // Half-made copies: one a build that died two hours ago left, one another build is
    // making now. The first goes, the second stays.
    const partials = [".firmware-died", ".firmware-busy"]
    partials.forEach((name, i) => {
        mkdirSync(path.join(cache, name, "src"), { recursive: true })
        const at = new Date(Date.now() - (i === 0 ? 2 * 3600_000 : 0))
        utimesSync(path.join(cache, name), at, at)
    })
    if (asRoot)
        for (const dir of [
            path.join(home, ".cache"),
            cache,
            ...[...earlier, ...partials].flatMap(n => [path.join(cache, n), path.join(cache, n, "src")]),
        ])
            chownSync(dir, NOBODY, NOBODY)

    const board = await fieldlink(["build", "--board", "esp32c3_supermini"], home)
    t.is(board.code, 0, board.stderr)
    t.regex(
        board.stdout,
        /^firmware for esp32c3_supermini: \d+ bytes of bytecode from .*\.cache\/fieldlink\/firmware-[0-9a-f]{16}\//,
    )
    t.false(existsSync(path.join(firmware, ".devicescript")), "nothing written into the install")
    const copies = readdirSync(cache).filter(n => n.startsWith("firmware-"))
    t.is(copies.length, 3, `copies kept: ${copies.join(", ")}`)
    t.deepEqual(
        copies.filter(n => earlier.includes(n)).sort(),
        earlier.slice(0, 2),
        "the copy unused longest is removed",
    )
    t.deepEqual(
        readdirSync(cache).filter(n => n.startsWith(".firmware-")),
        [".firmware-busy"],
        "a half-made copy two hours old is removed, one being made is not",
    )

    // A service user without a home (nobody's is /nonexistent): the temp folder.
    const homeless = await fieldlink(["build"], "/nonexistent")
    t.is(homeless.code, 0, homeless.stderr)
    t.regex(
        homeless.stdout,
        /^firmware: \d+ bytes of bytecode from .*fieldlink-cache-\d+\/fieldlink\/firmware-[0-9a-f]{16}\/src\/main\.ts/,
    )
    t.false(existsSync(path.join(firmware, ".devicescript")), "nothing written into the install")
})
