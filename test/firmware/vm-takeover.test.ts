// Connections that die soon after CONNACK, against the real firmware in the DeviceScript VM
// and a real mosquitto: the backoff keeps growing instead of restarting from zero, and a
// run of clean closes by the broker is reported as a likely duplicate client id.
import test, { type ExecutionContext } from "ava"
import { startMosquitto, mosquittoAvailable, type Mosquitto } from "../support/mosquitto.js"
import { startProxy } from "../support/proxy.js"
import { startTestBoard, type TestBoard } from "../support/firmware.js"
import { sleep } from "../support/wait.js"

const available = mosquittoAvailable()

async function broker(t: ExecutionContext): Promise<Mosquitto> {
    const m = await startMosquitto({})
    t.teardown(() => m.stop())
    return m
}

const delays = (b: TestBoard) =>
    b.lines.filter(l => /reconnect in/.test(l)).map(l => Number(/in (\d+) ms/.exec(l)![1]))
const TAKEOVER =
    /the broker closed the connection \d+ times in a row, no error on our side: another client is likely using the id /

if (!available.ok) {
    test("takeover (skipped: " + available.reason + ")", t => t.pass())
} else {
    test("a broker that drops the board right after each CONNACK sees reconnects spaced by the backoff, then the cap", async t => {
        const m = await broker(t)
        const proxy = await startProxy({
            targetPort: m.port,
            filterDownstream: p => (p.name === "connack" ? "close" : "pass"),
        })
        t.teardown(() => proxy.close())
        const b = await startTestBoard(t, { broker: proxy.url, deviceId: "vm-kicked" })
        const said = await b.waitForLine(TAKEOVER, 15000)
        t.regex(
            said,
            /using the id fieldlink-vm-kicked \(two boards with device id vm-kicked\? give each its own device id\); retrying every 30-60 s$/,
        )
        await b.waitForLine(/reconnect in \d+ ms \(attempt 3\)/, 5000)
        const [first, second, third] = delays(b)
        t.log(`delays: ${delays(b).join(", ")} ms`)
        t.true(first < 500, `attempt 1 within [0, 500): ${first}`)
        t.true(second < 1000, `attempt 2 within [0, 1000): ${second}`)
        t.true(third >= 30000 && third < 60000, `attempt 3 at the cap's upper half: ${third}`)
        const connections = proxy.connections()
        t.is(connections, 3)
        await sleep(5000) // a tight loop would have reconnected dozens of times by now
        t.is(proxy.connections(), connections, "no reconnect while waiting at the cap")
        t.is(b.lines.filter(l => TAKEOVER.test(l)).length, 1, "said once")
    })

    test("two simulated boards with one device id: the collision is logged on both", async t => {
        t.timeout(100_000)
        const m = await broker(t)
        const a = await startTestBoard(t, { broker: m.url, deviceId: "vm-twin" })
        await a.waitForLine(/^online$/)
        const b = await startTestBoard(t, { broker: m.url, deviceId: "vm-twin" })
        // The first to reach three closes waits 30-60 s at the cap; the other is told when
        // its twin comes back and takes the id again.
        const [sayA, sayB] = await Promise.all([
            a.waitForLine(TAKEOVER, 80000),
            b.waitForLine(TAKEOVER, 80000),
        ])
        for (const said of [sayA, sayB])
            t.regex(said, /using the id fieldlink-vm-twin \(two boards with device id vm-twin\?/)
        const takeovers = m
            .logLines()
            .filter(l => /Client fieldlink-vm-twin already connected, closing old connection/.test(l)).length
        t.log(
            `mosquitto reported ${takeovers} takeovers; delays A: ${delays(a).join(", ")}; B: ${delays(b).join(", ")}`,
        )
        t.true(takeovers <= 8, `${takeovers} takeovers: not a fight`)
    })
}
