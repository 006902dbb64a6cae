// `fieldlink sim` as a user runs it: a separate process, against a real mosquitto.
import test from "ava"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startWitness } from "../support/witness.js"
import { runCli, startCli } from "../support/cli.js"
import { freePort, waitFor } from "../support/wait.js"

test("flag mistakes are named, with what was found and what is expected, and exit 2", async t => {
    const cases: [string[], RegExp][] = [
        [["sim", "--boards", "100001"], /--boards expects a whole number from 0 to 100000, got '100001'/],
        [["sim", "--boards", "0", "--serial", "0"], /nothing to simulate: --boards and --serial are both 0/],
        [["sim", "--interval", "fast"], /--interval expects a whole number from 100 to 86400000, got 'fast'/],
        [["sim", "--broker", "http://x"], /--broker must use mqtt:\/\/ or mqtts:\/\/, got 'http:\/\/'/],
        [["sim", "--bogus"], /fieldlink sim: Unknown option '--bogus'/],
        [
            ["sim", "--broker", "mqtt://a", "--broker", "mqtts://b"],
            /--broker mixes mqtt:\/\/ \(a\) and mqtts:\/\/ \(b\); every node of one broker is reached the same way/,
        ],
        [
            ["sim", "--broker", "mqtt://a", "--broker", "b:1883"],
            /--broker expects a URL like mqtt:\/\/host:1883, got 'b:1883'/,
        ],
        [
            ["sim", "x.yaml", "--broker", "mqtt://a", "--broker", "mqtt://b"],
            /a scenario runs against one --broker/,
        ],
        [["sim", "--id-prefix", "a/b"], /--id-prefix 'a\/b' does not make valid device ids/],
        [["launch"], /unknown command 'launch'/],
    ]
    for (const [args, expected] of cases) {
        const r = await runCli(args)
        t.is(r.code, 2, args.join(" "))
        t.regex(r.stderr, expected)
    }
})

const available = mosquittoAvailable()
if (available.ok) {
    test("SIGKILL of the simulator process: the broker says offline for every board (their wills)", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await startWitness(m.url, "fieldlink/devices/+/status")
        t.teardown(() => w.stop())
        const sim = startCli([
            "sim",
            "--boards",
            "2",
            "--broker",
            m.url,
            "--id-prefix",
            "killme",
            "--interval",
            "1000",
            "--serial",
            "0",
        ])
        t.teardown(() => sim.child.kill("SIGKILL"))
        for (const id of ["killme-1", "killme-2"])
            await w.waitFor(x => x.topic === `fieldlink/devices/${id}/status` && x.text === "online", 30000)
        const mark = m.mark()
        sim.child.kill("SIGKILL")
        await sim.exited
        for (const id of ["killme-1", "killme-2"])
            await w.waitFor(x => x.topic === `fieldlink/devices/${id}/status` && x.text === "offline", 5000)
        t.false(
            m
                .logLines()
                .slice(mark)
                .some(l => /Received DISCONNECT from fieldlink-killme/.test(l)),
        )
    })

    test("SIGTERM of the simulator: every board says offline itself and disconnects, exit 0", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await startWitness(m.url, "fieldlink/devices/+/status")
        t.teardown(() => w.stop())
        const sim = startCli(["sim", "--boards", "2", "--broker", m.url, "--id-prefix", "term"])
        t.teardown(() => sim.child.kill("SIGKILL"))
        for (const id of ["term-1", "term-2"])
            await w.waitFor(x => x.topic === `fieldlink/devices/${id}/status` && x.text === "online", 30000)
        const mark = m.mark()
        sim.child.kill("SIGTERM")
        t.is(await sim.exited, 0)
        await waitFor(
            () =>
                m
                    .logLines()
                    .slice(mark)
                    .filter(l => /Received DISCONNECT from fieldlink-term-/.test(l)).length === 2,
            { timeoutMs: 5000, what: "2 DISCONNECTs" },
        )
        for (const id of ["term-1", "term-2"])
            await w.waitFor(x => x.topic === `fieldlink/devices/${id}/status` && x.text === "offline", 5000)
    })

    test("--broker repeated with the first node down: boards come online on the next, and stop gracefully there", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await startWitness(m.url, "fieldlink/devices/+/status")
        t.teardown(() => w.stop())
        const down = `mqtt://127.0.0.1:${await freePort()}`
        const sim = startCli([
            "sim",
            "--boards",
            "2",
            "--serial",
            "0",
            "--no-dashboard",
            "--broker",
            down,
            "--broker",
            m.url,
            "--id-prefix",
            "second",
        ])
        t.teardown(() => sim.child.kill("SIGKILL"))
        for (const id of ["second-1", "second-2"])
            await w.waitFor(x => x.topic === `fieldlink/devices/${id}/status` && x.text === "online", 30000)
        sim.child.kill("SIGTERM")
        t.is(await sim.exited, 0)
        for (const id of ["second-1", "second-2"])
            await w.waitFor(x => x.topic === `fieldlink/devices/${id}/status` && x.text === "offline", 5000)
    })
} else {
    test("simulator process tests (skipped: " + available.reason + ")", t => t.pass())
}
