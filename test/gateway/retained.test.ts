// Commands are actions (DESIGN §1), through the real gateway process, a real mosquitto
// and devices on pseudo-terminals: a retained command is not passed down to a serial
// device (logged once, with the command that clears it), unless the port lists it in
// retainedCommands as a state the device restores; live commands go down as before.
import test from "ava"
import { connectAsync } from "mqtt"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startWitness, witnessAvailable } from "../support/witness.js"
import { runPrintedMosquittoPub } from "../support/printed-command.js"
import { startGateway, tempDir, testConfig, writeConfig, type LogLine } from "./harness.js"
import { socatAvailable, startDevice, type FakeDevice } from "../support/pty.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway retained-command tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

const cmd = (id: string, name: string) => `fieldlink/devices/${id}/cmd/${name}`
const cmdLines = (d: FakeDevice) => d.lines().filter(l => l.startsWith("cmd"))
const notPassed = (device: string, command: string) => (l: LogLine) =>
    l.msg.startsWith("retained command not passed down") && l.device === device && l.command === command

/** Keeps a device alive the way a real one would, until stopped. */
function pinging(d: FakeDevice): () => void {
    const timer = setInterval(() => void d.write("ping\n"), 300)
    return () => clearInterval(timer)
}

brokerTest(
    "retained commands stay on the broker unless the port opts in; live ones go down; one log line each; the printed advice clears them",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const publisher = await connectAsync(broker.url, { reconnectPeriod: 0 })
        t.teardown(() => publisher.endAsync(true))
        const publish = (topic: string, payload: string, retain: boolean) =>
            publisher.publishAsync(topic, payload, { qos: 1, retain })
        // Stale commands, stored before the gateway ever starts (e.g. "retain" ticked in an MQTT tool).
        await publish(cmd("plain", "restart"), "now", true)
        await publish(cmd("plain", "interval"), "5000", true)
        await publish(cmd("keeper", "restart"), "now", true)
        await publish(cmd("keeper", "interval"), "2500", true)

        const dir = tempDir(t)
        const [plain, keeper] = await Promise.all([startDevice(dir, "plain"), startDevice(dir, "keeper")])
        t.teardown(() => Promise.all([plain.stop(), keeper.stop()]))
        const witness = await startWitness(broker.url, "fieldlink/devices/+/status")
        t.teardown(() => witness.stop())
        const config = await testConfig(dir, broker.url, [
            { path: plain.path },
            { path: keeper.path, retainedCommands: ["interval"] },
        ])
        const gw = startGateway(t, writeConfig(dir, config))
        await gw.waitForPorts(2)
        let stopPlain = pinging(plain)
        const stopKeeper = pinging(keeper)
        t.teardown(() => (stopPlain(), stopKeeper()))
        await plain.write("hello id=plain live=1\n")
        await keeper.write("hello id=keeper\n")

        // The opted-in state is restored from its retained value; the retained restart is not passed down.
        await keeper.waitForLine(l => l === "cmd interval 2500", 30000)
        const keeperRestart = await gw.waitForLog(notPassed("keeper", "restart"))
        t.is(keeperRestart.clear, `mosquitto_pub -r -n -t ${cmd("keeper", "restart")}`)
        t.true(
            keeperRestart.msg.endsWith(
                `(if it sets a state the device may restore, list "restart" in this port's retainedCommands); clear it: ${keeperRestart.clear}`,
            ),
            keeperRestart.msg,
        )
        // Without the opt-in, neither goes down.
        const plainRestart = await gw.waitForLog(notPassed("plain", "restart"))
        await gw.waitForLog(notPassed("plain", "interval"))
        t.is(plainRestart.level, 40, "a warning")

        // Live commands still go down, in order after the retained ones: when they arrive, any
        // retained one passed down would already be there.
        // (With a payload: an empty one right after a retained one would be taken as its clearing.)
        await publish(cmd("plain", "restart"), "now", false)
        await publish(cmd("keeper", "restart"), "now", false)
        await plain.waitForLine(l => l === "cmd restart now")
        await keeper.waitForLine(l => l === "cmd restart now")
        t.deepEqual(cmdLines(plain), ["cmd restart now"], "the device never saw a retained command")
        t.deepEqual(cmdLines(keeper), ["cmd interval 2500", "cmd restart now"])

        // plain falls silent (live=1 → offline after 1.5 s) and comes back: a new connection,
        // a new subscription, the retained commands delivered again — and not logged again.
        stopPlain()
        const mark = broker.mark()
        await witness.waitFor(
            m => m.topic === "fieldlink/devices/plain/status" && m.text === "offline",
            15000,
        )
        stopPlain = pinging(plain)
        await broker.waitForLog(
            /Sending PUBLISH to fieldlink-plain \(d0, q\d, r1, m\d+, 'fieldlink\/devices\/plain\/cmd\/restart'/,
            15000,
            mark,
        )
        await publish(cmd("plain", "interval"), "1000", false)
        await plain.waitForLine(l => l === "cmd interval 1000")
        t.deepEqual(cmdLines(plain), ["cmd restart now", "cmd interval 1000"])
        t.is(
            gw.logs().filter(notPassed("plain", "restart")).length,
            1,
            "logged once, not once per connection",
        )

        // The printed command clears it; its empty message is not passed down as a restart.
        await runPrintedMosquittoPub(plainRestart.msg, broker.url)
        await gw.waitForLog(
            l =>
                l.device === "plain" &&
                l.msg.startsWith(
                    "not passed down: an empty cmd/restart after a retained one is taken as its clearing",
                ),
        )
        await publish(cmd("plain", "restart"), "", false)
        await plain.waitForLine(l => l === "cmd restart", 5000)
        t.deepEqual(cmdLines(plain), ["cmd restart now", "cmd interval 1000", "cmd restart"])
        t.is(await gw.stop(), 0)
    },
)
