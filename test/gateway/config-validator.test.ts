// The packaged gateway validates its configuration with ajv standalone code generated at
// package time (scripts/bundle-gateway.mjs), the checkout with ajv compiling the schema at
// run time (gateway/config/validator.ts). A user must not be able to tell them apart:
// every config below gives the same GatewayConfig (defaults filled) or the same problems,
// word for word, through the real bundle. And the bundle leaves out what it promises to.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import test from "ava"
import { ConfigError } from "../../lib/config/errors.js"
import { configFromObject, loadConfigFile } from "../../gateway/config/load.js"
// @ts-expect-error: a plain JavaScript build script, without declarations
import { stageBundleForTrial } from "../../scripts/bundle-gateway.mjs"

const ROOT = fileURLToPath(new URL("../../", import.meta.url))
const context = { baseDir: "/", env: { STATE_DIRECTORY: "/var/lib/fieldlink" } as NodeJS.ProcessEnv }
const minimal = { broker: { url: "mqtt://broker.local:1883" }, ports: [{ path: "/dev/ttyUSB0" }] }

/** Good and bad configs: each kind of schema keyword the gateway's schema uses. */
const CONFIGS: Record<string, unknown> = {
    minimal,
    "every section": {
        gateway: { id: "pi-1", topicRoot: "site/a" },
        broker: {
            url: "mqtts://broker.local:8883",
            username: "gw",
            password: { env: "PW" },
            protocolVersion: 5,
        },
        queue: { maxMessages: 50 },
        defaults: { live: 60, retainedCommands: ["interval"] },
        ports: [{ glob: "/dev/ttyACM*", baudRate: 9600 }, { usb: { vendorId: "10c4", productId: "ea60" } }],
        log: { level: "debug", format: "json" },
        http: { port: 0 },
    },
    "wrong types": { ...minimal, ports: [{ path: "/dev/ttyUSB0", baudRate: "fast", rtscts: "yes" }] },
    "out of range": { ...minimal, ports: [{ path: "/dev/ttyUSB0", baudRate: 10, maxLineBytes: 1 << 30 }] },
    "not in an enum": { ...minimal, broker: { url: "mqtt://x", protocolVersion: 3 }, log: { level: "loud" } },
    "pattern mismatches": {
        ...minimal,
        broker: { url: "http://x" },
        gateway: { id: "my gateway" },
        ports: [{ usb: { vendorId: "10c4x" } }, { path: "/dev/b", retainedCommands: ["a b"] }],
    },
    "missing and empty": { ports: [] },
    "unknown keys": { ...minimal, brokr: {}, ports: [{ path: "/dev/a", baud: 9600 }] },
    "a secret of the wrong shape": { ...minimal, broker: { url: "mqtt://x", password: { vault: "x" } } },
    "not a mapping at all": { ...minimal, ports: "/dev/ttyUSB0", queue: 5 },
}

type Load = typeof configFromObject

function outcome(load: Load, raw: unknown): unknown {
    try {
        return { config: load(structuredClone(raw), "test", context) }
    } catch (e) {
        if (e instanceof Error && "problems" in e) return { problems: (e as ConfigError).problems }
        throw e
    }
}

interface Bundled {
    dir: string
    inputs: string[]
    gateway: { configFromObject: Load; loadConfigFile: typeof loadConfigFile }
}

let bundled: Promise<Bundled> | undefined
/** The package's bundle, built once into a temporary folder that resolves serialport's bindings from the checkout. */
function bundle(): Promise<Bundled> {
    bundled ??= (async () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-bundle-"))
        const meta = (await stageBundleForTrial(dir)) as { inputs: Record<string, unknown> }
        const gateway = (await import(
            pathToFileURL(path.join(dir, "dist", "index.js")).href
        )) as Bundled["gateway"]
        return { dir, inputs: Object.keys(meta.inputs), gateway }
    })()
    return bundled
}

test.after.always(async () => {
    if (bundled) rmSync((await bundled).dir, { recursive: true, force: true })
})

for (const [name, raw] of Object.entries(CONFIGS))
    test(`the packaged validator agrees with the checkout's: ${name}`, async t => {
        const { gateway } = await bundle()
        const expected = outcome(configFromObject, raw)
        t.deepEqual(outcome(gateway.configFromObject, raw), expected)
        if (name !== "minimal" && name !== "every section")
            t.true("problems" in (expected as object), "this config is meant to be refused")
    })

test("the packaged validator agrees on a YAML file, line numbers included", async t => {
    const { gateway } = await bundle()
    const example = path.join(ROOT, "gateway/deploy/gateway.example.yaml")
    t.deepEqual(gateway.loadConfigFile(example, {}), loadConfigFile(example, {}))
    const { dir } = await bundle()
    const bad = path.join(dir, "bad.yaml")
    writeFileSync(
        bad,
        [
            "broker:",
            "  url: http://broker.local",
            "ports:",
            "  - path: /dev/ttyUSB0",
            "    baudRate: fast",
            "    parity: sometimes",
            "",
        ].join("\n"),
    )
    const problemsOf = (load: typeof loadConfigFile) => {
        try {
            load(bad, {})
        } catch (e) {
            return (e as ConfigError).problems
        }
        return []
    }
    const expected = problemsOf(loadConfigFile)
    t.true(expected.length >= 2 && expected.every(p => /^line \d+: /.test(p)), expected.join("\n"))
    t.deepEqual(problemsOf(gateway.loadConfigFile), expected)
})

test("the bundle leaves out ajv's compiler, readable-stream, mqtt.js's WebSocket and SOCKS transports, and serialport's native part", async t => {
    const { inputs } = await bundle()
    const has = (re: RegExp) => inputs.filter(i => re.test(i))
    t.deepEqual(has(/node_modules\/ajv\/dist\/(compile|core|ajv)\b/), [], "no ajv compiler")
    t.true(has(/node_modules\/ajv\/dist\/runtime\//).length > 0, "ajv's small runtime helpers are in")
    t.deepEqual(has(/node_modules\/(ws|socks|worker-timers|readable-stream|@serialport\/binding-mock)\//), [])
    t.deepEqual(
        has(/node_modules\/@serialport\/bindings-cpp\//),
        [],
        "serialport's bindings stay a dependency",
    )
    t.true(
        ["mqtt", "pino", "serialport", "@serialport/stream"].every(
            p => has(new RegExp(`node_modules/${p}/`)).length > 0,
        ),
    )
})
