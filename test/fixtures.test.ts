// Self-tests of the real-parts fixtures in test/support and of the embedded broker:
// every other integration test stands on these.
import test, { type ExecutionContext } from "ava"
import { execFile, spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { promisify } from "node:util"
import mqtt, { type IClientOptions, type MqttClient } from "mqtt"
import { generate } from "mqtt-packet"
import { startEmbeddedBroker } from "../sim/broker/embedded.js"
import { findBinary, requireBinaries } from "./support/binaries.js"
import { tieToParent } from "./support/cleanup.js"
import { LINE_COUNTER, startHelper } from "./support/helper-process.js"
import type { CountReply, CountRequest, RunCount } from "./support/line-counter.js"
import { startMosquitto, mosquittoAvailable } from "./support/mosquitto.js"
import { MqttFramer, readFixedHeader } from "./support/mqtt-framer.js"
import { startProxy } from "./support/proxy.js"
import { freePort, once, waitFor, withTimeout } from "./support/wait.js"
import { mqttWitness, startWitness, witnessAvailable } from "./support/witness.js"

const execFileAsync = promisify(execFile)

// On CI a missing program throws here and fails the file: CI runs these tests, never skips.
const mosquitto = mosquittoAvailable()
const clients = witnessAvailable()
const brokerTest = mosquitto.ok && clients.ok ? test : test.skip
if (!mosquitto.ok || !clients.ok) {
    test("mosquitto tests are skipped on this machine", t => {
        t.log([mosquitto, clients].flatMap(a => (a.ok ? [] : [a.reason])).join("\n"))
        t.pass()
    })
}

async function connect(t: ExecutionContext, url: string, options: IClientOptions = {}): Promise<MqttClient> {
    const client = await mqtt.connectAsync(
        url,
        { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...options },
        false,
    )
    t.teardown(() => client.endAsync(true))
    return client
}

/** Pids of processes whose command line contains `pattern`. */
async function pgrep(pattern: string): Promise<string[]> {
    try {
        const { stdout } = await execFileAsync("pgrep", ["-f", "--", pattern])
        return stdout.split("\n").filter(Boolean)
    } catch (err) {
        if ((err as { code?: number }).code === 1) return []
        throw err
    }
}

const STATUS = "fieldlink/devices/+/status"
const will = (id: string) => ({
    topic: `fieldlink/devices/${id}/status`,
    payload: Buffer.from("offline"),
    qos: 1 as const,
    retain: true,
})

// --- wait.ts ---------------------------------------------------------------------------

test("waitFor resolves with the first truthy value and names what it waited for on timeout", async t => {
    let calls = 0
    t.is(await waitFor(() => ++calls >= 3 && "ready", { what: "three calls", intervalMs: 1 }), "ready")
    await t.throwsAsync(
        waitFor(() => 0, { what: "the client to reconnect", timeoutMs: 30 }),
        {
            message: /^Timed out after 30 ms waiting for the client to reconnect; last observed: 0$/,
        },
    )
    await t.throwsAsync(
        waitFor(
            () => {
                throw new Error("not yet")
            },
            { what: "a throwing probe", timeoutMs: 30 },
        ),
        { message: /last observed: Error: not yet/ },
    )
})

test("once resolves with the event's arguments, rejects on error and on its deadline", async t => {
    const socket = new net.Socket()
    const got = once(socket, "custom", 1000)
    socket.emit("custom", 1, "two")
    t.deepEqual(await got, [1, "two"])
    const failing = once(socket, "custom", 1000)
    socket.emit("error", new Error("boom"))
    await t.throwsAsync(failing, { message: "boom" })
    await t.throwsAsync(once(socket, "never", 20), {
        message: 'Timed out after 20 ms waiting for event "never"',
    })
    await t.throwsAsync(withTimeout(new Promise(() => {}), 20, "nothing"), {
        message: "Timed out after 20 ms waiting for nothing",
    })
})

test("freePort gives a port that can be listened on", async t => {
    const port = await freePort()
    const server = net.createServer()
    await new Promise<void>(resolve => server.listen(port, "127.0.0.1", resolve))
    t.is((server.address() as net.AddressInfo).port, port)
    await new Promise(resolve => server.close(resolve))
})

test("a missing program skips outside CI and throws on CI", t => {
    const saved = process.env.CI
    try {
        delete process.env.CI
        const result = requireBinaries(["fieldlink-no-such-program"], "no-such-package")
        t.false(result.ok)
        if (!result.ok)
            t.regex(result.reason, /fieldlink-no-such-program not found .*apt-get install no-such-package/)
        process.env.CI = "true"
        t.throws(() => requireBinaries(["fieldlink-no-such-program"], "no-such-package"), {
            message: /^CI must run the broker tests/,
        })
    } finally {
        if (saved === undefined) delete process.env.CI
        else process.env.CI = saved
    }
})

// --- mqtt-framer.ts ----------------------------------------------------------------------

test("the framer splits packets at any chunk boundary and keeps their bytes", t => {
    const publish = generate({
        cmd: "publish",
        topic: "a/b",
        payload: Buffer.alloc(20_000, 7),
        qos: 0,
        retain: true,
        dup: false,
    })
    t.deepEqual(readFixedHeader(publish), { headerLength: 4, remainingLength: publish.length - 4 }) // 3-byte Remaining Length
    const stream = Buffer.concat([
        Buffer.from([0xc0, 0x00]), // PINGREQ: type 12, Remaining Length 0
        publish,
        Buffer.from([0xd0, 0x00]), // PINGRESP
        Buffer.from([0xe0, 0x00]), // DISCONNECT
    ])
    for (const size of [1, 3, 4096, stream.length]) {
        const framer = new MqttFramer()
        const packets = []
        for (let i = 0; i < stream.length; i += size)
            packets.push(...framer.push(stream.subarray(i, i + size)))
        t.deepEqual(
            packets.map(p => p.name),
            ["pingreq", "publish", "pingresp", "disconnect"],
        )
        t.is(packets[1].flags, 0b0001) // RETAIN
        t.true(packets[1].bytes.equals(publish))
        t.is(framer.pendingBytes, 0)
    }
    t.is(readFixedHeader(Buffer.from([0x30, 0x80])), undefined) // length continues in a byte not yet received
    t.throws(() => new MqttFramer().push(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01])), {
        message: /^Invalid variable byte integer/,
    })
})

// --- mosquitto.ts and witness.ts ---------------------------------------------------------

brokerTest(
    "mosquitto starts on a free port and both witnesses see a retained message with its retain flag",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        t.regex(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/)
        const device = await connect(t, broker.url, { clientId: "dev1", keepalive: 7 })
        t.log(await broker.waitForLog(/New client connected from 127\.0\.0\.1:\d+ as dev1 \(p2, c1, k7\)\./))
        await device.publishAsync("fieldlink/devices/dev1/status", "online", { qos: 1, retain: true })

        const witnesses = [await startWitness(broker.url, STATUS), await mqttWitness(broker.url, STATUS)]
        t.teardown(() => Promise.all(witnesses.map(w => w.stop())))
        for (const witness of witnesses) {
            const stored = await witness.waitFor(m => m.topic === "fieldlink/devices/dev1/status")
            t.like(stored, { text: "online", retain: true, qos: 0 }, witness.kind)
        }
        // Delivered live to a subscriber that is already there, a retained PUBLISH has RETAIN 0.
        const payload = "off\nline with spaces"
        await device.publishAsync("fieldlink/devices/dev1/status", payload, { qos: 1, retain: true })
        for (const witness of witnesses) {
            t.like(await witness.waitFor(m => m.text === payload), { retain: false }, witness.kind)
            t.deepEqual(
                witness.messages().map(m => m.text),
                ["online", payload],
                `${witness.kind} saw no readiness probe`,
            )
        }
    },
)

brokerTest("two mosquittos start in parallel on different ports and stop without leftovers", async t => {
    const brokers = await Promise.all([startMosquitto(), startMosquitto()])
    t.teardown(() => Promise.all(brokers.map(b => b.stop())))
    const [a, b] = brokers
    t.not(a.port, b.port)
    t.not(a.configPath, b.configPath)
    await Promise.all(brokers.map(broker => connect(t, broker.url)))
    const pids = brokers.map(broker => broker.pid)
    t.deepEqual(await pgrep(a.configPath), [String(pids[0])])

    await Promise.all(brokers.map(broker => broker.stop()))
    t.deepEqual([await pgrep(a.configPath), await pgrep(b.configPath)], [[], []])
    t.deepEqual(
        brokers.map(broker => broker.pid),
        [undefined, undefined],
    )
    t.regex(a.logLines().at(-1) ?? "", /mosquitto version \S+ terminating/)
    for (const pid of pids) {
        await waitFor(async () => (await pgrep(`fieldlink-watchdog ${pid}$`)).length === 0, {
            what: `the watchdog of ${pid} to end`,
        })
    }
})

brokerTest("restart keeps the port, after a stop and after a crash, and clients reconnect", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const port = broker.port
    const client = await connect(t, broker.url, { clientId: "returner", reconnectPeriod: 100 })
    let connects = 0
    client.on("connect", () => connects++)
    const witness = await startWitness(broker.url, "restart/#")
    t.teardown(() => witness.stop())

    await broker.restart() // SIGTERM, then start
    t.is(broker.port, port)
    await waitFor(() => connects >= 1, { what: "the client to reconnect after restart()", timeoutMs: 5000 })

    await broker.kill() // SIGKILL: a crash
    t.is(broker.pid, undefined)
    await broker.restart()
    t.is(broker.port, port)
    await waitFor(() => connects >= 2, {
        what: "the client to reconnect after kill() and restart()",
        timeoutMs: 5000,
    })
    // mosquitto_sub reconnects by itself (1 s delay) and subscribes again.
    await waitFor(
        async () => {
            await client.publishAsync("restart/after", "again")
            return witness.messages().some(m => m.topic === "restart/after")
        },
        { what: "the witness to see a message after the crash", timeoutMs: 8000, intervalMs: 200 },
    )
    t.is(broker.logLines().filter(line => /mosquitto version \S+ running/.test(line)).length, 3)
})

brokerTest(
    "the line counter counts each run's distinct seqs, repeats and gaps, and keeps its session across a broker restart",
    async t => {
        const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-counter-"))
        t.teardown(() => rmSync(dir, { recursive: true, force: true }))
        // As the soak's broker: sessions and their queued messages survive a restart.
        const broker = await startMosquitto({
            extraConfig: [
                "persistence true",
                `persistence_location ${dir}${path.sep}`,
                "max_inflight_messages 0",
            ],
        })
        t.teardown(() => broker.stop())
        const startCounter = async () => {
            const counter = startHelper<CountRequest, CountReply>(LINE_COUNTER, [
                String(broker.port),
                "counter",
            ])
            t.teardown(() => counter.stop())
            t.deepEqual(await counter.first, { kind: "ready" })
            return counter
        }
        const countedOnce = (
            counter: Awaited<ReturnType<typeof startCounter>>,
            run: string,
            enough: (c: RunCount) => boolean,
        ) =>
            waitFor(
                async () => {
                    const reply = await counter.ask({ kind: "count", run })
                    return reply.kind === "count" && enough(reply.count) ? reply.count : undefined
                },
                { what: `the counter to receive run ${run}`, timeoutMs: 15000 },
            )
        const device = await connect(t, broker.url, { reconnectPeriod: 100 })
        const send = async (run: string, seqs: number[]) => {
            for (const seq of seqs)
                await device.publishAsync(
                    "fieldlink/devices/d1/telemetry",
                    JSON.stringify({ run, seq, t: performance.timeOrigin + performance.now(), v: 21.5 }),
                    { qos: 1 },
                )
        }
        const seqs = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

        const first = await startCounter()
        await send("a", [1, 2, 3, 3, 5]) // 3 repeated, 4 missing
        await device.publishAsync("fieldlink/devices/d1/telemetry", "not a line of the load", { qos: 1 })
        const a = await countedOnce(first, "a", c => c.received >= 5)
        t.like(a, { received: 5, distinct: 4, max: 5, skips: 1 })
        t.true(a.p50 >= 0 && a.p99 < 5000, `latencies ${a.p50} / ${a.p99} ms`)
        await first.stop()

        // Sent while no counter is there, kept through a broker restart by its session.
        await send("b", seqs(100))
        await broker.restart()
        const second = await startCounter()
        t.like(await countedOnce(second, "b", c => c.distinct >= 100), { distinct: 100, max: 100, skips: 0 })
        t.like(
            await countedOnce(second, "a", () => true),
            { received: 0 },
            "the first counter acknowledged run a",
        )

        // A restart under a running counter: it connects again by itself.
        await broker.restart()
        await waitFor(() => device.connected, { what: "the device to reconnect", timeoutMs: 10000 })
        await send("c", seqs(50))
        t.like(await countedOnce(second, "c", c => c.distinct >= 50), { distinct: 50, skips: 0 })
    },
)

brokerTest("a failed start-up or a taken port ends in an error that carries the log", async t => {
    await t.throwsAsync(startMosquitto({ extraConfig: ["no_such_option true"] }), {
        message: /exited during start-up; its log:\n(.|\n)*no_such_option/,
    })
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    await broker.stop()
    const squatter = net.createServer()
    await new Promise<void>(resolve => squatter.listen(broker.port, "127.0.0.1", resolve))
    await t.throwsAsync(broker.restart(), {
        message: `mosquitto (${broker.configPath}) could not listen on 127.0.0.1:${broker.port}: address already in use`,
    })
    await new Promise(resolve => squatter.close(resolve))
    await broker.restart()
    await connect(t, broker.url)
})

brokerTest("a mosquitto dies with the test process that started it, even when that is SIGKILLed", async t => {
    const support = new URL("./support/mosquitto.ts", import.meta.url).href
    const script = `import { startMosquitto } from ${JSON.stringify(support)};
const broker = await startMosquitto();
console.log(broker.configPath);
setInterval(() => {}, 1000);`
    const child = spawn(
        process.execPath,
        ["--import", "tsx", "--conditions=source", "--input-type=module", "-e", script],
        {
            stdio: ["ignore", "pipe", "inherit"],
        },
    )
    tieToParent(child)
    const [line] = (await once(child.stdout, "data", 20_000)) as [Buffer]
    const configPath = line.toString().trim()
    t.is((await pgrep(configPath)).length, 1)
    child.kill("SIGKILL")
    await waitFor(async () => (await pgrep(configPath)).length === 0, {
        what: "the orphaned mosquitto to be killed",
        timeoutMs: 5000,
    })
    rmSync(path.dirname(configPath), { recursive: true, force: true })
})

brokerTest("mosquitto listens with TLS when given a certificate", async t => {
    const openssl = findBinary("openssl")
    if (openssl === undefined) return t.pass("openssl is not installed; nothing to test with")
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-tls-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const certFile = path.join(dir, "cert.pem")
    const keyFile = path.join(dir, "key.pem")
    await execFileAsync(openssl, [
        ...[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
        ],
        ...[
            "-keyout",
            keyFile,
            "-out",
            certFile,
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
    ])
    const broker = await startMosquitto({ tls: { certFile, keyFile } })
    t.teardown(() => broker.stop())
    t.regex(broker.tlsUrl ?? "", /^mqtts:\/\/127\.0\.0\.1:\d+$/)
    t.not(broker.tlsPort, broker.port)
    const witnesses = [
        await startWitness(broker.tlsUrl!, "tls/#", { caFile: certFile }),
        await mqttWitness(broker.tlsUrl!, "tls/#", { caFile: certFile }),
    ]
    t.teardown(() => Promise.all(witnesses.map(w => w.stop())))
    const publisher = await connect(t, broker.url)
    await publisher.publishAsync("tls/x", "secret", { qos: 1 })
    for (const witness of witnesses)
        t.is((await witness.waitFor(m => m.topic === "tls/x")).text, "secret", witness.kind)
})

brokerTest(
    "mosquitto fires the will of a silent client: 1.5 × keep-alive, checked only every few seconds",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const witness = await startWitness(broker.url, STATUS)
        t.teardown(() => witness.stop())
        // A raw client: CONNECT with keep-alive 2 s, then silence (no PINGREQ ever). An even
        // keep-alive: mosquitto computes 1.5 × k in whole seconds (k * 3 / 2), so with k = 1
        // its will can come barely 1 s after the last packet.
        const socket = net.connect(broker.port, "127.0.0.1")
        t.teardown(() => socket.destroy())
        socket.on("error", () => {})
        socket.write(
            generate({
                cmd: "connect",
                protocolId: "MQTT",
                protocolVersion: 4,
                clean: true,
                clientId: "mute",
                keepalive: 2,
                will: will("mute"),
            }),
        )
        await once(socket, "data", 5000) // CONNACK
        const connackAt = Date.now()
        const offline = await witness.waitFor(m => m.topic === "fieldlink/devices/mute/status", 12_000)
        // mosquitto 2.0 sweeps keep-alives about every 5-6 s, so the will comes after
        // max(1.5 × keep-alive, the next sweep): tests on silence allow 1.5 × k + 7 s.
        t.log(`will after ${offline.at - connackAt} ms of silence`)
        t.true(offline.at - connackAt >= 2950 && offline.at - connackAt < 3000 + 7000)
        t.log(await broker.waitForLog(/Client mute has exceeded timeout, disconnecting\./))
    },
)

// --- proxy.ts ----------------------------------------------------------------------------

brokerTest("the proxy forwards both ways unchanged and counts PINGREQ and PINGRESP", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const proxy = await startProxy({ targetPort: broker.port })
    t.teardown(() => proxy.close())
    const witness = await mqttWitness(broker.url, "big/#")
    t.teardown(() => witness.stop())
    const client = await connect(t, proxy.url, { clientId: "pinger", keepalive: 1 })
    t.log(await broker.waitForLog(/as pinger \(p2, c1, k1\)/))

    await waitFor(() => proxy.seen("up", "pingreq") >= 2 && proxy.seen("down", "pingresp") >= 2, {
        what: "two PINGREQ/PINGRESP exchanges through the proxy",
        timeoutMs: 6000,
    })
    t.log(await broker.waitForLog(/Received PINGREQ from pinger/))
    const payload = Buffer.alloc(200_000, 0x5a)
    payload.write("first and last bytes survive")
    await client.publishAsync("big/one", payload, { qos: 1 })
    t.true((await witness.waitFor(m => m.topic === "big/one")).payload.equals(payload))

    await client.endAsync()
    t.log(await broker.waitForLog(/Received DISCONNECT from pinger/))
    t.like(proxy.counts().seen, {
        up: { connect: 1, publish: 1, disconnect: 1 },
        down: { connack: 1, puback: 1 },
    })
    t.is(proxy.connections(), 1)
    await waitFor(() => proxy.liveConnections() === 0, { what: "the proxied connection to close" })
    t.deepEqual(proxy.errors(), [])
})

brokerTest(
    "with PINGRESP swallowed, the mqtt.js client closes its connection after its keep-alive timeout",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const proxy = await startProxy({
            targetPort: broker.port,
            filterDownstream: p => (p.name === "pingresp" ? "drop" : "pass"),
        })
        t.teardown(() => proxy.close())
        const client = await connect(t, proxy.url, { clientId: "deaf", keepalive: 1 })
        const connectedAt = Date.now()
        let closedAt: number | undefined
        client.on("close", () => (closedAt ??= Date.now()))
        const [error] = (await once(client, "error", 6000)) as [Error]
        t.is(error.message, "Keepalive timeout")
        const closed = await waitFor(() => closedAt, {
            what: "the client to close its connection",
            timeoutMs: 2000,
        })
        t.log(`closed ${closed - connectedAt} ms after CONNACK`)
        t.true(closed - connectedAt >= 1000 && closed - connectedAt < 4000)
        t.true(proxy.dropped("down", "pingresp") >= 1)
        t.log(await broker.waitForLog(/Client deaf closed its connection\./))
        await waitFor(() => proxy.liveConnections() === 0, { what: "the proxied connection to close" })
    },
)

brokerTest("cut() resets the connection: the broker fires the will and the client reconnects", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const witness = await startWitness(broker.url, STATUS)
    t.teardown(() => witness.stop())
    const proxy = await startProxy({ targetPort: broker.port })
    t.teardown(() => proxy.close())
    const client = await connect(t, proxy.url, {
        clientId: "cutme",
        keepalive: 30,
        reconnectPeriod: 200,
        will: will("cutme"),
    })
    t.log(await broker.waitForLog(/Will message specified \(7 bytes\) \(r1, q1\)\./))
    await client.publishAsync("fieldlink/devices/cutme/status", "online", { qos: 1, retain: true })
    await witness.waitFor(m => m.text === "online")

    const mark = broker.mark()
    proxy.cut()
    t.like(await witness.waitFor(m => m.text === "offline"), {
        topic: "fieldlink/devices/cutme/status",
        retain: false,
    })
    t.log(await broker.waitForLog(/Client cutme /, 5000, mark))
    await waitFor(() => proxy.connections() === 2 && proxy.liveConnections() === 1, {
        what: "the client to reconnect",
    })
})

brokerTest("blackhole() holds the connection open but forwards nothing until lifted", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const witness = await mqttWitness(broker.url, "bh/#")
    t.teardown(() => witness.stop())
    const proxy = await startProxy({ targetPort: broker.port })
    t.teardown(() => proxy.close())
    const client = await connect(t, proxy.url, { clientId: "bh", keepalive: 60 })
    proxy.blackhole(true)
    client.publish("bh/x", "lost")
    await waitFor(() => proxy.dropped("up", "publish") === 1, { what: "the proxy to swallow the PUBLISH" })
    proxy.blackhole(false)
    await client.publishAsync("bh/x", "delivered", { qos: 1 })
    await witness.waitFor(m => m.text === "delivered")
    t.deepEqual(
        witness.messages().map(m => m.text),
        ["delivered"],
    )
    t.deepEqual([proxy.connections(), proxy.liveConnections()], [1, 1])
})

// --- sim/broker/embedded.ts ---------------------------------------------------------------

test("the embedded broker delivers a will when a client's socket is destroyed, and retains it", async t => {
    const broker = await startEmbeddedBroker()
    t.teardown(() => broker.close())
    t.regex(broker.url, /^mqtt:\/\/127\.0\.0\.1:\d+$/)
    const witness = await mqttWitness(broker.url, STATUS)
    t.teardown(() => witness.stop())
    const device = await connect(t, broker.url, { clientId: "emb1", will: will("emb1") })
    await device.publishAsync("fieldlink/devices/emb1/status", "online", { qos: 1, retain: true })
    await witness.waitFor(m => m.text === "online")
    device.stream.destroy()
    t.like(await witness.waitFor(m => m.text === "offline"), {
        topic: "fieldlink/devices/emb1/status",
        retain: false,
    })
    const late = await mqttWitness(broker.url, STATUS)
    t.teardown(() => late.stop())
    t.like(await late.waitFor(() => true), {
        topic: "fieldlink/devices/emb1/status",
        text: "offline",
        retain: true,
    })
})

test("the embedded broker fires the will of a client silent for 1.5 × keep-alive", async t => {
    const broker = await startEmbeddedBroker()
    t.teardown(() => broker.close())
    const witness = await mqttWitness(broker.url, STATUS)
    t.teardown(() => witness.stop())
    // A raw client: CONNECT with keep-alive 1 s, then silence (no PINGREQ ever).
    const socket = net.connect(broker.port, "127.0.0.1")
    t.teardown(() => socket.destroy())
    socket.write(
        generate({
            cmd: "connect",
            protocolId: "MQTT",
            protocolVersion: 4,
            clean: true,
            clientId: "mute",
            keepalive: 1,
            will: will("mute"),
        }),
    )
    const [connack] = (await once(socket, "data", 5000)) as [Buffer]
    t.deepEqual([...connack], [0x20, 0x02, 0x00, 0x00])
    const connackAt = Date.now()
    const offline = await witness.waitFor(m => m.topic === "fieldlink/devices/mute/status", 5000)
    t.log(`will after ${offline.at - connackAt} ms of silence`)
    // 1.5 s is the rule. aedes times it from its own clock and was seen firing at 1358 ms
    // (measured from our CONNACK receipt), so the lower bound only proves it waited past
    // one keep-alive; the upper bound leaves room for a loaded CI machine's event loop.
    t.true(offline.at - connackAt >= 1000 && offline.at - connackAt < 6000, `${offline.at - connackAt} ms`)
    t.is(offline.text, "offline")
    await waitFor(() => socket.destroyed || socket.readableEnded, {
        what: "the broker to close the silent socket",
    })
})

test("the embedded broker closes promptly and frees its port, and names a port in use", async t => {
    const broker = await startEmbeddedBroker()
    const idle = net.connect(broker.port, "127.0.0.1") // never sends CONNECT
    idle.on("error", () => {})
    await once(idle, "connect")
    await connect(t, broker.url)
    await t.throwsAsync(startEmbeddedBroker({ port: broker.port }), {
        message: /could not listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*pass port 0/,
    })
    await withTimeout(broker.close(), 3000, "the embedded broker to close")
    await withTimeout(broker.close(), 100, "a second close() to be a no-op")
    const again = await startEmbeddedBroker({ port: broker.port })
    t.is(again.port, broker.port)
    await again.close()
})
