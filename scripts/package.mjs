#!/usr/bin/env node
// `npm run package`: installable tarballs of the published packages in dist/ at the top:
//   dist/fieldlink-gateway-<version>.tgz   the gateway alone (bin fieldlink-gateway)
//   dist/fieldlink-<version>.tgz           the whole toolkit (bin fieldlink)
//   dist/fieldlink-firmware-<version>.tgz  the device library a user's DeviceScript project depends on
// The internal @fieldlink/* packages are not published: each tarball carries the ones
// it needs (bundleDependencies), so that `npm install -g ./dist/<tarball>` works on a
// machine with no checkout and takes only third-party packages from the registry.
// The gateway's tarball goes further: its JavaScript is one esbuild bundle
// (scripts/bundle-gateway.mjs) holding the internal packages and every third-party one
// but serialport's native bindings, which alone come from the registry: a small Pi
// starts it faster and it holds less memory.
// Run after `npm run build` (the npm script does both).
//   node scripts/package.mjs [--out DIR] [--only fieldlink-gateway]
// --out writes the tarballs elsewhere (tests do), --only packs one published package.
import { execFileSync } from "node:child_process"
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import path from "node:path"
import { parseArgs } from "node:util"
import { fileURLToPath } from "node:url"
import { bundleGateway, runtimeDependencies } from "./bundle-gateway.mjs"

const ROOT = path.resolve(fileURLToPath(new URL("..", import.meta.url)))
const { values: flags } = parseArgs({ options: { out: { type: "string" }, only: { type: "string" } } })
const OUT = path.resolve(flags.out ?? path.join(ROOT, "dist"))
const STAGE = path.join(OUT, ".stage")

/** What each workspace ships besides package.json and its compiled dist/. */
const EXTRA_FILES = {
    // The firmware compiles protocol/ too (DeviceScript reads the TypeScript sources).
    protocol: file => /\.ts$/.test(file) && !file.endsWith(".d.ts"),
    // Board profiles and their schema are read at run time.
    boards: file => /\.(ya?ml)$/.test(file) || file === "schema.json",
    gateway: file => file.startsWith("deploy/") || file.startsWith("bin/"),
    cli: file => file.startsWith("bin/"),
    // The runtime's CA list, read by the mqtts trust check before flashing.
    flash: file => file === "runtime-ca-bundle.pem",
    // The page and its styles, served as they are.
    dashboard: file => file.startsWith("page/"),
    // A DeviceScript library ships its TypeScript sources; it has no compiled dist/.
    firmware: file =>
        file === "index.ts" ||
        file === "devsconfig.json" ||
        (file.startsWith("src/") && file.endsWith(".ts")),
}
/** Workspaces without a dist/: DeviceScript compiles their sources in the user's project. */
const SOURCE_ONLY = new Set(["firmware"])
/** The published packages, and what each carries at its own root besides its workspace. */
const PUBLISHED = {
    gateway: { extra: [], bundled: true },
    // The firmware sources: `fieldlink build`, `flash` and `sim` compile them. Installed,
    // they sit inside node_modules/fieldlink, and the DeviceScript compiler refuses to
    // read a package.json on its way without a "devicescript" section.
    firmware: { extra: [], fields: { private: undefined }, readme: "docs/firmware-api.md" },
    cli: {
        extra: [
            ["firmware/devsconfig.json", "firmware/devsconfig.json"],
            ["firmware/src", "firmware/src"],
        ],
        fields: { devicescript: { library: true } },
    },
}

const rootPkg = readJson(path.join(ROOT, "package.json"))
const workspaces = new Map(
    rootPkg.workspaces.map(dir => [readJson(path.join(ROOT, dir, "package.json")).name, dir]),
)

function readJson(file) {
    return JSON.parse(readFileSync(file, "utf8"))
}

function fail(message) {
    console.error(`npm run package: ${message}`)
    process.exit(1)
}

/** Every file under `dir`, relative to it (no node_modules, no dist). */
function files(dir, base = dir, out = []) {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.name === "node_modules" || e.name === "dist" || e.name.startsWith(".")) continue
        const p = path.join(dir, e.name)
        if (e.isDirectory()) files(p, base, out)
        else out.push(path.relative(base, p).split(path.sep).join("/"))
    }
    return out
}

/** The workspace folders `name` needs, itself excluded, deepest first. */
function internalDeps(name, seen = new Set()) {
    const pkg = readJson(path.join(ROOT, workspaces.get(name), "package.json"))
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
        if (!workspaces.has(dep) || seen.has(dep)) continue
        seen.add(dep)
        internalDeps(dep, seen)
    }
    return seen
}

/** Exports as installed: no "source" condition (the TypeScript sources stay home). */
function installedExports(exports) {
    return Object.fromEntries(
        Object.entries(exports ?? {}).map(([sub, target]) => {
            if (typeof target === "string") return [sub, target]
            const { source: _source, ...rest } = target
            return [sub, rest]
        }),
    )
}

/** Copies workspace `dir` (package.json, dist/, its extra files) to `to`. */
function stageWorkspace(dir, to) {
    const from = path.join(ROOT, dir)
    mkdirSync(to, { recursive: true })
    if (!SOURCE_ONLY.has(dir)) {
        if (!existsSync(path.join(from, "dist"))) fail(`${dir}/dist is missing: run npm run build first`)
        cpSync(path.join(from, "dist"), path.join(to, "dist"), {
            recursive: true,
            filter: src => !src.endsWith(".tsbuildinfo"),
        })
    }
    const keep = EXTRA_FILES[dir]
    if (keep) for (const f of files(from)) if (keep(f)) cpSync(path.join(from, f), path.join(to, f))
    const pkg = readJson(path.join(from, "package.json"))
    pkg.exports = installedExports(pkg.exports)
    return pkg
}

/**
 * Stages `dir` as one bundle: its dist/ replaced by bundleGateway's output, its
 * dependencies narrowed to what the bundle leaves out (runtimeDependencies), nothing
 * bundled by npm. Its exports keep their JavaScript; the type declarations stay home
 * (they name the internal packages, which the tarball no longer carries).
 */
async function stageBundled(dir, stage) {
    const pkg = stageWorkspace(dir, stage)
    rmSync(path.join(stage, "dist"), { recursive: true, force: true })
    await bundleGateway(path.join(stage, "dist"))
    pkg.exports = Object.fromEntries(
        Object.entries(pkg.exports).map(([sub, target]) => {
            if (typeof target === "string") return [sub, target]
            const { types: _types, ...rest } = target
            return [sub, rest]
        }),
    )
    pkg.dependencies = runtimeDependencies()
    return { pkg, bundled: [], thirdParty: pkg.dependencies }
}

/** Stages `dir` with its compiled dist/ as it is and the internal packages it needs bundled by npm. */
function stageWithDependencies(dir, stage) {
    const main = readJson(path.join(ROOT, dir, "package.json"))
    const pkg = stageWorkspace(dir, stage)

    // Bundle the internal packages; the third-party dependencies of all of them become
    // this package's own, so npm installs them next to it.
    const bundled = [...internalDeps(main.name)].sort()
    const thirdParty = {}
    for (const name of [main.name, ...bundled]) {
        const deps = readJson(path.join(ROOT, workspaces.get(name), "package.json")).dependencies ?? {}
        for (const [dep, range] of Object.entries(deps)) {
            if (workspaces.has(dep)) continue
            if (thirdParty[dep] && thirdParty[dep] !== range)
                fail(`${dep} is wanted as ${thirdParty[dep]} and as ${range}: make the workspaces agree`)
            thirdParty[dep] = range
        }
    }
    for (const name of bundled) {
        const inner = stageWorkspace(
            workspaces.get(name),
            path.join(stage, "node_modules", ...name.split("/")),
        )
        inner.private = undefined
        // Its third-party dependencies are the published package's (above): npm takes
        // whatever a bundled package depends on for part of the bundle, and would leave
        // them as empty folders instead of fetching them.
        inner.dependencies = Object.fromEntries(
            Object.entries(inner.dependencies ?? {}).filter(([dep]) => workspaces.has(dep)),
        )
        writeFileSync(
            path.join(stage, "node_modules", ...name.split("/"), "package.json"),
            JSON.stringify(inner, null, 2) + "\n",
        )
    }
    pkg.dependencies = Object.fromEntries(
        [
            ...Object.entries(thirdParty),
            ...bundled.map(name => [
                name,
                readJson(path.join(ROOT, workspaces.get(name), "package.json")).version,
            ]),
        ].sort(([a], [b]) => a.localeCompare(b)),
    )
    pkg.bundleDependencies = bundled
    return { pkg, bundled, thirdParty }
}

async function packagePublished(
    dir,
    { extra, bundled: asBundle = false, fields = {}, readme = "README.md" },
) {
    const stage = path.join(STAGE, dir)
    rmSync(stage, { recursive: true, force: true })
    const { pkg, bundled, thirdParty } = asBundle
        ? await stageBundled(dir, stage)
        : stageWithDependencies(dir, stage)
    for (const [from, to] of extra) cpSync(path.join(ROOT, from), path.join(stage, to), { recursive: true })
    pkg.repository = rootPkg.repository
    Object.assign(pkg, fields)
    writeFileSync(path.join(stage, "package.json"), JSON.stringify(pkg, null, 2) + "\n")
    cpSync(path.join(ROOT, readme), path.join(stage, "README.md"))

    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", OUT], {
        cwd: stage,
        encoding: "utf8",
    })
    const [info] = JSON.parse(out)
    const tarball = path.join(OUT, info.filename)
    console.log(
        `${tarball.startsWith(ROOT + path.sep) ? path.relative(ROOT, tarball) : tarball}: ${info.entryCount} files, ${(info.size / 1024).toFixed(0)} KiB packed, ${asBundle ? "one esbuild bundle" : `bundles ${bundled.join(", ") || "nothing"}`}; from the registry: ${Object.keys(thirdParty).sort().join(", ")}`,
    )
}

mkdirSync(OUT, { recursive: true })
const chosen = Object.entries(PUBLISHED).filter(([dir]) => !flags.only || workspaces.get(flags.only) === dir)
if (chosen.length === 0)
    fail(
        `--only ${flags.only}: not a published package (${Object.keys(PUBLISHED)
            .map(d => readJson(path.join(ROOT, d, "package.json")).name)
            .join(", ")})`,
    )
for (const [dir, options] of chosen) await packagePublished(dir, options)
rmSync(STAGE, { recursive: true, force: true })
