// The real compiled firmware in the DeviceScript VM against a real mosquitto each test
// starts on a free port, observed by an independent witness (mosquitto_sub / mqtt.js).
import test, { type ExecutionContext } from "ava"
import { startMosquitto, mosquittoAvailable, type Mosquitto } from "../support/mosquitto.js"
import { startWitness, mqttWitness, type WitnessMessage } from "../support/witness.js"
import { startProxy } from "../support/proxy.js"
import { startTestBoard } from "../support/firmware.js"
import { netConnector, type SocketConnector } from "../../devs-host/index.js"
import mqttPacket from "mqtt-packet"
import { freePort, waitFor } from "../support/wait.js"
import { connectAsync } from "mqtt"
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

const available = mosquittoAvailable()

async function broker(t: ExecutionContext, extraConfig?: string[]): Promise<Mosquitto> {
    const m = await startMosquitto({ extraConfig })
    t.teardown(() => m.stop())
    return m
}

const telemetryOf = (id: string) => (m: WitnessMessage) => m.topic === `fieldlink/devices/${id}/telemetry`
const seqs = (messages: WitnessMessage[], id: string) =>
    messages.filter(telemetryOf(id)).map(m => JSON.parse(m.text).seq as number)

if (!available.ok) {
    test("firmware in the VM (skipped: " + available.reason + ")", t => t.pass())
} else {
    test("retained online and info after connect, then telemetry at the interval with increasing seq", async t => {
        const m = await broker(t)
        const b = await startTestBoard(t, {
            broker: m.url,
            deviceId: "vm-basic",
            intervalMs: 500,
            temperature: () => 23.25,
            humidity: () => 51.5,
        })
        await b.waitForLine(/^online$/)
        // A subscriber arriving after the fact gets status and info as retained messages.
        const w = await startWitness(m.url, "fieldlink/devices/vm-basic/#")
        t.teardown(() => w.stop())
        const status = await w.waitFor(x => x.topic.endsWith("/status"), 5000)
        t.true(status.retain, "status is retained")
        t.is(status.text, "online")
        const info = await w.waitFor(x => x.topic.endsWith("/info"), 5000)
        t.true(info.retain, "info is retained")
        t.like(JSON.parse(info.text), {
            id: "vm-basic",
            fw: "0.1.0",
            board: "sim",
            transport: "sim",
            interval_ms: 500,
        })

        const from = w.messages().length
        await w.waitFor(telemetryOf("vm-basic"), 5000, from)
        const first = w.messages().filter(telemetryOf("vm-basic"))[0]
        await waitFor(() => seqs(w.messages(), "vm-basic").length >= 6, {
            timeoutMs: 8000,
            what: "6 samples",
        })
        const samples = w.messages().filter(telemetryOf("vm-basic"))
        const s = samples.map(x => JSON.parse(x.text))
        for (let i = 1; i < s.length; i++) t.is(s[i].seq, s[i - 1].seq + 1, "seq increases by one")
        t.false(
            samples.some(x => x.retain),
            "telemetry is not retained",
        )
        t.like(s[s.length - 1], { temperature_c: 23.25, humidity_pct: 51.5 })
        // Five intervals of 500 ms between the first and the sixth sample, within scheduling slack.
        const span = samples[5].at - first.at
        t.true(span >= 2000 && span <= 3500, `5 intervals took ${span} ms`)
    })

    test("keep-alive 300 reaches the broker as 300", async t => {
        const m = await broker(t)
        await startTestBoard(t, { broker: m.url, deviceId: "vm-ka300", keepAliveSeconds: 300 })
        const line = await m.waitForLog(/New client connected .* as fieldlink-vm-ka300 /, 10000)
        t.regex(line, /\bk300\)/)
    })

    test("keep-alive 2 s with no telemetry: the connection lives over 10 s on PINGREQs alone", async t => {
        const m = await broker(t)
        const proxy = await startProxy({ targetPort: m.port })
        t.teardown(() => proxy.close())
        const b = await startTestBoard(t, {
            broker: proxy.url,
            deviceId: "vm-ka2",
            keepAliveSeconds: 2,
            intervalMs: 86400000,
        })
        await b.waitForLine(/^online$/)
        const since = Date.now()
        await waitFor(() => Date.now() - since >= 10500 || proxy.connections() > 1, {
            timeoutMs: 15000,
            intervalMs: 250,
            what: "10 s online",
        })
        t.is(proxy.connections(), 1, "never reconnected")
        t.true(proxy.seen("up", "pingreq") >= 4, `PINGREQs seen: ${proxy.seen("up", "pingreq")}`)
        t.true(
            proxy.seen("up", "pingreq") <= 7,
            `at most one PINGREQ per period, seen ${proxy.seen("up", "pingreq")}`,
        )
        t.is(proxy.seen("down", "pingresp"), proxy.seen("up", "pingreq"))
        t.false(
            m.logLines().some(l => /fieldlink-vm-ka2 .*(exceeded timeout|disconnected)/i.test(l)),
            "no broker timeout",
        )
    })

    test("PINGRESP swallowed: the client reconnects within 1.5 × keep-alive and says online again", async t => {
        const m = await broker(t)
        const proxy = await startProxy({ targetPort: m.port })
        t.teardown(() => proxy.close())
        const w = await mqttWitness(m.url, "fieldlink/devices/vm-swallow/status")
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, {
            broker: proxy.url,
            deviceId: "vm-swallow",
            keepAliveSeconds: 2,
            intervalMs: 500,
        })
        await w.waitFor(x => x.text === "online", 10000)
        const before = w.messages().length
        proxy.setFilter("down", p => (p.name === "pingresp" ? "drop" : "pass"))
        const swallowFrom = Date.now()
        await b.waitForLine(/no PINGRESP within 1000 ms/, 6000)
        const gaveUpAfter = Date.now() - swallowFrom
        t.true(gaveUpAfter <= 3000 + 250, `gave up ${gaveUpAfter} ms after PINGRESPs stopped (bound 3000 ms)`)
        proxy.setFilter("down", undefined)
        await w.waitFor(x => x.text === "online", 5000, before)
        t.is(proxy.connections(), 2)
        t.true(proxy.dropped("down", "pingresp") >= 1)
    })

    test("a killed VM leaves it to the broker: the will says offline", async t => {
        const m = await broker(t)
        const w = await startWitness(m.url, "fieldlink/devices/vm-kill/status")
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, { broker: m.url, deviceId: "vm-kill" })
        await w.waitFor(x => x.text === "online", 10000)
        const mark = m.mark()
        await b.board.kill()
        const offline = await w.waitFor(x => x.text === "offline", 5000)
        t.is(offline.topic, "fieldlink/devices/vm-kill/status")
        t.false(
            m
                .logLines()
                .slice(mark)
                .some(l => /Received DISCONNECT from fieldlink-vm-kill/.test(l)),
            "no DISCONNECT was sent",
        )
    })

    test("graceful stop: offline from the client, DISCONNECT in the broker log, no will", async t => {
        const m = await broker(t)
        const w = await mqttWitness(m.url, [
            "fieldlink/devices/vm-stop/status",
            "fieldlink/devices/vm-stop/cmd/#",
        ])
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, { broker: m.url, deviceId: "vm-stop" })
        await w.waitFor(x => x.text === "online", 10000)
        const mark = m.mark()
        const c = await connectAsync(m.url)
        await c.publishAsync("fieldlink/devices/vm-stop/cmd/stop", "")
        await c.endAsync()
        await b.waitForLine(/^stopped$/, 5000)
        await m.waitForLog(/Received DISCONNECT from fieldlink-vm-stop/, 5000, mark)
        const offline = await w.waitFor(x => x.topic.endsWith("/status") && x.text === "offline", 5000)
        t.truthy(offline)
        t.false(
            m
                .logLines()
                .slice(mark)
                .some(l =>
                    /Sending PUBLISH .*fieldlink\/devices\/vm-stop\/status.*will|Client fieldlink-vm-stop .*closed its connection/i.test(
                        l,
                    ),
                ),
        )
        // The offline came from the client itself: the broker received it as a PUBLISH.
        t.true(
            m
                .logLines()
                .slice(mark)
                .some(l =>
                    /Received PUBLISH from fieldlink-vm-stop .*'fieldlink\/devices\/vm-stop\/status'/.test(l),
                ),
        )
    })

    test("broker stopped and restarted: backoff, queued samples delivered in order, drops counted", async t => {
        // Persistence and queued QoS 0 let the witness keep its session across the restart,
        // so it sees whatever the board sends the moment the broker is back.
        const dir = mkdtempSync(join(tmpdir(), "fieldlink-outage-"))
        chmodSync(dir, 0o755)
        t.teardown(() => rmSync(dir, { recursive: true, force: true }))
        const m = await broker(t, [
            "persistence true",
            `persistence_location ${dir}/`,
            "queue_qos0_messages true",
        ])
        const received: { seq: number; dropped: number }[] = []
        const witness = await connectAsync(m.url, {
            clientId: "outage-witness",
            clean: false,
            reconnectPeriod: 200,
        })
        t.teardown(() => witness.endAsync(true))
        witness.on("message", (_topic, payload) => {
            const s = JSON.parse(payload.toString())
            received.push({ seq: s.seq, dropped: s.dropped ?? 0 })
        })
        await witness.subscribeAsync("fieldlink/devices/vm-outage/telemetry", { qos: 1 })

        const b = await startTestBoard(t, {
            broker: m.url,
            deviceId: "vm-outage",
            keepAliveSeconds: 2,
            intervalMs: 200,
            queueMax: 5,
        })
        await waitFor(() => received.length >= 3, { timeoutMs: 10000, what: "3 samples before the outage" })
        const lost = b.lines.length
        await m.stop()
        await b.waitForLine(/reconnect in \d+ ms \(attempt 2\)/, 10000, lost)
        // The outage lasts long enough for 5 × 200 ms to overflow the queue of 5 (the
        // sleep sets the outage length; every check below waits on events).
        await new Promise(r => setTimeout(r, 3000))
        await m.restart()
        await b.waitForLine(/^online$/, 40000, lost)
        const onlineAgain = received.length
        await waitFor(() => received.length >= onlineAgain + 5, {
            timeoutMs: 10000,
            what: "queued samples after the restart",
        })

        const seqsSeen = received.map(r => r.seq)
        for (let i = 1; i < seqsSeen.length; i++)
            t.true(seqsSeen[i] > seqsSeen[i - 1], `in order: ${seqsSeen.join(",")}`)
        const gaps = seqsSeen.slice(1).reduce((sum, s, i) => sum + (s - seqsSeen[i] - 1), 0)
        const reported = received.reduce((sum, r) => sum + r.dropped, 0)
        t.true(reported >= 5, `drops reported: ${reported}`)
        t.is(gaps, reported, "every missing seq is accounted for by a reported drop")

        const attempts = b.lines.slice(lost).filter(l => /reconnect in/.test(l))
        const delays = attempts.map(l => Number(/in (\d+) ms/.exec(l)![1]))
        t.log(`backoff delays: ${delays.join(", ")} ms`)
        delays.forEach((d, n) =>
            t.true(d < 500 * 2 ** n, `attempt ${n + 1}: ${d} ms within its jitter window`),
        )
    })

    test("every packet goes out in exactly one socket write", async t => {
        const m = await broker(t)
        const writes: Buffer[] = []
        const recording: SocketConnector = {
            connect(target, events) {
                const socket = netConnector.connect(target, events)
                return { ...socket, write: chunk => (writes.push(Buffer.from(chunk)), socket.write(chunk)) }
            },
        }
        const b = await startTestBoard(t, {
            broker: m.url,
            deviceId: "vm-writes",
            intervalMs: 200,
            keepAliveSeconds: 1,
            socket: recording,
        })
        await b.waitForLine(/^online$/)
        await waitFor(() => writes.length >= 12, { timeoutMs: 10000, what: "12 writes" })
        for (const chunk of writes) {
            const parser = mqttPacket.parser({ protocolVersion: 4 })
            const packets: string[] = []
            parser.on("packet", p => packets.push(p.cmd))
            parser.on("error", e => t.fail(`write is not a valid packet: ${e.message}`))
            parser.parse(chunk)
            t.is(packets.length, 1, `one write, one whole packet: ${chunk.toString("hex")}`)
        }
        const kinds = new Set(writes.map(w => w[0] >> 4))
        t.true(kinds.has(1) && kinds.has(3) && kinds.has(8), "CONNECT, PUBLISH and SUBSCRIBE were among them")
    })

    test("cmd/interval at QoS 1 is acknowledged and changes the telemetry period", async t => {
        const m = await broker(t)
        const proxy = await startProxy({ targetPort: m.port })
        t.teardown(() => proxy.close())
        const w = await mqttWitness(m.url, "fieldlink/devices/vm-cmd/telemetry")
        t.teardown(() => w.stop())
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: "vm-cmd", intervalMs: 2000 })
        await b.waitForLine(/^online$/)
        // Commands sent before the broker granted the subscription would be lost (MQTT).
        await waitFor(() => proxy.seen("down", "suback") >= 1, {
            timeoutMs: 5000,
            what: "SUBACK to the board",
        })
        const c = await connectAsync(m.url)
        t.teardown(() => c.endAsync())
        await c.publishAsync("fieldlink/devices/vm-cmd/cmd/interval", "250", { qos: 1 })
        await b.waitForLine(/^cmd interval: now 250 ms$/, 5000)
        await waitFor(() => proxy.seen("up", "puback") >= 1, {
            timeoutMs: 5000,
            what: "PUBACK from the board",
        })
        const from = w.messages().length
        await w.waitFor(() => true, 5000, from)
        await waitFor(() => w.messages().length >= from + 6, {
            timeoutMs: 5000,
            what: "samples at the new interval",
        })
        const at = w
            .messages()
            .slice(from + 1, from + 6)
            .map(x => x.at)
        const span = at[4] - at[0]
        t.true(span >= 750 && span <= 1600, `4 intervals took ${span} ms at 250 ms`)

        await c.publishAsync("fieldlink/devices/vm-cmd/cmd/interval", "5 s", { qos: 1 })
        const rejected = await b.waitForLine(/^cmd interval: rejected/, 5000)
        t.regex(rejected, /"5 s", expected whole ms from 100 to 86400000/)
    })

    test("a CONNACK refusal is logged with its meaning, and the client backs off", async t => {
        const m = await broker(t, ["allow_anonymous false"])
        const b = await startTestBoard(t, { broker: m.url, deviceId: "vm-refused" })
        const refused = await b.waitForLine(/broker refused connection/, 10000)
        t.regex(refused, /not authori[sz]ed/)
        await b.waitForLine(/reconnect in \d+ ms \(attempt 2\)/, 10000)
        t.false(b.lines.includes("online"))
    })

    test("boards do not reconnect in lockstep: each draws its own jitter", async t => {
        const closedPort = await freePort()
        const boards = await Promise.all(
            ["vm-j1", "vm-j2", "vm-j3"].map(deviceId =>
                startTestBoard(t, { broker: `mqtt://127.0.0.1:${closedPort}`, deviceId }),
            ),
        )
        const delays = await Promise.all(
            boards.map(async b => {
                await b.waitForLine(/reconnect in \d+ ms \(attempt 3\)/, 15000)
                return b.lines
                    .filter(l => /reconnect in/.test(l))
                    .slice(0, 3)
                    .map(l => /in (\d+) ms/.exec(l)![1])
                    .join(",")
            }),
        )
        t.log(delays.join(" | "))
        t.is(new Set(delays).size, 3, `three different delay sequences: ${delays.join(" | ")}`)
    })
}
