// Configuration: one schema, every kind of mistake named with its path (and line), the
// value found and the value expected; secrets from the environment; --check; quick mode.
import test from "ava"
import { writeFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigError } from "../../lib/config/errors.js"
import { configFromObject, loadConfigFile } from "../../gateway/config/load.js"
import { parseSerialFlag } from "../../gateway/command.js"
import { runCli } from "../support/cli.js"
import { tempDir, writeConfig } from "./harness.js"

const context = { baseDir: "/", env: {} as NodeJS.ProcessEnv }
const minimal = { broker: { url: "mqtt://broker.local:1883" }, ports: [{ path: "/dev/ttyUSB0" }] }

function problems(raw: unknown, env: NodeJS.ProcessEnv = {}): string[] {
    try {
        configFromObject(raw, "test", { ...context, env })
    } catch (e) {
        if (e instanceof ConfigError) return e.problems
        throw e
    }
    return []
}

test("a minimal config gets every default, frozen", t => {
    const c = configFromObject(minimal, "test", {
        baseDir: "/",
        env: { STATE_DIRECTORY: "/var/lib/fieldlink" },
    })
    t.like(c, {
        topicRoot: "fieldlink",
        stateDir: "/var/lib/fieldlink",
        statsIntervalS: 60,
        broker: { protocolVersion: 4, keepaliveS: 30, qos: 1, reconnect: { baseMs: 500, capMs: 60000 } },
        queue: { maxMessages: 10000, maxBytes: 4194304 },
        http: { port: 9464, host: "127.0.0.1" },
    })
    t.like(c.ports[0], {
        selector: { kind: "path", path: "/dev/ttyUSB0" },
        baudRate: 115200,
        live: 30,
        maxLineBytes: 1024,
        checksum: "optional",
        acks: false,
    })
    t.true(Object.isFrozen(c) && Object.isFrozen(c.ports[0]))
    t.regex(c.id, /^[A-Za-z0-9_-]{1,64}$/)
})

test("schema mistakes: path, value found, value expected", t => {
    t.deepEqual(problems({ ...minimal, ports: [{ path: "/dev/ttyUSB0", baudRate: "fast" }] }), [
        'ports[0].baudRate: found "fast", expected a whole number',
    ])
    t.deepEqual(problems({ ...minimal, ports: [{ path: "/dev/ttyUSB0", baudRate: 10 }] }), [
        "ports[0].baudRate: found 10, expected a number from 50 to 4000000",
    ])
    t.deepEqual(problems({ ...minimal, broker: { url: "http://x" } }), [
        'broker.url: found "http://x", expected a URL starting with mqtt:// or mqtts://',
    ])
    t.deepEqual(problems({ ...minimal, broker: { url: "mqtt://x", protocolVersion: 3 } }), [
        "broker.protocolVersion: found 3, expected one of 4, 5",
    ])
    t.deepEqual(problems({ ports: minimal.ports }), ["broker: found nothing, expected broker to be set"])
    t.deepEqual(problems({ ...minimal, ports: [] }), ["ports: found a list of 0, expected at least 1 entry"])
    t.deepEqual(problems({ ...minimal, brokr: {} }), [
        'brokr: unknown key "brokr"; expected one of gateway, broker, queue, defaults, ports, log, http (did you mean "broker"?)',
    ])
    t.deepEqual(problems({ ...minimal, gateway: { id: "my gateway" } }), [
        'gateway.id: found "my gateway", expected 1 to 64 of A-Z a-z 0-9 _ -',
    ])
    t.deepEqual(problems({ ...minimal, ports: [{ usb: { vendorId: "10c4x" } }] }), [
        'ports[0].usb.vendorId: found "10c4x", expected 4 hex digits, as lsusb shows them',
    ])
})

test("cross-field mistakes", t => {
    t.deepEqual(problems({ ...minimal, ports: [{ path: "/dev/a", glob: "/dev/b*" }] }), [
        "ports[0]: found path and glob, expected only one of path, glob or usb per entry",
    ])
    t.deepEqual(problems({ ...minimal, ports: [{ baudRate: 9600 }] }), [
        "ports[0]: found no port selector, expected one of path, glob or usb",
    ])
    t.regex(
        problems({ ...minimal, ports: [{ glob: "/dev/ttyUSB*", id: "x" }] })[0],
        /^ports\[0\]\.id: is set on a port chosen by glob/,
    )
    t.regex(
        problems({
            ...minimal,
            ports: [
                { path: "/dev/a", id: "x" },
                { path: "/dev/b", id: "x" },
            ],
        })[0],
        /^ports\[1\]\.id: found "x" again \(also ports\[0\]\)/,
    )
    t.regex(
        problems({ ...minimal, ports: [{ path: "/dev/a" }, { path: "/dev/a" }] })[0],
        /^ports\[1\]\.path: found "\/dev\/a" again/,
    )
    t.regex(
        problems({ ...minimal, broker: { url: "mqtt://x", tls: { ca: "ca.pem" } } })[0],
        /^broker\.tls: is set, but broker\.url uses mqtt:\/\/; TLS needs mqtts:\/\//,
    )
    t.regex(
        problems({ ...minimal, broker: { url: "mqtts://x", tls: { cert: "/nonexistent/c.pem" } } }).join(
            "\n",
        ),
        /broker\.tls\.key: found nothing, expected it with tls\.cert/,
    )
    t.regex(
        problems({ ...minimal, broker: { url: "mqtts://x", tls: { ca: "/nonexistent/ca.pem" } } })[0],
        /^broker\.tls\.ca: found "\/nonexistent\/ca\.pem", but it cannot be read: ENOENT/,
    )
    t.regex(
        problems({ ...minimal, broker: { url: "mqtt://x", password: "p" } })[0],
        /^broker\.password: found a password without a user name/,
    )
    t.regex(
        problems({ ...minimal, queue: { maxBytes: 1024 } })[0],
        /^queue\.maxBytes: found 1024, expected at least 1280/,
    )
    t.regex(
        problems({ ...minimal, broker: { url: "mqtt://x", reconnect: { baseMs: 5000, capMs: 1000 } } })[0],
        /^broker\.reconnect\.baseMs: found 5000, expected at most capMs/,
    )
    t.regex(
        problems({ ...minimal, gateway: { topicRoot: "a/+/b" } })[0],
        /^gateway\.topicRoot: found "a\/\+\/b"/,
    )
})

test("retainedCommands: none by default, inherited from defaults, replaced by a port's own list, restart and stop refused", t => {
    const c = configFromObject(
        {
            ...minimal,
            defaults: { retainedCommands: ["interval"] },
            ports: [{ path: "/dev/a" }, { path: "/dev/b", retainedCommands: ["led/color"] }],
        },
        "test",
        context,
    )
    t.deepEqual(
        c.ports.map(p => p.retainedCommands),
        [["interval"], ["led/color"]],
    )
    t.deepEqual(configFromObject(minimal, "test", context).ports[0].retainedCommands, [])
    t.deepEqual(problems({ ...minimal, ports: [{ path: "/dev/a", retainedCommands: "interval" }] }), [
        'ports[0].retainedCommands: found "interval", expected a list',
    ])
    t.deepEqual(
        problems({
            ...minimal,
            ports: [{ path: "/dev/a", retainedCommands: ["cmd/interval", "led color"] }],
        }),
        [
            'ports[0].retainedCommands[1]: found "led color", expected a command name: the part after cmd/, one or more levels of A-Z a-z 0-9 _ - separated by /',
        ],
    )
    t.deepEqual(
        problems({
            ...minimal,
            defaults: { retainedCommands: ["interval", "restart"] },
            ports: [{ path: "/dev/a" }, { path: "/dev/b" }],
        }),
        [
            'defaults.retainedCommands[1]: found "restart", an action: a retained restart would run again at every connection (a restart loop); list only commands that set a state, like interval',
        ],
    )
    t.regex(
        problems({ ...minimal, ports: [{ path: "/dev/a", retainedCommands: ["stop"] }] })[0],
        /^ports\[0\]\.retainedCommands\[0\]: found "stop", an action/,
    )
    t.regex(
        problems({ ...minimal, ports: [{ path: "/dev/a", retained_commands: ["interval"] }] })[0],
        /unknown key "retained_commands".*\(did you mean "retainedCommands"\?\)/,
    )
})

test("secrets from the environment or a file, and out of the URL", t => {
    t.regex(
        problems({
            ...minimal,
            broker: { url: "mqtt://x", username: "u", password: { env: "MQTT_PASS" } },
        })[0],
        /^broker\.password: found \{ env: MQTT_PASS \}, but the environment variable MQTT_PASS is not set/,
    )
    const c = configFromObject(
        { ...minimal, broker: { url: "mqtt://x", username: "u", password: { env: "MQTT_PASS" } } },
        "test",
        { baseDir: "/", env: { MQTT_PASS: "s3cret" } },
    )
    t.is(c.broker.password, "s3cret")
    const fromUrl = configFromObject(
        { ...minimal, broker: { url: "mqtt://alice:p%40ss@x:1884" } },
        "test",
        context,
    )
    t.like(fromUrl.broker, { url: "mqtt://x:1884", username: "alice", password: "p@ss" })
    const dir = tempDir(t)
    writeFileSync(path.join(dir, "pass"), "from-file\n")
    const fromFile = configFromObject(
        { ...minimal, broker: { url: "mqtt://x", username: "u", password: { file: "pass" } } },
        "test",
        { baseDir: dir, env: {} },
    )
    t.is(fromFile.broker.password, "from-file")
    t.regex(
        problems({ ...minimal, broker: { url: "mqtt://x", username: "u", password: {} } })[0],
        /expected a string, \{ env: NAME \} or \{ file: PATH \}/,
    )
})

test("YAML errors carry line numbers; defaults apply to every port", t => {
    const dir = tempDir(t)
    const yaml =
        "broker:\n  url: mqtt://x\ndefaults:\n  baudRate: 9600\nports:\n  - path: /dev/ttyUSB0\n  - path: /dev/ttyACM0\n    baudRate: fast\n"
    const e = t.throws(() => loadConfigFile(writeConfig(dir, yaml, "g.yaml")), {
        instanceOf: ConfigError,
    }) as ConfigError
    t.deepEqual(e.problems, ['line 8: ports[1].baudRate: found "fast", expected a whole number'])
    const ok = loadConfigFile(writeConfig(dir, yaml.replace("baudRate: fast", "live: 5"), "ok.yaml"))
    t.deepEqual(
        ok.ports.map(p => [p.baudRate, p.live]),
        [
            [9600, 30],
            [9600, 5],
        ],
    )
    const broken = t.throws(() => loadConfigFile(writeConfig(dir, "broker: [\n", "bad.yaml")), {
        instanceOf: ConfigError,
    }) as ConfigError
    t.regex(broken.problems[0], /^line \d+: /)
    t.regex(
        (t.throws(() => loadConfigFile(path.join(dir, "missing.yaml"))) as Error).message,
        /cannot read the file: ENOENT/,
    )
})

test("the example config shipped in gateway/deploy is valid", t => {
    const file = fileURLToPath(new URL("../../gateway/deploy/gateway.example.yaml", import.meta.url))
    const c = loadConfigFile(file, {})
    t.is(c.id, "pi-greenhouse")
    t.deepEqual(
        c.ports.map(p => p.selector.kind),
        ["glob", "glob", "path", "usb"],
    )
})

test("--serial PATH[:BAUD] and globs", t => {
    t.deepEqual(parseSerialFlag("/dev/ttyUSB0:921600"), { path: "/dev/ttyUSB0", baudRate: 921600 })
    t.deepEqual(parseSerialFlag("/dev/ttyUSB0"), { path: "/dev/ttyUSB0" })
    t.deepEqual(parseSerialFlag("/dev/ttyACM*"), { glob: "/dev/ttyACM*" })
    t.deepEqual(parseSerialFlag("/dev/serial/by-path/platform-usb-0:1.3:1.0-port0"), {
        path: "/dev/serial/by-path/platform-usb-0:1.3:1.0-port0",
    })
})

test("the command: --check prints a summary and exits 0; each mistake exits non-zero with its message", async t => {
    const dir = tempDir(t)
    const good = writeConfig(dir, {
        broker: { url: "mqtt://u:secretpw@broker.local:1883" },
        ports: [{ path: "/dev/ttyUSB0" }],
        gateway: { id: "pi" },
    })
    const [check, quick] = await Promise.all([
        runCli(["gateway", "--check", "--config", good]),
        runCli([
            "gateway",
            "--check",
            "--broker",
            "mqtt://localhost",
            "--serial",
            "/dev/ttyUSB0:9600",
            "--serial",
            "/dev/ttyACM*",
            "--id",
            "desk",
        ]),
    ])
    t.is(check.code, 0, check.stderr)
    t.regex(check.stdout, /gateway pi: configuration is valid/)
    t.regex(check.stdout, /broker\s+mqtt:\/\/broker\.local:1883/)
    t.notRegex(check.stdout + check.stderr, /secretpw/)
    t.is(quick.code, 0, quick.stderr)
    t.regex(quick.stdout, /\/dev\/ttyUSB0\s+9600 baud/)
    const cases: [string[], RegExp][] = [
        [
            [
                "gateway",
                "--config",
                writeConfig(
                    dir,
                    { broker: { url: "mqtt://x" }, ports: [{ path: "/dev/x", baudRate: -1 }] },
                    "b.json",
                ),
            ],
            /ports\[0\]\.baudRate: found -1, expected a number from 50 to 4000000/,
        ],
        [["gateway", "--config", path.join(dir, "nope.yaml")], /cannot read the file: ENOENT/],
        [["gateway"], /give --config FILE, or --broker URL with --serial PATH/],
        [["gateway", "--broker", "mqtt://x"], /--broker needs at least one --serial/],
        [
            ["gateway", "--broker", "http://x", "--serial", "/dev/x"],
            /--broker must use mqtt:\/\/ or mqtts:\/\//,
        ],
        [
            ["gateway", "--config", good, "--broker", "mqtt://x"],
            /either --config FILE or --broker\/--serial, not both/,
        ],
        [["gateway", "--config", good, "--log-level", "loud"], /--log-level expects/],
        [["gateway", "--bogus"], /Unknown option '--bogus'/],
    ]
    const results = await Promise.all(cases.map(([args]) => runCli(args)))
    cases.forEach(([args, re], i) => {
        t.is(results[i].code, 2, args.join(" "))
        t.regex(results[i].stderr, re, args.join(" "))
    })
})
