// Commands are actions (DESIGN §1): the real firmware in the DeviceScript VM against a
// real mosquitto, with retained commands on the broker. A retained restart must never
// loop the board; a live one is obeyed once; a retained interval (a state) is restored.
import test, { type ExecutionContext } from "ava"
import { connectAsync } from "mqtt"
import { startMosquitto, mosquittoAvailable, type Mosquitto } from "../support/mosquitto.js"
import { mqttWitness, witnessAvailable, type WitnessMessage } from "../support/witness.js"
import { startProxy, type FaultProxy } from "../support/proxy.js"
import { startTestBoard, type TestBoard } from "../support/firmware.js"
import { runPrintedMosquittoPub } from "../support/printed-command.js"
import { waitFor } from "../support/wait.js"

const ready = [mosquittoAvailable(), witnessAvailable()]

async function broker(t: ExecutionContext): Promise<Mosquitto> {
    const m = await startMosquitto()
    t.teardown(() => m.stop())
    return m
}

/** Publishes once from a short-lived client, as a person with an MQTT tool would. */
async function publish(url: string, topic: string, payload: string, retain: boolean): Promise<void> {
    const c = await connectAsync(url, { reconnectPeriod: 0 })
    await c.publishAsync(topic, payload, { qos: 1, retain })
    await c.endAsync()
}

const count = (b: TestBoard, re: RegExp) => b.lines.filter(l => re.test(l)).length
const boots = (b: TestBoard, id: string) => count(b, new RegExp(`^device ${id} fw `))
const telemetry = (id: string) => (m: WitnessMessage) => m.topic === `fieldlink/devices/${id}/telemetry`
const NOTICE = /^cmd restart: retained, not run \(a stale action\); clear it: mosquitto_pub -r -n -t (\S+)$/

/** Cuts the board's connection and waits until the broker has delivered `cmd/#` to it again. */
async function reconnect(b: TestBoard, proxy: FaultProxy): Promise<void> {
    const commands = proxy.seen("down", "publish")
    const from = b.lines.length
    proxy.cut()
    await b.waitForLine(/^online$/, 20000, from)
    await waitFor(() => proxy.seen("down", "publish") > commands, {
        timeoutMs: 5000,
        what: "the retained command delivered again",
    })
}

if (!ready.every(a => a.ok)) {
    test("retained commands in the VM (skipped)", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))
} else {
    test("a retained cmd/restart before the board starts: not run, one log line over reconnections, telemetry goes on", async t => {
        const m = await broker(t)
        const id = "vm-stale"
        const topic = `fieldlink/devices/${id}/cmd/restart`
        // A zero-length retained message would delete, not store: the slip carries a payload.
        await publish(m.url, topic, "now", true)
        const proxy = await startProxy({ targetPort: m.port })
        t.teardown(() => proxy.close())
        const w = await mqttWitness(m.url, `fieldlink/devices/${id}/telemetry`)
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, {
            broker: proxy.url,
            deviceId: id,
            intervalMs: 300,
            keepAliveSeconds: 5,
        })

        const notice = await b.waitForLine(NOTICE, 15000)
        t.is(NOTICE.exec(notice)![1], topic, "the printed command names the command's topic")
        await reconnect(b, proxy)
        await reconnect(b, proxy)
        t.is(proxy.connections(), 3)
        t.true(
            proxy.seen("down", "publish") >= 3,
            "the broker delivered the retained restart at each of the 3 connections",
        )
        const from = w.messages().length
        await waitFor(() => w.messages().slice(from).filter(telemetry(id)).length >= 3, {
            timeoutMs: 10000,
            what: "telemetry after the reconnections",
        })
        t.is(count(b, NOTICE), 1, "reported once, not once per connection")
        t.is(count(b, /^cmd restart$/), 0, "never run")
        t.is(boots(b, id), 1, "the program never restarted")

        // The printed advice works, and its empty message is not taken as a live restart.
        const clearedAt = b.lines.length
        await runPrintedMosquittoPub(notice, m.url)
        await b.waitForLine(
            /^cmd restart: empty, after a retained one: taken as its clearing, not run \(send it again to run it\)$/,
            10000,
            clearedAt,
        )
        // Nothing retained any more: a late subscriber's first message is a probe sent after it subscribed.
        const probe = `fieldlink-test/${id}/probe`
        const late = await mqttWitness(m.url, [topic, probe])
        t.teardown(() => late.stop())
        await publish(m.url, probe, "x", false)
        await late.waitFor(x => x.topic === probe, 5000)
        t.deepEqual(
            late.messages().map(x => x.topic),
            [probe],
            "no retained restart left on the broker",
        )

        // A live restart afterwards is obeyed, once.
        const liveAt = b.lines.length
        await publish(m.url, topic, "", false)
        await b.waitForLine(/^cmd restart$/, 10000, liveAt)
        await waitFor(() => boots(b, id) === 2 && b.lines.slice(liveAt).includes("online"), {
            timeoutMs: 20000,
            what: "the board back online after its restart",
        })
        t.is(count(b, /^cmd restart$/), 1)
    })

    test("a restart published live with the retain flag: obeyed once, then reported, never a loop", async t => {
        const m = await broker(t)
        const id = "vm-once"
        const topic = `fieldlink/devices/${id}/cmd/restart`
        const proxy = await startProxy({ targetPort: m.port })
        t.teardown(() => proxy.close())
        const w = await mqttWitness(m.url, `fieldlink/devices/${id}/telemetry`)
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: id, intervalMs: 300 })
        await b.waitForLine(/^online$/)
        await waitFor(() => proxy.seen("down", "suback") >= 1, {
            timeoutMs: 5000,
            what: "SUBACK to the board",
        })

        // The common slip: "retain" ticked in the MQTT tool. The board was subscribed, so
        // this delivery is live (RETAIN = 0) and is obeyed.
        await publish(m.url, topic, "now", true)
        await b.waitForLine(/^cmd restart$/, 10000)
        // After the restart the broker hands the same message over again, retained.
        await b.waitForLine(NOTICE, 20000)
        t.is(boots(b, id), 2)
        const from = w.messages().length
        await waitFor(() => w.messages().slice(from).filter(telemetry(id)).length >= 5, {
            timeoutMs: 10000,
            what: "telemetry after the restart",
        })
        t.is(count(b, /^cmd restart$/), 1, "obeyed once")
        t.is(boots(b, id), 2, "no restart loop: one boot, one restart")
        t.is(count(b, NOTICE), 1)
    })

    test("a retained cmd/interval is a state: restored at start and at every reconnection", async t => {
        const m = await broker(t)
        const id = "vm-restore"
        await publish(m.url, `fieldlink/devices/${id}/cmd/interval`, "300", true)
        const proxy = await startProxy({ targetPort: m.port })
        t.teardown(() => proxy.close())
        const w = await mqttWitness(m.url, `fieldlink/devices/${id}/telemetry`)
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: id, intervalMs: 20000 })
        await b.waitForLine(/^cmd interval: restoring its retained value$/, 15000)
        await b.waitForLine(/^cmd interval: now 300 ms$/, 5000)
        // At the configured 20 s this would take over a minute.
        await waitFor(() => w.messages().filter(telemetry(id)).length >= 6, {
            timeoutMs: 8000,
            what: "6 samples at the restored 300 ms",
        })
        const at = w
            .messages()
            .filter(telemetry(id))
            .slice(-5)
            .map(x => x.at)
        const span = at[4] - at[0]
        t.true(span >= 900 && span <= 2000, `4 intervals took ${span} ms at 300 ms`)

        const from = b.lines.length
        await reconnect(b, proxy)
        await b.waitForLine(/^cmd interval: now 300 ms$/, 5000, from)
        t.is(
            count(b, /^cmd interval: restoring its retained value$/),
            2,
            "restored again at the new connection",
        )
    })
}
