// Bad input on one port is counted, answered with err, and harms nobody: the gateway
// stays up, its memory stays bounded, and a well-behaved device on another port loses
// nothing meanwhile.
import test from "ava"
import { randomBytes } from "node:crypto"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { mqttWitness, witnessAvailable } from "../support/witness.js"
import { waitFor } from "../support/wait.js"
import { startGateway, tempDir, testConfig, writeConfig } from "./harness.js"
import { socatAvailable, startDevice } from "../support/pty.js"

const ready = [mosquittoAvailable(), witnessAvailable(), socatAvailable()]
const brokerTest = ready.every(a => a.ok) ? test : test.skip
if (!ready.every(a => a.ok))
    test("gateway bad-input tests are skipped here", t =>
        t.pass(ready.map(a => (a.ok ? "" : a.reason)).join(" ")))

async function scrape(port: number): Promise<string> {
    return (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
}

function metric(text: string, name: string, labels: string): number {
    const series = labels === "" ? `${name} ` : `${name}{${labels}} `
    const line = text.split("\n").find(l => l.startsWith(series))
    return line ? Number(line.split(" ").at(-1)) : 0
}

brokerTest(
    "garbage on one port: counted by reason, answered with err, the gateway stays up and bounded, the other port loses nothing",
    async t => {
        const broker = await startMosquitto()
        t.teardown(() => broker.stop())
        const dir = tempDir(t)
        const [bad, good] = await Promise.all([startDevice(dir, "bad"), startDevice(dir, "good")])
        t.teardown(() => Promise.all([bad.stop(), good.stop()]))
        const witness = await mqttWitness(broker.url, "fieldlink/#", { qos: 1 })
        t.teardown(() => witness.stop())
        const gw = startGateway(
            t,
            writeConfig(dir, await testConfig(dir, broker.url, [{ path: bad.path }, { path: good.path }])),
        )
        await gw.waitForPorts(2)
        const http = await waitFor(() => gw.httpPort, { what: "the HTTP port", timeoutMs: 20000 })
        await bad.write("hello id=noisy\n")
        await bad.waitForLine(l => l === "ok hello")
        const rssBefore = metric(await scrape(http), "process_resident_memory_bytes", "")

        // The good device sends 300 samples while the bad one sends garbage.
        const goodSends = (async () => {
            for (let seq = 1; seq <= 300; seq++) {
                await good.write(`{"seq":${seq}}\n`)
                if (seq % 10 === 0) await new Promise(r => setTimeout(r, 5))
            }
        })()
        const attacks: [string | Buffer, string][] = [
            ["x".repeat(1024 * 1024) + "\n", "too-long"],
            [Buffer.from([0x70, 0x75, 0x62, 0x20, 0x61, 0x20, 0xff, 0xfe, 0x0a]), "bad-utf8"],
            ["pub temp 21 *00\n", "bad-checksum"],
            ["publish temp 21\n", "unknown-verb"],
            ["PING\n", "unknown-verb"],
            ["pub + 1\n", "bad-topic"],
            ["pub a/# 1\n", "bad-topic"],
            ["pub $SYS/broker 1\n", "bad-topic"],
            ["pub ../escape 1\n", "bad-topic"],
            ["pub a//b 1\n", "bad-topic"],
            ["pubr status online\n", "reserved-topic"],
            ["pub cmd/reboot 1\n", "reserved-topic"],
            ["{not json\n", "bad-json"],
            ["hello id=../x\n", "bad-id"],
        ]
        for (const [data, code] of attacks) {
            const from = bad.lines().length
            await bad.write(data)
            const reply = await bad.waitForLine(l => l.startsWith("err "), 15000, from)
            t.true(
                reply.startsWith(`err ${code} `),
                `${JSON.stringify(String(data).slice(0, 30))} → ${reply}`,
            )
        }
        for (let i = 0; i < 20; i++) await bad.write(randomBytes(4096))
        await bad.write("\n")
        await goodSends

        await witness.waitFor(
            m => m.topic === "fieldlink/devices/good/telemetry" && JSON.parse(m.text).seq === 300,
            20000,
        )
        const seqs = witness
            .messages()
            .filter(m => m.topic === "fieldlink/devices/good/telemetry")
            .map(m => JSON.parse(m.text).seq)
        t.deepEqual(
            seqs,
            Array.from({ length: 300 }, (_, i) => i + 1),
        )
        // Nothing from the bad device leaked out of its subtree, and nothing forbidden was published.
        const leaked = witness
            .messages()
            .filter(m => !/^fieldlink\/(devices\/(noisy|good)\/|gateways\/gw1\/)/.test(m.topic))
        t.deepEqual(
            leaked.map(m => m.topic),
            [],
        )
        t.false(
            witness.messages().some(m => m.topic === "fieldlink/devices/noisy/status" && m.text !== "online"),
        )

        // Still up and answering, counted by reason, memory bounded.
        const from = bad.lines().length
        await bad.write("ping\n")
        await bad.waitForLine(l => l === "pong", 15000, from)
        const text = await scrape(http)
        const label = (reason: string) => `port="${bad.path}",reason="${reason}"`
        t.is(metric(text, "fieldlink_gateway_port_errors_total", label("too-long")) >= 1, true)
        t.is(metric(text, "fieldlink_gateway_port_errors_total", label("bad-topic")), 5)
        t.is(metric(text, "fieldlink_gateway_port_errors_total", label("reserved-topic")), 2)
        t.is(metric(text, "fieldlink_gateway_port_errors_total", label("bad-checksum")) >= 1, true)
        t.is(metric(text, "fieldlink_gateway_port_errors_total", `port="${good.path}",reason="bad-json"`), 0)
        const rssAfter = metric(text, "process_resident_memory_bytes", "")
        t.true(rssBefore > 0)
        t.log(`RSS ${Math.round(rssBefore / 1e6)} MB → ${Math.round(rssAfter / 1e6)} MB`)
        t.true(rssAfter - rssBefore < 64 * 1024 * 1024)
        // Refusals are logged, but not one line per bad line.
        const refusals = gw.logs().filter(l => l.msg?.startsWith("refused a line")).length
        t.true(refusals <= 12, `${refusals} refusal log lines`)
        t.is(gw.cli.child.exitCode, null)
    },
)
