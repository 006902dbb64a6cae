// The lines of one serial read leave in one socket write (issue 10, the hot path): a
// device uplink against a real mosquitto, the writes counted on the real socket.
import test from "ava"
import { mkdtempSync, rmSync } from "node:fs"
import net from "node:net"
import os from "node:os"
import path from "node:path"
import { configFromObject } from "../../gateway/config/load.js"
import { DeviceUplink } from "../../gateway/device/uplink.js"
import { createGatewayMetrics } from "../../gateway/obs/gateway-metrics.js"
import { createLogger } from "../../gateway/obs/logger.js"
import { QueueStore } from "../../gateway/queue/store.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { waitFor } from "../support/wait.js"
import { mqttWitness, witnessAvailable } from "../support/witness.js"

/** PUBLISH, QoS 1, RETAIN 0: the first byte of a telemetry message on the wire. */
const PUBLISH_QOS1 = 0x32

const ready = [mosquittoAvailable(), witnessAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip

brokerTest("uplink: the messages of one serial read go out in one socket write, in order", async t => {
    const broker = await startMosquitto()
    t.teardown(() => broker.stop())
    const witness = await mqttWitness(broker.url, "fieldlink/devices/batch/#", { qos: 1 })
    t.teardown(() => witness.stop())
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-uplink-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const config = configFromObject(
        { broker: { url: broker.url }, ports: [{ path: "/dev/ttyUSB0" }], gateway: { stateDir: dir } },
        "test",
        { baseDir: dir, env: {} },
    )
    const log = createLogger({ level: "silent", format: "json" })
    const store = new QueueStore(config.stateDir, config.queue, log)
    store.start()
    t.teardown(() => store.close())
    const uplink = new DeviceUplink("batch", store.get("batch"), {
        config,
        log,
        metrics: createGatewayMetrics(),
        onCommand: () => undefined,
        onRetired: () => undefined,
    })
    t.teardown(() => uplink.shutdown())
    uplink.setPresent({ port: "/dev/ttyUSB0", live: 0 })
    await witness.waitFor(m => m.topic.endsWith("/info"), 10000)

    // Writes carrying PUBLISHes, seen on every socket of this process (observed, then passed on).
    const publishWrites: number[] = []
    const write = net.Socket.prototype.write
    t.teardown(() => void (net.Socket.prototype.write = write))
    net.Socket.prototype.write = function (this: net.Socket, chunk: unknown, ...rest: unknown[]) {
        if (Buffer.isBuffer(chunk) && chunk[0] === PUBLISH_QOS1) publishWrites.push(chunk.length)
        return (write as (...a: unknown[]) => boolean).call(this, chunk, ...rest)
    } as typeof write

    // What a session does with a read of twenty lines: twenty enqueues in one turn.
    for (let seq = 1; seq <= 20; seq++) uplink.enqueue("telemetry", `{"seq":${seq}}`, false)
    await waitFor(() => witness.messages().filter(m => m.topic.endsWith("/telemetry")).length >= 20, {
        what: "the twenty messages at the broker",
        timeoutMs: 10000,
    })
    net.Socket.prototype.write = write
    t.is(
        publishWrites.length,
        1,
        `one write, not one per message (writes of ${publishWrites.join(", ")} bytes)`,
    )
    t.deepEqual(
        witness
            .messages()
            .filter(m => m.topic.endsWith("/telemetry"))
            .map(m => JSON.parse(m.text).seq as number),
        Array.from({ length: 20 }, (_, i) => i + 1),
    )
})
