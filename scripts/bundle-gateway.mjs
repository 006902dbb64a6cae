// The packaged gateway's JavaScript: the compiled gateway (gateway/dist, with the internal
// packages it imports and its third-party packages) bundled by esbuild into a few files,
// so that the installed command reads a handful of files instead of hundreds of modules,
// and npm installs only what cannot be bundled. scripts/package.mjs calls it.
//
// What is not bundled, and why:
//  - @serialport/bindings-cpp (serialport's native part): its prebuilt binaries are
//    found next to its own package at run time, and it builds one where none fits; it
//    stays a registry dependency, at the version serialport asks for (runtimeDependencies).
//    serialport's JavaScript above it (the stream, the parsers) is bundled.
// What the bundle swaps:
//  - the configuration validator (gateway/config/validator.ts) is generated ahead of time
//    as ajv standalone code: no ajv compiler loaded and no schema compiled at start;
//  - readable-stream (mqtt.js's copy of Node's streams) is Node's own node:stream, as
//    readable-stream itself does when READABLE_STREAM=disable: its own copy is the
//    largest thing mqtt.js loads;
//  - mqtt.js's transports the gateway cannot use (the schema allows mqtt:// and mqtts://
//    only, and no SOCKS proxy), its browser timers and serialport's mock binding become
//    stubs that throw if reached.
import { cpSync, mkdirSync, readFileSync, symlinkSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const ROOT = path.resolve(fileURLToPath(new URL("..", import.meta.url)))

/** Registry packages the bundle imports at run time, each with the package that chooses its version. */
const EXTERNAL = { "@serialport/bindings-cpp": "serialport" }

/** What the tarball depends on: EXTERNAL, at the versions the checkout's packages ask for. */
export function runtimeDependencies() {
    const require = createRequire(path.join(ROOT, "gateway", "package.json"))
    return Object.fromEntries(
        Object.entries(EXTERNAL).map(([name, via]) => {
            const viaPkg = JSON.parse(readFileSync(require.resolve(`${via}/package.json`), "utf8"))
            const range = viaPkg.dependencies?.[name]
            if (!range) throw new Error(`${via} no longer depends on ${name}: update EXTERNAL`)
            return [name, range]
        }),
    )
}

/** node:stream as readable-stream exports it (readable-stream's lib/ours/index.js, READABLE_STREAM=disable). */
const NODE_STREAMS = `const Stream = require("node:stream")
for (const name of ["_uint8ArrayToBuffer", "_isUint8Array", "isDisturbed", "isErrored", "isReadable", "Readable", "Writable", "Duplex", "Transform", "PassThrough", "addAbortSignal", "finished", "destroy", "pipeline", "compose", "Stream"])
    module.exports[name] = Stream[name]
module.exports.default = module.exports
`

/** The package's entry points (its bin's standalone.js and its exports), by output name. */
const ENTRIES = ["standalone", "index", "command", "gateway"]

/**
 * The gateway configuration's validator as ES module source: ajv standalone code built
 * with the same options and schema as gateway/config/validator.ts compiles at run time,
 * exporting the same `configValidator()`.
 */
export async function standaloneConfigValidator() {
    const { Ajv } = await import("ajv")
    const { default: standaloneCode } = await import("ajv/dist/standalone/index.js")
    const { AJV_OPTIONS } = await import(pathToFileURL(path.join(ROOT, "lib/dist/config/validate.js")).href)
    const { CONFIG_SCHEMA } = await import(
        pathToFileURL(path.join(ROOT, "gateway/dist/config/schema.js")).href
    )
    const ajv = new Ajv({ ...AJV_OPTIONS, code: { source: true, esm: true } })
    const code = standaloneCode(ajv, ajv.compile(CONFIG_SCHEMA))
    return `${code}\nexport function configValidator() { return validate }\n`
}

/** Module text for a part of mqtt.js the gateway never reaches. */
function absent(what) {
    const fail = `() => { throw new Error(${JSON.stringify(`${what} is not in the packaged fieldlink-gateway`)}) }`
    return `const fail = ${fail}\nmodule.exports = { default: fail, streamBuilder: fail, browserStreamBuilder: fail, setInterval: fail, clearInterval: fail, setTimeout: fail, clearTimeout: fail }\nmodule.exports.MockBinding = { list: fail, open: fail, createPort: fail, reset: fail }\n`
}

/** esbuild plugin: the swaps listed at the top. */
function swaps() {
    const validator = path.join(ROOT, "gateway/dist/config/validator.js")
    return {
        name: "fieldlink-gateway-swaps",
        setup(build) {
            build.onLoad({ filter: /[\\/]config[\\/]validator\.js$/ }, async args => {
                if (args.path !== validator) return undefined
                return { contents: await standaloneConfigValidator(), loader: "js", resolveDir: ROOT }
            })
            build.onResolve({ filter: /^\.\/(ws|wx|ali|socks)$/ }, args =>
                /[\\/]mqtt[\\/]build[\\/]lib[\\/]connect$/.test(args.resolveDir)
                    ? { path: `mqtt.js ${args.path.slice(2)} transport`, namespace: "absent" }
                    : undefined,
            )
            build.onResolve({ filter: /^worker-timers$/ }, () => ({
                path: "mqtt.js browser timers (worker-timers)",
                namespace: "absent",
            }))
            build.onResolve({ filter: /^@serialport\/binding-mock$/ }, () => ({
                path: "serialport's mock binding",
                namespace: "absent",
            }))
            build.onResolve({ filter: /^readable-stream$/ }, () => ({
                path: "readable-stream",
                namespace: "node-streams",
            }))
            build.onLoad({ filter: /.*/, namespace: "node-streams" }, () => ({
                contents: NODE_STREAMS,
                loader: "js",
            }))
            build.onLoad({ filter: /.*/, namespace: "absent" }, args => ({
                contents: absent(args.path),
                loader: "js",
            }))
        },
    }
}

/**
 * Writes the bundle into `outdir` (the staged package's dist/): one file per entry
 * (standalone.js, index.js, command.js, gateway.js) and shared chunks under chunks/;
 * what the gateway imports on demand (after --help and flag checks) stays on demand.
 * Returns esbuild's metafile.
 */
export async function bundleGateway(outdir) {
    const { build } = await import("esbuild")
    const result = await build({
        absWorkingDir: ROOT,
        entryPoints: Object.fromEntries(ENTRIES.map(e => [e, path.join(ROOT, "gateway/dist", `${e}.js`)])),
        outdir,
        chunkNames: "chunks/[name]-[hash]",
        bundle: true,
        splitting: true,
        format: "esm",
        platform: "node",
        target: "node20",
        external: Object.keys(EXTERNAL),
        // The bundled CommonJS packages call require() for Node's own modules.
        banner: {
            js: 'import { createRequire as __fieldlinkRequire } from "node:module"; const require = __fieldlinkRequire(import.meta.url);',
        },
        legalComments: "eof",
        metafile: true,
        logLevel: "warning",
        plugins: [swaps()],
    })
    return result.metafile
}

/**
 * The packaged gateway's shape without npm, for tests and benches: `dir` gets the
 * gateway's package.json, bin/ and the bundle in dist/, and a node_modules that is the
 * checkout's (where @serialport/bindings-cpp is found). Run `dir/bin/fieldlink-gateway.js`.
 */
export async function stageBundleForTrial(dir) {
    mkdirSync(dir, { recursive: true })
    cpSync(path.join(ROOT, "gateway/package.json"), path.join(dir, "package.json"))
    cpSync(path.join(ROOT, "gateway/bin"), path.join(dir, "bin"), { recursive: true })
    symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"))
    return bundleGateway(path.join(dir, "dist"))
}
