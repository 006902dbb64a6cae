// Late lines say how late they are (protocol/age.ts, gateway/queue/stamp.ts): lines that
// waited in the gateway's queue — in memory, on disk, across a gateway restart — arrive
// with `age_ms`, so that taken = received − age_ms; fresh ones carry none. Ground truth
// for "taken" is the moment the device got the gateway's `ok` (acks: true), which the
// gateway sends once the line is in its queue.
import test, { type ExecutionContext } from "ava"
import path from "node:path"
import mqtt from "mqtt"
import { mosquittoAvailable, startMosquitto, type Mosquitto } from "../support/mosquitto.js"
import { sleep, waitFor } from "../support/wait.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"
import { socatAvailable, startDevice, type FakeDevice } from "../support/pty.js"

const ready = [mosquittoAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway late-delivery tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

interface Arrival {
    topic: string
    text: string
    /** When the subscriber received it, ms since the epoch. */
    at: number
    /** The MQTT 5 user property age_ms, if any. */
    ageProperty?: string
}

async function persistentBroker(t: ExecutionContext, dir: string): Promise<Mosquitto> {
    const broker = await startMosquitto({
        extraConfig: ["persistence true", `persistence_location ${dir}${path.sep}`],
    })
    t.teardown(() => broker.stop())
    return broker
}

/** An MQTT 5 QoS 1 subscriber whose session outlives a broker restart. */
async function subscriber(t: ExecutionContext, url: string, filter: string) {
    const seen: Arrival[] = []
    const client = await mqtt.connectAsync(url, {
        clientId: `late-witness-${process.pid}-${Math.random().toString(16).slice(2, 8)}`,
        clean: false,
        protocolVersion: 5,
        properties: { sessionExpiryInterval: 600 },
        reconnectPeriod: 200,
    })
    t.teardown(() => client.endAsync(true))
    client.on("message", (topic, payload, packet) => {
        const property = packet.properties?.userProperties?.age_ms
        seen.push({
            topic,
            text: payload.toString(),
            at: Date.now(),
            ageProperty: Array.isArray(property) ? property.join(",") : property,
        })
    })
    await client.subscribeAsync(filter, { qos: 1 })
    return seen
}

/** Writes one line and resolves with the time the gateway's `ok` for it came back. */
async function sendAcked(device: FakeDevice, line: string): Promise<number> {
    const oks = () => device.lines().filter(l => l.startsWith("ok ") && l !== "ok hello").length
    const before = oks()
    await device.write(`${line}\n`)
    await waitFor(() => oks() > before, {
        what: `the gateway's ok for ${line}`,
        timeoutMs: 10000,
        intervalMs: 5,
    })
    return Date.now()
}

/** The first arrival of each telemetry seq, with its age. */
function bySeq(seen: Arrival[], id: string) {
    const out = new Map<number, { at: number; age?: number }>()
    for (const a of seen) {
        if (a.topic !== `fieldlink/devices/${id}/telemetry`) continue
        const s = JSON.parse(a.text) as { seq: number; age_ms?: number }
        if (!out.has(s.seq)) out.set(s.seq, { at: a.at, age: s.age_ms })
    }
    return out
}

// The outage is as short as the assertion allows (about 12 s on an idle machine, not the
// 30 s first asked for): every age must be past the 2 s threshold, and the gateway must
// be down for longer than the ± 1 s tolerance, or counting its downtime would not show.
brokerTest(
    "broker away with a gateway restart in it: queued lines arrive with ages that match their receipt (± 1 s), the gateway's downtime included",
    async t => {
        const dir = tempDir(t)
        const broker = await persistentBroker(t, dir)
        const seen = await subscriber(t, broker.url, "fieldlink/devices/+/telemetry")
        const device = await startDevice(dir, "late1")
        t.teardown(() => device.stop())
        const configFile = writeConfig(
            dir,
            await testConfig(dir, broker.url, [{ path: device.path, id: "late1", acks: true }]),
        )
        const first = startGateway(t, configFile)
        await first.waitForPorts(1)
        const received = new Map<number, number>()
        const line = async (seq: number) =>
            received.set(seq, await sendAcked(device, `{"seq":${seq},"t_c":21.50}`))

        for (let seq = 1; seq <= 2; seq++) await line(seq)
        await waitFor(() => bySeq(seen, "late1").has(2), { what: "the fresh lines", timeoutMs: 20000 })
        await broker.stop()
        // Each pause below is a length of time the ages must show; none waits for an event.
        for (let seq = 3; seq <= 4; seq++) await line(seq)
        await sleep(2500)
        for (let seq = 5; seq <= 6; seq++) await line(seq)
        t.is(await first.stop(), 0) // graceful: the queue goes to disk
        const downFrom = Date.now()
        await sleep(3000) // the gateway is down: the wall clock must count this
        const second = startGateway(t, configFile)
        // A deadline, not a bound: a gateway starting on a loaded machine was seen to take 30 s.
        await second.waitForLog(l => l.msg === "queue loaded from disk" && l.queued === 4, 60000)
        await second.waitForPorts(1)
        const downMs = Date.now() - downFrom
        for (let seq = 7; seq <= 8; seq++) await line(seq)
        await sleep(3000) // long enough for 7 and 8 to be late too
        await broker.restart()
        await waitFor(() => bySeq(seen, "late1").has(8), {
            what: "the queued lines after the restarts",
            timeoutMs: 30000,
        })
        await line(9)
        await waitFor(() => bySeq(seen, "late1").has(9), {
            what: "a fresh line after the outage",
            timeoutMs: 10000,
        })

        const arrivals = bySeq(seen, "late1")
        t.deepEqual([...arrivals.keys()], [1, 2, 3, 4, 5, 6, 7, 8, 9], "every line, in order")
        t.is(arrivals.get(1)!.age, undefined, "fresh lines carry no age")
        t.is(arrivals.get(2)!.age, undefined)
        t.is(arrivals.get(9)!.age, undefined)
        const errors: string[] = []
        for (let seq = 3; seq <= 8; seq++) {
            const a = arrivals.get(seq)!
            t.true(a.age !== undefined, `seq ${seq} waited and says so`)
            const error = a.at - a.age! - received.get(seq)!
            errors.push(`${seq}: age ${a.age} ms, off by ${error} ms`)
            t.true(
                Math.abs(error) <= 1000,
                `seq ${seq}: taken = received − age is ${error} ms from its receipt`,
            )
        }
        // The ages of lines received before the restart include the time the gateway was down.
        t.true(
            arrivals.get(6)!.age! > downMs,
            `seq 6 waited ${arrivals.get(6)!.age} ms, more than the ${downMs} ms the gateway was down`,
        )
        t.log(`gateway down ${downMs} ms; ${errors.join("; ")}`)
        // The device's bytes pass as they were, with the age appended.
        t.regex(
            seen.find(a => a.text.startsWith('{"seq":3,'))!.text,
            /^\{"seq":3,"t_c":21\.50,"age_ms":\d+\}$/,
        )
    },
)

brokerTest(
    "MQTT 5: a late text line keeps its payload and carries age_ms as a user property; ts stamps JSON lines when configured",
    async t => {
        const dir = tempDir(t)
        const broker = await persistentBroker(t, dir)
        const seen = await subscriber(t, broker.url, "fieldlink/devices/v5/#")
        const device = await startDevice(dir, "v5")
        t.teardown(() => device.stop())
        const config = await testConfig(dir, broker.url, [{ path: device.path, id: "v5", acks: true }], {
            gateway: { timestamp: "epoch" },
        })
        ;(config.broker as Record<string, unknown>).protocolVersion = 5
        const gw = startGateway(t, writeConfig(dir, config))
        await gw.waitForPorts(1)
        const freshAt = await sendAcked(device, '{"seq":1}')
        const fresh = await waitFor(() => seen.find(a => a.topic.endsWith("/telemetry")), {
            what: "the fresh line",
            timeoutMs: 20000,
        })
        await broker.stop()
        const textAt = await sendAcked(device, "pub note hello there")
        const jsonAt = await sendAcked(device, '{"seq":2}')
        await sleep(3000) // past the 2 s threshold
        await broker.restart()
        const note = await waitFor(() => seen.find(a => a.topic.endsWith("/note")), {
            what: "the text line",
            timeoutMs: 30000,
        })
        const json = await waitFor(() => seen.find(a => a.text.startsWith('{"seq":2')), {
            what: "the late JSON line",
            timeoutMs: 10000,
        })

        const freshBody = JSON.parse(fresh.text) as { ts: number; age_ms?: number }
        t.is(freshBody.age_ms, undefined)
        t.is(fresh.ageProperty, undefined)
        t.true(Math.abs(freshBody.ts - freshAt) <= 1000, `fresh ts ${freshBody.ts} vs received ${freshAt}`)
        t.is(note.text, "hello there", "a text payload is never changed")
        t.true(
            note.ageProperty !== undefined && Math.abs(note.at - Number(note.ageProperty) - textAt) <= 1000,
            `text line: user property age_ms=${note.ageProperty}`,
        )
        const body = JSON.parse(json.text) as { seq: number; age_ms: number; ts: number }
        t.true(Math.abs(json.at - body.age_ms - jsonAt) <= 1000, `JSON line: age_ms=${body.age_ms}`)
        t.is(json.ageProperty, String(body.age_ms), "the user property says the same")
        t.true(
            Math.abs(body.ts - jsonAt) <= 1000,
            `ts ${body.ts} is when the gateway received it (${jsonAt})`,
        )
    },
)
