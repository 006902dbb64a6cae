// A seed makes a simulator run repeatable: reconnect jitter included.
import test from "ava"
import { Fleet, uniformBoards } from "../../sim/fleet.js"
import { firmwareProgram } from "../support/firmware.js"
import { freePort, waitFor } from "../support/wait.js"

async function delaysWithSeed(seed: number, port: number): Promise<string[]> {
    const delays = new Map<string, number[]>()
    const fleet = await Fleet.start({
        broker: new URL(`mqtt://127.0.0.1:${port}`),
        topicRoot: "fieldlink",
        seed,
        program: await firmwareProgram(),
        boards: uniformBoards(2, "r", 60, 1000),
        onLog: (id, line) => {
            const m = /reconnect in (\d+) ms/.exec(line)
            if (m) delays.set(id, [...(delays.get(id) ?? []), Number(m[1])])
        },
    })
    try {
        await waitFor(() => [...delays.values()].every(d => d.length >= 3) && delays.size === 2, {
            timeoutMs: 15000,
            what: "3 reconnect delays per board",
        })
    } finally {
        await fleet.kill()
    }
    return ["r-1", "r-2"].map(id => delays.get(id)!.slice(0, 3).join(","))
}

test("the same seed gives every board the same reconnect delays; another seed gives others", async t => {
    const closed = await freePort()
    const [a, b, c] = [
        await delaysWithSeed(5, closed),
        await delaysWithSeed(5, closed),
        await delaysWithSeed(6, closed),
    ]
    t.log(a, c)
    t.deepEqual(a, b)
    t.notDeepEqual(a, c)
    t.not(a[0], a[1], "two boards of one run still differ")
})
