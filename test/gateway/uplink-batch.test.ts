// The lines of one serial read leave in one socket write, and while many await their
// PUBACK new ones leave with the refill PUBACKs bring (issue 10, the hot path): a device
// uplink against a real mosquitto (behind a proxy that delays its answers, where the
// test needs a far broker), the writes counted on the real socket.
import test, { type ExecutionContext } from "ava"
import { mkdtempSync, rmSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { configFromObject } from "../../gateway/config/load.js"
import { ACK_CLOCKED_FROM, DeviceUplink } from "../../gateway/device/uplink.js"
import { createGatewayMetrics } from "../../gateway/obs/gateway-metrics.js"
import { createLogger } from "../../gateway/obs/logger.js"
import { QueueStore } from "../../gateway/queue/store.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { startProxy } from "../support/proxy.js"
import { waitFor } from "../support/wait.js"
import { mqttWitness, witnessAvailable } from "../support/witness.js"

/** PUBLISH, QoS 1, RETAIN 0: the first byte of a telemetry message on the wire. */
const PUBLISH_QOS1 = 0x32

const ready = [mosquittoAvailable(), witnessAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip

/** A device's uplink on `brokerUrl`, online, and its PUBLISH writes from now on; `witnessUrl` is the broker itself. */
async function onlineUplink(t: ExecutionContext, brokerUrl: string, witnessUrl: string, id: string) {
    const witness = await mqttWitness(witnessUrl, `fieldlink/devices/${id}/#`, { qos: 1 })
    t.teardown(() => witness.stop())
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-uplink-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const config = configFromObject(
        { broker: { url: brokerUrl }, ports: [{ path: "/dev/ttyUSB0" }], gateway: { stateDir: dir } },
        "test",
        { baseDir: dir, env: {} },
    )
    const log = createLogger({ level: "silent", format: "json" })
    const store = new QueueStore(config.stateDir, config.queue, log)
    store.start()
    t.teardown(() => store.close())
    const stored = store.get(id)
    const uplink = new DeviceUplink(id, stored, {
        config,
        log,
        metrics: createGatewayMetrics(),
        onCommand: () => undefined,
        onRetired: () => undefined,
    })
    t.teardown(() => uplink.shutdown())
    uplink.setPresent({ port: "/dev/ttyUSB0", live: 0 })
    await witness.waitFor(m => m.topic.endsWith("/info"), 10000)

    // Writes carrying PUBLISHes to the broker (or the proxy before it), seen on the sockets
    // of this process (observed, then passed on): the proxy's own writes onward are not counted.
    const port = Number(new URL(brokerUrl).port)
    const publishWrites: { bytes: number; at: number }[] = []
    /** The sockets the device's PUBLISHes went out on (its connection to the broker or proxy). */
    const sockets = new Set<net.Socket>()
    const write = net.Socket.prototype.write
    const restore = () => void (net.Socket.prototype.write = write)
    t.teardown(restore)
    net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
        if (Buffer.isBuffer(chunk) && chunk[0] === PUBLISH_QOS1 && this.remotePort === port) {
            publishWrites.push({ bytes: chunk.length, at: performance.now() })
            sockets.add(this)
        }
        return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof write
    const telemetry = () =>
        witness
            .messages()
            .filter(m => m.topic.endsWith("/telemetry"))
            .map(m => JSON.parse(m.text).seq as number)
    return { uplink, queue: stored.queue, publishWrites, restore, telemetry, socket: () => [...sockets][0] }
}

const turn = () => new Promise(resolve => setImmediate(resolve))

brokerTest("uplink: the messages of one serial read go out in one socket write, in order", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const { uplink, publishWrites, restore, telemetry } = await onlineUplink(
        t,
        broker.url,
        broker.url,
        "batch",
    )

    // What a session does with a read of twenty lines: twenty enqueues in one turn.
    for (let seq = 1; seq <= 20; seq++) uplink.enqueue("telemetry", `{"seq":${seq}}`, false)
    await waitFor(() => telemetry().length >= 20, {
        what: "the twenty messages at the broker",
        timeoutMs: 10000,
    })
    restore()
    t.is(
        publishWrites.length,
        1,
        `one write, not one per message (writes of ${publishWrites.map(w => w.bytes).join(", ")} bytes)`,
    )
    t.deepEqual(
        telemetry(),
        Array.from({ length: 20 }, (_, i) => i + 1),
    )
})

brokerTest(
    `uplink: with ${ACK_CLOCKED_FROM} or more awaiting their PUBACK, new messages leave together when PUBACKs come; with fewer, at once`,
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const PUBACK_DELAY_MS = 60
        const far = await startProxy({ targetPort: broker.port, delayMs: { down: PUBACK_DELAY_MS } })
        t.teardown(() => far.close())
        const { uplink, queue, publishWrites, restore, telemetry, socket } = await onlineUplink(
            t,
            far.url,
            broker.url,
            "clocked",
        )

        // A serial read of 40 lines: one write, 40 in flight for the next 60 ms.
        let seq = 0
        for (let i = 0; i < 40; i++) uplink.enqueue("telemetry", `{"seq":${++seq}}`, false)
        await turn()
        t.is(publishWrites.length, 1)
        const first = publishWrites[0].at
        // Ten reads of one line each, in ten turns, while those 40 await their PUBACKs.
        for (let i = 0; i < 10; i++) {
            uplink.enqueue("telemetry", `{"seq":${++seq}}`, false)
            await turn()
        }
        t.is(publishWrites.length, 1, "none written while the 40 await their PUBACKs")
        // The first read of PUBACKs from now on (the uplink's own birth and info, or the
        // 40's) frees window while the device is ahead with ten waiting: the refill waits for
        // a timer (1 ms), so that PUBACKs of the reads to come join it. A read's PUBACKs are
        // handled as it is read (this listener comes after the gateway's), and a refill in
        // the same turn would be written before this turn's setImmediate.
        const PUBACK = 0x40
        const ackTurn = new Promise<{ waiting: number; written: number }>(resolve => {
            const onRead = (chunk: Buffer) => {
                if (chunk[0] !== PUBACK) return
                socket().off("data", onRead)
                const before = publishWrites.length
                const waiting = queue.depth - queue.inFlight
                setImmediate(() => resolve({ waiting, written: publishWrites.length - before }))
            }
            socket().on("data", onRead)
        })
        const { waiting, written } = await ackTurn
        t.is(waiting, 10, "the ten wait when the first PUBACKs come")
        t.is(written, 0, "no refill in the turn of the first PUBACKs' read")
        await waitFor(() => telemetry().length >= 50, {
            what: "the fifty messages at the broker",
            timeoutMs: 10000,
        })
        const later = publishWrites.slice(1)
        t.true(later.length >= 1 && later.length <= 2, `${later.length} writes for the ten, not ten`)
        t.true(
            later[0].at - first >= PUBACK_DELAY_MS * 0.9,
            `written with the PUBACKs' refill, ${Math.round(later[0].at - first)} ms after the first`,
        )

        // Everything acknowledged (the PUBACKs of the ten back through the proxy): a line
        // goes at once, in its own turn.
        await waitFor(() => queue.inFlight === 0, { what: "every PUBACK back", timeoutMs: 5000 })
        const before = publishWrites.length
        uplink.enqueue("telemetry", `{"seq":${++seq}}`, false)
        await turn()
        t.is(publishWrites.length, before + 1, "written in the same turn")
        await waitFor(() => telemetry().length >= 51, { what: "the last message", timeoutMs: 10000 })
        restore()
        t.deepEqual(
            telemetry(),
            Array.from({ length: 51 }, (_, i) => i + 1),
        )
    },
)
