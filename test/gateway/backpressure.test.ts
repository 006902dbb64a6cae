// A device that writes faster than its broker takes (issue 10, the hot path): with the
// broker up, its queue must not fill and drop its oldest lines; the port waits instead.
// The send window: a far broker's round trip carries up to SEND_WINDOW messages, at most
// SEND_WINDOW_BYTES of them (one is always let go), and no more than the broker said it
// takes (MQTT 5 Receive Maximum). The broker is made far by a proxy that holds each of
// its packets on the way back (a round trip carries at most one send window).
import test, { type ExecutionContext } from "ava"
import mqtt, { type IConnackPacket } from "mqtt"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startProxy, type PacketFilter } from "../support/proxy.js"
import type { FramedPacket } from "../support/mqtt-framer.js"
import { socatAvailable, startDevice } from "../support/pty.js"
import { waitFor } from "../support/wait.js"
import { mqttWitness, witnessAvailable } from "../support/witness.js"
import { SEND_WINDOW, SEND_WINDOW_BYTES } from "../../gateway/device/uplink.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway backpressure tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

const LINES = 8000
const QUEUE_MAX = 2000

/** A counter of device "fast" in the gateway's /metrics (NaN when the series is not there). */
async function metric(port: number, name: string): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    const line = text.split("\n").find(l => l.startsWith(`${name}{`) && l.includes('device="fast"'))
    return line ? Number(line.split(" ").at(-1)) : NaN
}

/**
 * QoS 1 PUBLISHes awaiting their PUBACK, counted where the broker sees them (PUBLISHes
 * in, PUBACKs out): the most at once, as messages and as bytes on the wire.
 */
function inFlightAtBroker() {
    const awaiting = new Map<number, number>() // packet id → the PUBLISH's bytes
    let bytes = 0
    const most = { messages: 0, bytes: 0 }
    // Read by hand, not with protocol/mqtt's parser (MQTT 3.1.1 only): in MQTT 5 too the
    // packet id comes right after the topic (PUBLISH) or the fixed header (PUBACK), before
    // any properties or reason code.
    const packetId = (p: FramedPacket): number => {
        if (p.name === "puback") return p.bytes.readUInt16BE(2)
        let at = 1 // past the fixed header's first byte, then its Remaining Length (1-4 bytes)
        while (p.bytes[at] & 0x80) at++
        at += 1
        return p.bytes.readUInt16BE(at + 2 + p.bytes.readUInt16BE(at))
    }
    const up: PacketFilter = p => {
        if (p.name === "publish" && (p.flags & 0x06) === 0x02) {
            awaiting.set(packetId(p), p.bytes.length)
            bytes += p.bytes.length
            most.messages = Math.max(most.messages, awaiting.size)
            most.bytes = Math.max(most.bytes, bytes)
        }
        return "pass"
    }
    const down: PacketFilter = p => {
        if (p.name === "puback") {
            const id = packetId(p)
            bytes -= awaiting.get(id) ?? 0
            awaiting.delete(id)
        }
        return "pass"
    }
    return { up, down, most }
}

/** The `seq`s of device "fast"'s telemetry the witness saw, in arrival order. */
function telemetrySeqs(witness: { messages(): { topic: string; text: string }[] }): number[] {
    return witness
        .messages()
        .filter(m => m.topic === "fieldlink/devices/fast/telemetry")
        .map(m => JSON.parse(m.text).seq as number)
}

/** ~60 bytes, like a real sample. */
function sample(seq: number): string {
    return `{"seq":${seq},"temperature_c":21.5,"humidity_pct":40.25,"ok":1}\n`
}

/**
 * mosquitto behind a proxy that holds its packets 50 ms, a device "fast" that has said
 * hello, a witness of its topics at the broker, and the gateway with `broker` settings
 * and `extra` config added.
 */
async function slowBrokerRig(
    t: ExecutionContext,
    options: {
        broker?: object
        port?: object
        extra?: Record<string, unknown>
        up?: PacketFilter
        down?: PacketFilter
        /** How long the proxy holds each packet on its way back. */
        delayMs?: number
    },
) {
    const broker = await startMosquitto({ extraConfig: ["max_queued_messages 0"] })
    t.teardown(() => broker.stop())
    const proxy = await startProxy({
        targetPort: broker.port,
        delayMs: { down: options.delayMs ?? 50 },
        filterUpstream: options.up,
        filterDownstream: options.down,
    })
    t.teardown(() => proxy.close())
    const dir = tempDir(t)
    const device = await startDevice(dir, "fast")
    t.teardown(() => device.stop())
    const witness = await mqttWitness(broker.url, "fieldlink/devices/fast/#", { qos: 1 })
    t.teardown(() => witness.stop())
    const config = await testConfig(dir, proxy.url, [{ path: device.path, ...options.port }], options.extra)
    const gw = startGateway(
        t,
        writeConfig(dir, { ...config, broker: { ...(config.broker as object), ...options.broker } }),
    )
    await gw.waitForPorts(1)
    await device.write("hello id=fast\n")
    await device.waitForLine(l => l === "ok hello", 20000)
    return { broker, device, witness, gw }
}

brokerTest("a device faster than its broker: the port waits, nothing is dropped, order holds", async t => {
    const { device, witness, gw } = await slowBrokerRig(t, {
        extra: { queue: { maxMessages: QUEUE_MAX }, log: { level: "info", format: "json" } },
    })

    // Four times the queue's bound at once; the far broker takes one window (SEND_WINDOW) per 50 ms.
    let burst = ""
    for (let seq = 1; seq <= LINES; seq++) burst += sample(seq)
    await device.write(burst)
    await waitFor(() => new Set(telemetrySeqs(witness)).size >= LINES, {
        what: `all ${LINES} lines at the broker`,
        // Within the device's silence bound (45 s), so its metric series are still there.
        timeoutMs: 30000,
        intervalMs: 200,
    }).catch(() => undefined)
    const seqs = telemetrySeqs(witness)
    const http = gw.httpPort!
    t.true(
        Number.isFinite(await metric(http, "fieldlink_gateway_published_total")),
        "the device's series are there (it was not retired meanwhile)",
    )
    t.is(
        (await metric(http, "fieldlink_gateway_queue_dropped_total")) || 0,
        0,
        "no line dropped by the queue's bound",
    )
    t.is(new Set(seqs).size, LINES, `${LINES - new Set(seqs).size} of ${LINES} lines missing`)
    t.deepEqual(
        seqs.filter((s, i) => i > 0 && s < seqs[i - 1]),
        [],
        "in order (a resent tail would repeat, never go back)",
    )
    t.true(
        (await metric(http, "fieldlink_gateway_queue_backpressure_total")) >= 1,
        "the port was held back at least once",
    )
    t.is(
        gw.logs().filter(l => /slower than it sends them/.test(l.msg)).length,
        1,
        "said once (then at most once a minute), not once per hold",
    )
    t.false(
        gw.logs().some(l => /device offline/.test(l.msg)),
        "a held port is not a silent device",
    )
})

brokerTest(
    "MQTT 5: no more PUBLISHes await their PUBACK than the broker's Receive Maximum (mosquitto: 20)",
    async t => {
        const inFlight = inFlightAtBroker()
        const { broker, device, witness } = await slowBrokerRig(t, {
            broker: { protocolVersion: 5 },
            up: inFlight.up,
            down: inFlight.down,
        })
        let burst = ""
        for (let seq = 1; seq <= 1000; seq++) burst += `{"seq":${seq}}\n`
        await device.write(burst)
        await witness.waitFor(m => m.topic.endsWith("/telemetry") && JSON.parse(m.text).seq === 1000, 30000)
        // What this mosquitto tells an MQTT 5 client (its max_inflight_messages, 20 by default).
        const probe = mqtt.connect(broker.url, { protocolVersion: 5, reconnectPeriod: 0 })
        const connack = await new Promise<IConnackPacket>(resolve => probe.once("connect", resolve))
        await probe.endAsync()
        t.is(connack.properties?.receiveMaximum, 20)
        const { messages } = inFlight.most
        t.true(messages <= 20, `${messages} PUBLISHes awaited their PUBACK at once`)
        t.true(messages >= 15, `the window is used, not starved (${messages} at most)`)
    },
)

brokerTest("a far broker (500 ms): a round trip carries a whole send window of small messages", async t => {
    const inFlight = inFlightAtBroker()
    const { device, witness } = await slowBrokerRig(t, { up: inFlight.up, down: inFlight.down, delayMs: 500 })
    let burst = ""
    for (let seq = 1; seq <= 3 * SEND_WINDOW; seq++) burst += sample(seq)
    await device.write(burst)
    await witness.waitFor(
        m => m.topic.endsWith("/telemetry") && JSON.parse(m.text).seq === 3 * SEND_WINDOW,
        30000,
    )
    t.is(new Set(telemetrySeqs(witness)).size, 3 * SEND_WINDOW, "every line delivered")
    const { messages } = inFlight.most
    // Up to 2 more: the device's own retained `online` and `info` may still await theirs.
    t.true(messages >= SEND_WINDOW, `the window is filled (${messages} at most)`)
    t.true(messages <= SEND_WINDOW + 2, `${messages} PUBLISHes awaited their PUBACK at once`)
})

brokerTest("large lines: at most SEND_WINDOW_BYTES (and one message more) await their PUBACK", async t => {
    const LINE_BYTES = 50_000
    const COUNT = 30 // 1.5 MB: under half the queue's default 4 MiB, so the port is never held
    const inFlight = inFlightAtBroker()
    const { device, witness } = await slowBrokerRig(t, {
        up: inFlight.up,
        down: inFlight.down,
        // Long enough for the gateway to read past the byte window before a PUBACK comes
        // back, even on a busy machine (the lines reach it through a pseudo-terminal).
        delayMs: 1000,
        port: { maxLineBytes: 65536 },
    })
    let burst = ""
    for (let seq = 1; seq <= COUNT; seq++) {
        const head = `{"seq":${seq},"pad":"`
        burst += `${head}${"x".repeat(LINE_BYTES - head.length - 2)}"}\n`
    }
    await device.write(burst)
    await witness.waitFor(m => m.topic.endsWith("/telemetry") && JSON.parse(m.text).seq === COUNT, 30000)
    t.is(new Set(telemetrySeqs(witness)).size, COUNT, "every line delivered")
    const { messages, bytes } = inFlight.most
    // A window's worth of payload and topic, one message more, their packets' headers and
    // the device's own `online` and `info`.
    t.true(bytes <= SEND_WINDOW_BYTES + LINE_BYTES + 2_000, `${bytes} bytes awaited their PUBACK at once`)
    t.true(
        bytes >= SEND_WINDOW_BYTES,
        `the byte window is used (${bytes} bytes, ${messages} messages at most)`,
    )
})
