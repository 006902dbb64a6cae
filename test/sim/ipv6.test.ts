// A broker reached over IPv6, as a board's `mqtt_host` writes it: `[::1]` alone (on
// mqtt_port) or `[::1]:port` in a list, brackets as in a URL. The real firmware in the
// DeviceScript VM against a real mosquitto listening on the IPv6 loopback too.
import test from "ava"
import mqtt from "mqtt"
import net from "node:net"
import { Fleet, uniformBoards } from "../../sim/fleet.js"
import { firmwareProgram } from "../support/firmware.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"
import { freePort, waitFor } from "../support/wait.js"

/** Whether this machine has the IPv6 loopback (some containers do not). */
function ipv6Loopback(): Promise<boolean> {
    return new Promise(resolve => {
        const server = net.createServer()
        server.once("error", () => resolve(false))
        server.listen(0, "::1", () => server.close(() => resolve(true)))
    })
}

const available = mosquittoAvailable()
const v6 = await ipv6Loopback()
const v6Test = available.ok && v6 ? test : test.skip
if (!available.ok || !v6)
    test("IPv6 test is skipped here", t => t.pass(available.ok ? "no IPv6 loopback" : available.reason))

v6Test("boards reach a broker at [::1]: alone on mqtt_port, and as the second node of a list", async t => {
    const v6Port = await freePort()
    const broker = await startMosquitto({ extraConfig: [`listener ${v6Port} ::1`] })
    t.teardown(() => broker.stop())
    const seen: string[] = []
    const witness = await mqtt.connectAsync(broker.url, { clientId: `v6-witness-${process.pid}` })
    t.teardown(() => witness.endAsync(true))
    witness.on("message", (topic, payload) => seen.push(`${topic} ${payload.toString()}`))
    await witness.subscribeAsync("fieldlink/devices/#")

    const program = await firmwareProgram()
    const start = async (prefix: string, nodes: URL[]) => {
        const logs: string[] = []
        const fleet = await Fleet.start({
            broker: nodes[0]!,
            brokers: nodes,
            topicRoot: "fieldlink",
            seed: 6,
            program,
            boards: uniformBoards(1, prefix, 4, 500),
            onLog: (_id, line) => logs.push(line),
            onError: (id, e) => t.log(`${id}: ${e.message}`),
        })
        t.teardown(() => fleet.stop())
        return logs
    }
    const alone = await start("v6a", [new URL(`mqtt://[::1]:${v6Port}`)])
    // The first node refuses (nothing listens on it): the board moves on to [::1].
    const listed = await start("v6b", [
        new URL(`mqtt://127.0.0.1:${await freePort()}`),
        new URL(`mqtt://[::1]:${v6Port}`),
    ])

    for (const id of ["v6a-1", "v6b-1"])
        await waitFor(
            () =>
                seen.includes(`fieldlink/devices/${id}/status online`) &&
                seen.some(m => m.startsWith(`fieldlink/devices/${id}/telemetry `)),
            { what: `${id} online with telemetry through [::1]`, timeoutMs: 30000 },
        )
    t.true(
        broker.logLines().some(l => l.includes("New client connected from ::1") && l.includes("v6a-1")),
        "the broker saw v6a-1 connect from ::1",
    )
    t.true(
        alone.some(l => l.includes(`broker [::1]:${v6Port}`)),
        `v6a-1 logs its broker as [::1]:${v6Port}: ${alone.slice(0, 3).join(" | ")}`,
    )
    t.true(
        listed.some(l => l.endsWith(`mqtt: on broker [::1]:${v6Port}`)),
        `v6b-1 says it is on [::1]: ${listed.join(" | ")}`,
    )
})
