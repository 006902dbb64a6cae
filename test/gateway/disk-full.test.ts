// The disk full while the broker is away (issue 10, long life): the gateway runs under a
// file size limit (`ulimit -f`, so journal writes past it fail with EFBIG as on a full
// disk — the real kernel error path, no mock). It keeps running, says so once (not at
// every flush), keeps the messages in memory within the queue's bounds, delivers them all
// in order when the broker returns, and says when the disk takes writes again.
import test from "ava"
import path from "node:path"
import mqtt from "mqtt"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { waitFor } from "../support/wait.js"
import { socatAvailable, startDevice } from "../support/pty.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"

const ready = [mosquittoAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway disk-full tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

const LINES = 300
const DISK_ERROR = "cannot write the queue to disk"

brokerTest(
    "journal writes failing (file size limit) while the broker is away: logged once, nothing lost, delivery and disk writes resume",
    async t => {
        const dir = tempDir(t)
        const broker = await startMosquitto({
            extraConfig: ["persistence true", `persistence_location ${dir}${path.sep}`],
        })
        t.teardown(() => broker.stop())
        const seqs: number[] = []
        const client = await mqtt.connectAsync(broker.url, {
            clientId: `disk-witness-${process.pid}`,
            clean: false,
            protocolVersion: 4,
            reconnectPeriod: 200,
        })
        t.teardown(() => client.endAsync(true))
        client.on("message", (_topic, payload) => seqs.push(JSON.parse(payload.toString()).seq))
        await client.subscribeAsync("fieldlink/devices/full/telemetry", { qos: 1 })
        const device = await startDevice(dir, "full")
        t.teardown(() => device.stop())
        const config = await testConfig(dir, broker.url, [{ path: device.path }], {
            queue: { maxMessages: 1000 },
        })
        const gw = startGateway(t, writeConfig(dir, config), [], { fileSizeLimitKb: 8 })
        await gw.waitForPorts(1)
        await device.write("hello id=full\n")
        await gw.waitForLog(l => l.msg === "device online")
        await broker.stop()
        let burst = ""
        for (let seq = 1; seq <= LINES; seq++) burst += `{"seq":${seq}}\n`
        await device.write(burst)
        // ~100 journal records fit in 8 KiB: the rest fail, at every 50 ms flush.
        const first = await gw.waitForLog(l => l.level === 50 && String(l.msg).startsWith(DISK_ERROR), 20000)
        t.regex(String(first.err), /EFBIG|too large/i)
        await new Promise(r => setTimeout(r, 2000)) // some 40 more failed flushes
        t.is(
            gw.logs().filter(l => String(l.msg).startsWith(DISK_ERROR)).length,
            1,
            "logged once a minute, not at every flush",
        )
        t.is(gw.cli.child.exitCode, null, "the gateway still runs")
        await broker.restart()
        await waitFor(() => new Set(seqs).size >= LINES, {
            what: `all ${LINES} lines after the broker's return (got ${new Set(seqs).size})`,
            timeoutMs: 30000,
        })
        const firsts = [...new Set(seqs)]
        t.deepEqual(
            firsts,
            Array.from({ length: LINES }, (_, i) => i + 1),
            "every line, in order",
        )
        await gw.waitForLog(l => l.msg === "the queue is written to disk again", 10000)
    },
)
