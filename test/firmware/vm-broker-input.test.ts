// Hostile or careless input from the broker side, against the real compiled firmware in
// the DeviceScript VM and a real mosquitto: none of it knocks the board off the air, each
// kind is logged once a minute, and only what MQTT says must close the connection does.
// A fault proxy (test/support/proxy.ts) injects what mosquitto itself would never send.
import test, { type ExecutionContext } from "ava"
import { connectAsync } from "mqtt"
import { startMosquitto, mosquittoAvailable, type Mosquitto } from "../support/mosquitto.js"
import { mqttWitness, type Witness } from "../support/witness.js"
import { startProxy, type FaultProxy } from "../support/proxy.js"
import { startTestBoard, type TestBoard } from "../support/firmware.js"
import { waitFor } from "../support/wait.js"

const available = mosquittoAvailable()

async function broker(t: ExecutionContext, extraConfig?: string[]): Promise<Mosquitto> {
    const m = await startMosquitto({ extraConfig })
    t.teardown(() => m.stop())
    return m
}

async function proxied(t: ExecutionContext, m: Mosquitto): Promise<FaultProxy> {
    const proxy = await startProxy({ targetPort: m.port })
    t.teardown(() => proxy.close())
    return proxy
}

async function telemetryWitness(t: ExecutionContext, m: Mosquitto, id: string): Promise<Witness> {
    const w = await mqttWitness(m.url, `fieldlink/devices/${id}/telemetry`)
    t.teardown(() => w.stop())
    return w
}

/** Resolves once `count` more telemetry messages arrived: the board keeps publishing. */
async function keepsPublishing(w: Witness, count: number, timeoutMs = 10000): Promise<void> {
    const from = w.messages().length
    await waitFor(() => w.messages().length >= from + count, {
        timeoutMs,
        what: `${count} more telemetry messages`,
    })
}

const matching = (b: TestBoard, re: RegExp) => b.lines.filter(l => re.test(l))

/** A PUBLISH QoS 0 to `topic` (raw bytes, any) with `payload`. */
function rawPublish(topic: number[], payload: string): Buffer {
    const body = Buffer.concat([
        Buffer.from([topic.length >> 8, topic.length & 0xff]),
        Buffer.from(topic),
        Buffer.from(payload),
    ])
    return Buffer.concat([Buffer.from([0x30, body.length]), body])
}

if (!available.ok) {
    test("broker-side input (skipped: " + available.reason + ")", t => t.pass())
} else {
    test("a retained 3,000-byte command present before the board starts: one connection, reported once, acknowledged, telemetry goes on", async t => {
        const m = await broker(t)
        const proxy = await proxied(t, m)
        const c = await connectAsync(m.url)
        await c.publishAsync("fieldlink/devices/vm-big/cmd/note", "x".repeat(3000), { qos: 1, retain: true })
        await c.endAsync()
        const w = await telemetryWitness(t, m, "vm-big")
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: "vm-big", intervalMs: 300 })
        const report = await b.waitForLine(/exceeds the maximum packet size/, 10000)
        t.is(
            report,
            "mqtt: PUBLISH of 3040 bytes to fieldlink/devices/vm-big/cmd/note exceeds the maximum packet size of 2048 bytes: skipped, acknowledged",
        )
        await waitFor(() => proxy.seen("up", "puback") >= 1, {
            timeoutMs: 5000,
            what: "the board's PUBACK for the big command",
        })
        await keepsPublishing(w, 10)
        t.is(proxy.connections(), 1, "connected once")
        t.is(matching(b, /exceeds the maximum packet size/).length, 1, "reported once")
        t.is(matching(b, /reconnect in/).length, 0)
    })

    test("SUBACK 0x80 for cmd/#: logged with the filter, the connection stays, telemetry goes on", async t => {
        // mosquitto 2.0 grants every subscription and applies its ACL on delivery, so the
        // proxy stands in for a broker that refuses: it replaces mosquitto's SUBACK by a
        // refusal (0x80) with the same packet id.
        const m = await broker(t)
        const proxy = await proxied(t, m)
        proxy.setFilter("down", p => {
            if (p.name !== "suback") return "pass"
            const refusal = Buffer.from(p.bytes)
            refusal[refusal.length - 1] = 0x80
            setImmediate(() => proxy.inject("down", refusal))
            return "drop"
        })
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: "vm-acl", intervalMs: 300 })
        const refused = await b.waitForLine(/refused the subscription/, 10000)
        t.regex(
            refused,
            /to fieldlink\/devices\/vm-acl\/cmd\/# \(SUBACK 0x80\): its commands will not arrive/,
        )
        const from = proxy.seen("up", "publish")
        await waitFor(() => proxy.seen("up", "publish") >= from + 5, {
            timeoutMs: 5000,
            what: "5 more publishes from the board",
        })
        t.is(proxy.connections(), 1)
    })

    test("an out-of-place packet and a PUBLISH to a topic not subscribed: ignored, each kind logged once a minute", async t => {
        const m = await broker(t)
        const proxy = await proxied(t, m)
        const w = await telemetryWitness(t, m, "vm-odd")
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: "vm-odd", intervalMs: 300 })
        await b.waitForLine(/^online$/)
        await waitFor(() => proxy.seen("down", "suback") >= 1, { timeoutMs: 5000, what: "SUBACK" })
        const unsuback = Buffer.from([0xb0, 2, 0, 9]) // UNSUBACK for packet id 9: never asked for
        const stray = rawPublish([...Buffer.from("elsewhere/topic")], "hello")
        for (let i = 0; i < 3; i++) proxy.inject("down", Buffer.concat([unsuback, stray]))
        await b.waitForLine(/UNSUBACK was not expected from the broker now: ignored/, 5000)
        await b.waitForLine(
            /PUBLISH to elsewhere\/topic, which this board did not subscribe to: ignored/,
            5000,
        )
        await keepsPublishing(w, 3)
        t.is(matching(b, /UNSUBACK was not expected/).length, 1, "three UNSUBACKs, one line")
        t.is(matching(b, /did not subscribe to/).length, 1, "three stray PUBLISHes, one line")
        t.is(proxy.connections(), 1)
    })

    test("a PUBLISH with ill-formed UTF-8 in its topic: the connection closes as [MQTT-1.5.3-1] requires, and the board comes back", async t => {
        const m = await broker(t)
        const proxy = await proxied(t, m)
        const w = await mqttWitness(m.url, "fieldlink/devices/vm-utf8/status")
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: "vm-utf8", intervalMs: 300 })
        await w.waitFor(x => x.text === "online", 10000)
        const before = w.messages().length
        proxy.inject("down", rawPublish([0x61, 0xc3, 0x28], "x"))
        const line = await b.waitForLine(/bad packet from broker/, 5000)
        t.is(
            line,
            "mqtt: bad packet from broker (bad-utf8): PUBLISH topic is not valid MQTT UTF-8: missing continuation byte at byte 2; closing the connection as [MQTT-1.5.3-1] requires",
        )
        await w.waitFor(x => x.text === "online", 10000, before)
        t.is(proxy.connections(), 2)
    })

    test("a flood of small commands: rate-limited with a counter, logged once, the board keeps publishing", async t => {
        const m = await broker(t)
        const proxy = await proxied(t, m)
        const w = await telemetryWitness(t, m, "vm-flood")
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: "vm-flood", intervalMs: 300 })
        await b.waitForLine(/^online$/)
        await waitFor(() => proxy.seen("down", "suback") >= 1, { timeoutMs: 5000, what: "SUBACK" })
        const c = await connectAsync(m.url)
        t.teardown(() => c.endAsync())
        for (let i = 0; i < 300; i++) c.publish("fieldlink/devices/vm-flood/cmd/interval", "300")
        // Before the client parsed big reads a slice at a time, this flood (300 commands in
        // one 8 KB read) ran past the VM's step budget and restarted the board.
        await waitFor(() => proxy.seen("down", "publish") >= 300, {
            timeoutMs: 10000,
            what: "300 commands delivered to the board",
        })
        const flood = await b.waitForLine(/commands arrive faster than 10\/s/, 5000)
        t.regex(flood, /dropped, \d+ dropped since start$/)
        await keepsPublishing(w, 5)
        const ran = matching(b, /^cmd interval: now 300 ms$/).length
        t.log(`${ran} of 300 commands ran`)
        t.true(ran >= 20 && ran < 100, `${ran} commands ran (burst 20, then 10/s)`)
        t.is(matching(b, /commands arrive faster/).length, 1, "logged once")
        t.is(proxy.connections(), 1)
    })
}
