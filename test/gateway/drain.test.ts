// Shutdown drains a port (issue 10, long life): lines the device has already sent, still
// held by the operating system (the pseudo-terminal, socat, a USB adapter), are read and
// queued before the port closes, so SIGTERM right after a burst loses none of them: each
// is either delivered or in the journal for the next start.
import test from "ava"
import { readFileSync } from "node:fs"
import path from "node:path"
import { parseJournal } from "../../gateway/queue/journal.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { mqttWitness, witnessAvailable } from "../support/witness.js"
import { socatAvailable, startDevice } from "../support/pty.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway drain tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

const LINES = 3000

brokerTest("SIGTERM right after a burst: every line the device sent is delivered or journaled", async t => {
    // The witness must see every line: mosquitto's default max_queued_messages (1000) drops
    // QoS 1 messages for a subscriber that falls that far behind the burst.
    const broker = await startMosquitto({ extraConfig: ["max_queued_messages 0"] })
    t.teardown(() => broker.stop())
    const dir = tempDir(t)
    const device = await startDevice(dir, "burst")
    t.teardown(() => device.stop())
    const witness = await mqttWitness(broker.url, "fieldlink/devices/burst/#", { qos: 1 })
    t.teardown(() => witness.stop())
    const gw = startGateway(
        t,
        writeConfig(
            dir,
            await testConfig(dir, broker.url, [{ path: device.path }], {
                log: { level: "info", format: "json" },
            }),
        ),
    )
    await gw.waitForPorts(1)
    await device.write("hello id=burst\n")
    await witness.waitFor(m => m.topic === "fieldlink/devices/burst/status" && m.text === "online", 20000)
    // The device reads the gateway's answer before it writes the burst: serialport's poller
    // (bindings-cpp) restarts its poll with only the event asked for, so a read re-armed
    // while a write waits for room drops that wait, and the write never finishes.
    await device.waitForLine(l => l === "ok hello", 10000)
    let burst = ""
    for (let seq = 1; seq <= LINES; seq++) burst += `{"seq":${seq}}\n`
    await device.write(burst)
    t.is(await gw.stop(), 0)
    await witness.waitFor(m => m.topic === "fieldlink/devices/burst/status" && m.text === "offline", 20000)
    const delivered = witness
        .messages()
        .filter(m => m.topic === "fieldlink/devices/burst/telemetry")
        .map(m => JSON.parse(m.text).seq as number)
    const journal = parseJournal(readFileSync(path.join(dir, "state", "queues", "burst.jsonl"), "utf8"), 0)
    const kept = journal.messages.map(m => JSON.parse(m.payload).seq as number)
    const seen = new Set([...delivered, ...kept])
    const missing = Array.from({ length: LINES }, (_, i) => i + 1).filter(s => !seen.has(s))
    t.log(`${new Set(delivered).size} delivered, ${kept.length} journaled`)
    t.deepEqual(missing.slice(0, 20), [], `${missing.length} of ${LINES} lines lost at shutdown`)
})
