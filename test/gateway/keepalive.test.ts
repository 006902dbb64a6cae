// Keep-alive while messages flow. The gateway's links do not restart mqtt.js's keep-alive
// timer on every PUBACK (link.ts, reschedulePings off: that was timer work per message),
// so a device link sends PINGREQ every keep-alive period even while it publishes, and the
// broker answers it: the liveness check of the connection goes on under traffic, and
// nothing is lost or reordered meanwhile.
import test from "ava"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { socatAvailable, startDevice } from "../support/pty.js"
import { sleep } from "../support/wait.js"
import { startWitness, witnessAvailable } from "../support/witness.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("keep-alive tests are skipped here", t => t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

brokerTest("a device link pings every keep-alive period while it publishes, and loses nothing", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const dir = tempDir(t)
    const device = await startDevice(dir, "ttyK")
    t.teardown(() => device.stop())
    const witness = await startWitness(broker.url, "fieldlink/devices/ka/telemetry")
    t.teardown(() => witness.stop())
    const config = await testConfig(dir, broker.url, [{ path: device.path }])
    ;(config.broker as { keepaliveS: number }).keepaliveS = 2
    const gw = startGateway(t, writeConfig(dir, config))
    await gw.waitForPorts(1)
    await device.write("hello id=ka\n")
    await device.waitForLine(l => l === "ok hello", 15000)
    await broker.waitForLog(/New client connected .* as fieldlink-ka /, 15000)
    const from = broker.mark()
    // A line every 50 ms for 5 s: PUBACKs come far more often than every keep-alive period.
    const count = 100
    for (let seq = 1; seq <= count; seq++) {
        await device.write(`{"seq":${seq}}\n`)
        await sleep(50)
    }
    await broker.waitForLog(/Received PINGREQ from fieldlink-ka$/, 5000, from)
    const pings = broker
        .logLines()
        .slice(from)
        .filter(l => /Received PINGREQ from fieldlink-ka$/.test(l)).length
    t.true(pings >= 2, `expected a PINGREQ every 2 s while publishing for 5 s, saw ${pings}`)
    await witness.waitFor(m => m.text === `{"seq":${count}}`, 15000)
    const seqs = witness
        .messages()
        .filter(m => m.topic === "fieldlink/devices/ka/telemetry")
        .map(m => (JSON.parse(m.text) as { seq: number }).seq)
    t.deepEqual(
        seqs,
        Array.from({ length: count }, (_, i) => i + 1),
    )
    t.false(
        broker
            .logLines()
            .slice(from)
            .some(l => /fieldlink-ka has exceeded timeout/.test(l)),
        "the broker timed the link out",
    )
})
