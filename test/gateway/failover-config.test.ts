// broker.urls: several nodes where broker.url names one; each mistake named with its path.
import test from "ava"
import { ConfigError } from "../../lib/config/errors.js"
import { configFromObject } from "../../gateway/config/load.js"
import { runCli } from "../support/cli.js"

const context = { baseDir: "/", env: {} as NodeJS.ProcessEnv }
const ports = [{ path: "/dev/ttyUSB0" }]

function problems(broker: unknown): string[] {
    try {
        configFromObject({ broker, ports }, "test", context)
    } catch (e) {
        if (e instanceof ConfigError) return e.problems
        throw e
    }
    return []
}

test("broker.urls lists the nodes in order, credentials taken out of every URL", t => {
    const c = configFromObject(
        { broker: { urls: ["mqtt://u:p%40ss@node1:1883", "mqtt://u:p%40ss@node2:1884"] }, ports },
        "test",
        context,
    )
    t.deepEqual(c.broker.urls, ["mqtt://node1:1883", "mqtt://node2:1884"])
    t.is(c.broker.url, "mqtt://node1:1883")
    t.is(c.broker.username, "u")
    t.is(c.broker.password, "p@ss")
})

test("broker.url alone is a list of one", t => {
    const c = configFromObject({ broker: { url: "mqtt://broker.local:1883" }, ports }, "test", context)
    t.deepEqual(c.broker.urls, ["mqtt://broker.local:1883"])
})

test("mistakes in broker.urls are named where they are", t => {
    t.deepEqual(problems({ url: "mqtt://a", urls: ["mqtt://b"] }), [
        "broker.urls: is set together with broker.url; keep one: url for one broker, urls for several",
    ])
    t.deepEqual(problems({}), [
        "broker.url: is missing: give the broker's URL (url: mqtt://broker.local:1883), or urls: [...] for several nodes",
    ])
    t.deepEqual(problems({ urls: [] }), ["broker.urls: found a list of 0, expected at least 1 entry"])
    t.deepEqual(problems({ urls: ["mqtt://a", "mqtts://b"] }), [
        "broker.urls: mixes mqtt:// and mqtts://; every node must be reached the same way",
    ])
    t.regex(problems({ urls: ["mqtt://a", "tcp://b"] })[0]!, /^broker\.urls\[1\]: found "tcp:\/\/b"/)
})

test("fieldlink gateway --broker repeated: the nodes of one broker, as broker.urls; mixed schemes are refused", async t => {
    const [both, mixed] = await Promise.all([
        runCli([
            "gateway",
            "--check",
            "--broker",
            "mqtt://u:secretpw@node1.lan:1883",
            "--broker",
            "mqtt://node2.lan:1884",
            "--serial",
            "/dev/ttyUSB0",
        ]),
        runCli([
            "gateway",
            "--check",
            "--broker",
            "mqtt://node1.lan",
            "--broker",
            "mqtts://node2.lan",
            "--serial",
            "/dev/ttyUSB0",
        ]),
    ])
    t.is(both.code, 0, both.stderr)
    t.regex(both.stdout, /broker\s+mqtt:\/\/node1\.lan:1883, mqtt:\/\/node2\.lan:1884 \(.*user name set\)/)
    t.notRegex(both.stdout + both.stderr, /secretpw/)
    t.is(mixed.code, 2)
    t.regex(
        mixed.stderr,
        /fieldlink gateway: --broker mixes mqtt:\/\/ \(node1\.lan\) and mqtts:\/\/ \(node2\.lan\); every node of one broker is reached the same way/,
    )
})
