// Which tarball the deploy check and the install bench install, and which command of it
// they run: flags first, then environment variables, then what this checkout builds.
//
//   --tarball FILE        FIELDLINK_DEPLOY_TARBALL   default: `npm run package`, then dist/fieldlink-gateway-*.tgz
//   --command "NAME ARGS" FIELDLINK_DEPLOY_COMMAND   default: fieldlink-gateway
//   --ignore-scripts      FIELDLINK_DEPLOY_IGNORE_SCRIPTS=1
//
// A checkout without a `package` script (before the packages existed) falls back to
// `npm pack` of the whole checkout and `fieldlink gateway`, which is how the figures
// "before" were measured.
import { execFileSync } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { esbuildEnv } from "./before-packages.js"

export const ROOT = fileURLToPath(new URL("../..", import.meta.url))

export interface Subject {
    tarball: string
    /** The installed command and the arguments that make it the gateway: ["fieldlink-gateway"] or ["fieldlink", "gateway"]. */
    command: string[]
    /** Install without running install scripts on the arm64 Node (see arm64-node.ts). */
    ignoreScriptsEmulated: boolean
    /** More environment for the installed command on the emulated Node (see before-packages.ts). */
    emulatedEnv(prefix: string): Record<string, string>
    /** How the tarball was chosen, for the output. */
    origin: string
    /** Removes what was made for this run (a temporary tarball). */
    dispose(): void
}

export class UsageError extends Error {}

/** Reads --name VALUE / --name=VALUE from argv. */
export function flag(argv: string[], name: string): string | undefined {
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === `--${name}`) {
            const value = argv[i + 1]
            if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value`)
            return value
        }
        if (argv[i].startsWith(`--${name}=`)) return argv[i].slice(name.length + 3)
    }
    return undefined
}

export function chooseSubject(argv: string[]): Subject {
    const given = flag(argv, "tarball") ?? process.env.FIELDLINK_DEPLOY_TARBALL
    const commandText = flag(argv, "command") ?? process.env.FIELDLINK_DEPLOY_COMMAND
    const ignoreScripts =
        argv.includes("--ignore-scripts") ||
        ["1", "true"].includes(process.env.FIELDLINK_DEPLOY_IGNORE_SCRIPTS ?? "")
    const command = commandText?.trim().split(/\s+/).filter(Boolean)
    if (command !== undefined && command.length === 0)
        throw new UsageError("--command is empty: expected e.g. fieldlink-gateway")

    if (given !== undefined) {
        const tarball = path.resolve(given)
        if (!existsSync(tarball)) throw new UsageError(`--tarball ${given}: no such file`)
        return {
            tarball,
            command: command ?? ["fieldlink-gateway"],
            ignoreScriptsEmulated: ignoreScripts,
            emulatedEnv: esbuildEnv,
            origin: `given: ${given}`,
            dispose: () => {},
        }
    }
    const scripts =
        (
            JSON.parse(readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
                scripts?: Record<string, string>
            }
        ).scripts ?? {}
    if (scripts.package !== undefined) {
        console.log("building the tarballs: npm run package ...")
        execFileSync("npm", ["run", "package", "--silent"], {
            cwd: ROOT,
            stdio: ["ignore", "inherit", "inherit"],
            timeout: 600_000,
        })
        const tarball = newest(path.join(ROOT, "dist"), /^fieldlink-gateway-.+\.tgz$/)
        if (tarball === undefined) throw new Error("`npm run package` wrote no dist/fieldlink-gateway-*.tgz")
        return {
            tarball,
            command: command ?? ["fieldlink-gateway"],
            ignoreScriptsEmulated: ignoreScripts,
            emulatedEnv: () => ({}),
            origin: `npm run package: ${path.relative(ROOT, tarball)}`,
            dispose: () => {},
        }
    }
    // Before the packages: the whole checkout as one tarball. Its esbuild (through tsx)
    // has a postinstall that starts esbuild's arm64 binary by path, which this kernel
    // cannot run, so the emulated install skips install scripts (and before-packages.ts
    // gives the installed command an x86-64 esbuild).
    const work = mkdtempSync(path.join(os.tmpdir(), "fieldlink-pack-"))
    execFileSync("npm", ["pack", "--pack-destination", work, "--silent"], {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "inherit"],
        timeout: 300_000,
    })
    const tarball = newest(work, /\.tgz$/)
    if (tarball === undefined) throw new Error("npm pack wrote no tarball")
    return {
        tarball,
        command: command ?? ["fieldlink", "gateway"],
        ignoreScriptsEmulated: true,
        emulatedEnv: esbuildEnv,
        origin: "no `package` script in this checkout: npm pack of the whole checkout (install scripts skipped on the arm64 Node)",
        dispose: () => rmSync(work, { recursive: true, force: true }),
    }
}

function newest(dir: string, pattern: RegExp): string | undefined {
    if (!existsSync(dir)) return undefined
    return readdirSync(dir)
        .filter(name => pattern.test(name))
        .map(name => path.join(dir, name))
        .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0]
}
