// Ids that come and go (issue 10, long life): a device that says hello with a new id again
// and again must not leave per-id state behind — metrics series, queue files, uplinks —
// or a gateway that runs for months grows without bound. Short version of a day of
// renames: 12 ids in a row on one port, each delivering its lines before the next.
import test from "ava"
import { readdirSync } from "node:fs"
import path from "node:path"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { mqttWitness, witnessAvailable } from "../support/witness.js"
import { waitFor } from "../support/wait.js"
import { socatAvailable, startDevice } from "../support/pty.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway churn tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

const IDS = 12

brokerTest(
    "a device that keeps changing its id: each id delivered and said offline, then its metrics series and queue file are gone",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const dir = tempDir(t)
        const device = await startDevice(dir, "churn")
        t.teardown(() => device.stop())
        const witness = await mqttWitness(broker.url, "fieldlink/devices/#", { qos: 1 })
        t.teardown(() => witness.stop())
        const gw = startGateway(
            t,
            writeConfig(dir, await testConfig(dir, broker.url, [{ path: device.path }])),
        )
        await gw.waitForPorts(1)
        const http = await waitFor(() => gw.httpPort, { what: "the HTTP port", timeoutMs: 20000 })
        const scrape = async () => (await fetch(`http://127.0.0.1:${http}/metrics`)).text()
        const queueFiles = () =>
            readdirSync(path.join(dir, "state", "queues")).filter(f => f.endsWith(".jsonl"))

        for (let k = 1; k <= IDS; k++) {
            const id = `churn-${k}`
            await device.write(`hello id=${id}\n{"seq":1}\n{"seq":2}\n`)
            await witness.waitFor(
                m => m.topic === `fieldlink/devices/${id}/telemetry` && m.text === '{"seq":2}',
                20000,
            )
            if (k === 1) continue
            const previous = `churn-${k - 1}`
            await witness.waitFor(
                m => m.topic === `fieldlink/devices/${previous}/status` && m.text === "offline",
                20000,
            )
            // Retired once its goodbye is acknowledged: no series and no file of the old id.
            await waitFor(
                async () =>
                    !(await scrape()).includes(`"${previous}"`) &&
                    !queueFiles().includes(`${previous}.jsonl`),
                {
                    what: `${previous}'s metrics series and queue file to be retired`,
                    timeoutMs: 10000,
                },
            )
        }
        const text = await scrape()
        const ids = new Set([...text.matchAll(/(?:device|client)="(churn-\d+)"/g)].map(m => m[1]))
        t.deepEqual([...ids], [`churn-${IDS}`], "only the current id has series")
        t.true(
            queueFiles().every(f => f === `churn-${IDS}.jsonl`),
            `queue files: ${queueFiles().join(", ")}`,
        )
        // Every id delivered both of its lines.
        for (let k = 1; k <= IDS; k++) {
            const got = witness
                .messages()
                .filter(m => m.topic === `fieldlink/devices/churn-${k}/telemetry`)
                .map(m => m.text)
            t.true(got.includes('{"seq":1}') && got.includes('{"seq":2}'), `churn-${k}: ${got.join(" ")}`)
        }
    },
)
