// `npm install -g TARBALL` into a fresh, private prefix, as a user would on a machine
// without a checkout, with this machine's Node or the emulated arm64 one; and what the
// install weighs.
import { execFileSync, spawn } from "node:child_process"
import { existsSync, lstatSync, mkdtempSync, readdirSync, realpathSync, rmSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { tieToParent } from "../support/cleanup.js"
import { npmCliScript, type EmulatedNode } from "./arm64-node.js"

export interface InstallOptions {
    tarball: string
    /** The emulated arm64 Node; this machine's Node when absent. */
    emulated?: EmulatedNode
    /** npm's --ignore-scripts: for packages whose install scripts start native programs by path. */
    ignoreScripts?: boolean
    timeoutMs?: number
}

export interface Installed {
    /** The --prefix: commands in bin/, packages in lib/node_modules/. */
    readonly prefix: string
    /** PATH for running the installed commands (with the arm64 `node` shim first when emulated). */
    readonly env: NodeJS.ProcessEnv
    readonly seconds: number
    /** npm's "added N packages", when it printed one. */
    readonly added: number | undefined
    /** Removes the prefix. */
    remove(): void
}

/** PATH with `first` in front, for running `#!/usr/bin/env node` scripts on that Node. */
export function envWith(first: string | undefined): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        npm_config_update_notifier: "false",
        npm_config_fund: "false",
        npm_config_audit: "false",
    }
    if (first !== undefined) env.PATH = `${first}${path.delimiter}${process.env.PATH ?? ""}`
    return env
}

export async function installTarball(options: InstallOptions): Promise<Installed> {
    const tarball = path.resolve(options.tarball)
    if (!existsSync(tarball)) throw new Error(`no tarball at ${tarball}`)
    const prefix = mkdtempSync(path.join(os.tmpdir(), "fieldlink-install-"))
    const remove = () => rmSync(prefix, { recursive: true, force: true })
    const env = envWith(options.emulated?.shimDir)
    // The emulated Node runs npm itself too: the shim is `node`, npm-cli.js the script.
    const node = options.emulated ? path.join(options.emulated.shimDir, "node") : process.execPath
    const args = [
        npmCliScript(),
        "install",
        "--global",
        "--prefix",
        prefix,
        "--foreground-scripts",
        "--no-audit",
        "--no-fund",
    ]
    if (options.ignoreScripts) args.push("--ignore-scripts")
    args.push(tarball)

    const started = performance.now()
    const { code, output } = await run(node, args, env, options.timeoutMs ?? 600_000)
    const seconds = (performance.now() - started) / 1000
    if (code !== 0) {
        remove()
        const tail = output.trim().split("\n").slice(-30).join("\n")
        throw new Error(
            `npm install -g ${path.basename(tarball)} ${options.emulated ? "on the arm64 Node " : ""}failed (${code}) after ${seconds.toFixed(0)} s:\n${tail}`,
        )
    }
    const added = /added (\d+) packages?/.exec(output)?.[1]
    return { prefix, env, seconds, added: added === undefined ? undefined : Number(added), remove }
}

/** An install made before (--installed DIR), used as it is and left in place. */
export function existingInstall(prefix: string, emulated?: EmulatedNode): Installed {
    if (!existsSync(path.join(prefix, "lib", "node_modules")))
        throw new Error(
            `--installed ${prefix}: no lib/node_modules there; expected the --prefix of an npm install -g`,
        )
    return {
        prefix: path.resolve(prefix),
        env: envWith(emulated?.shimDir),
        seconds: NaN,
        added: undefined,
        remove: () => {},
    }
}

function run(
    command: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    timeoutMs: number,
): Promise<{ code: number | string | null; output: string }> {
    return new Promise(resolve => {
        const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] })
        tieToParent(child)
        let output = ""
        child.stdout!.on("data", d => (output += d))
        child.stderr!.on("data", d => (output += d))
        const timer = setTimeout(() => {
            output += `\n(killed: still running after ${timeoutMs / 1000} s)`
            child.kill("SIGKILL")
        }, timeoutMs)
        child.once("error", err => (output += `\n${err.message}`))
        child.once("close", (code, signal) => {
            clearTimeout(timer)
            resolve({ code: code ?? signal, output })
        })
    })
}

/** The installed command's script (what bin/NAME links to). */
export function installedCommand(prefix: string, name: string): string {
    const link = path.join(prefix, "bin", name)
    if (!existsSync(link)) {
        const found = existsSync(path.join(prefix, "bin"))
            ? readdirSync(path.join(prefix, "bin")).join(", ")
            : "nothing"
        throw new Error(`the install has no command "${name}" (bin/ holds: ${found || "nothing"})`)
    }
    return realpathSync(link)
}

export interface InstallWeight {
    /** Disk use of lib/node_modules, as `du -sk` reports it. */
    bytes: number
    /** Package folders in lib/node_modules, the installed package itself included. */
    packages: number
}

export function installWeight(prefix: string): InstallWeight {
    const root = path.join(prefix, "lib", "node_modules")
    const kilobytes = Number(execFileSync("du", ["-sk", root], { encoding: "utf8" }).split("\t")[0])
    return { bytes: kilobytes * 1024, packages: countPackages(root) }
}

/** Folders with a package.json directly in a node_modules folder (or in one of its @scopes), at any depth. */
function countPackages(nodeModules: string): number {
    let count = 0
    for (const entry of readdirSync(nodeModules)) {
        if (entry.startsWith(".")) continue
        const folder = path.join(nodeModules, entry)
        if (!lstatSync(folder).isDirectory()) continue
        const packageFolders = entry.startsWith("@")
            ? readdirSync(folder).map(name => path.join(folder, name))
            : [folder]
        for (const packageFolder of packageFolders) {
            if (!existsSync(path.join(packageFolder, "package.json"))) continue
            count++
            const nested = path.join(packageFolder, "node_modules")
            if (existsSync(nested)) count += countPackages(nested)
        }
    }
    return count
}
