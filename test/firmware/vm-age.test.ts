// Late samples say how late they are (protocol/age.ts): the real firmware in the VM,
// behind the simulator's network link, against a real mosquitto, observed by an mqtt.js
// witness that notes when each sample arrived.
import test from "ava"
import { startMosquitto, mosquittoAvailable } from "../support/mosquitto.js"
import { mqttWitness } from "../support/witness.js"
import { startTestBoard } from "../support/firmware.js"
import { sleep, waitFor } from "../support/wait.js"
import { NetworkLink } from "../../sim/network/link.js"
import { netConnector } from "../../devs-host/index.js"
import { LATE_AFTER_MS } from "../../protocol/age.js"

const available = mosquittoAvailable()
const CUT_MS = 10000
const INTERVAL_MS = 1000

interface Arrival {
    seq: number
    age?: number
    /** When the witness received it (ms since the epoch). */
    at: number
}

if (!available.ok) {
    test("late samples from the VM (skipped: " + available.reason + ")", t => t.pass())
} else {
    test("a 10 s network cut: queued samples arrive with ages that place them when they were taken (± 1 s); fresh ones carry none", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const w = await mqttWitness(m.url, "fieldlink/devices/vm-age/telemetry")
        t.teardown(() => w.stop())
        const link = new NetworkLink(netConnector)
        t.teardown(() => link.close())
        const b = await startTestBoard(t, {
            broker: m.url,
            deviceId: "vm-age",
            keepAliveSeconds: 5,
            intervalMs: INTERVAL_MS,
            socket: link,
        })
        const arrivals = (): Arrival[] =>
            w.messages().map(x => {
                const s = JSON.parse(x.text) as { seq: number; age_ms?: number }
                return { seq: s.seq, age: s.age_ms, at: x.at }
            })
        await waitFor(() => arrivals().length >= 3, { timeoutMs: 15000, what: "3 samples before the cut" })
        // Cut right after a sample arrived, so none is in flight when the link goes.
        const before = arrivals().length
        await waitFor(() => arrivals().length > before, { timeoutMs: 5000, what: "a sample to cut after" })
        const mark = b.lines.length
        link.set("cut")
        await sleep(CUT_MS) // the cut's length is what this test is about
        link.set("up")
        // Every connect during the cut fails at once ("network unreachable"), so the waits
        // are the time down, and no wait is longer than the waits before it
        // (protocol/reconnect.ts): the board is back within about the cut's length. Before
        // that bound it could draw up to the 60 s cap, and the queue (32 samples) overflowed
        // in CI.
        await b.waitForLine(/^online$/, CUT_MS + 5000, mark)
        const online = arrivals().length
        // Samples taken in the last 2 s before the flush are queued yet not late (no age):
        // at 1 s intervals the fourth one without age was certainly taken after the flush.
        await waitFor(
            () =>
                arrivals()
                    .slice(online)
                    .filter(a => a.age === undefined).length >= 4,
            { timeoutMs: 15000, what: "fresh samples after the reconnect" },
        )

        const all = arrivals()
        t.log(all.map(a => `${a.seq}${a.age !== undefined ? `(${a.age})` : ""}`).join(" "))
        t.deepEqual(
            all.map(a => a.seq),
            Array.from({ length: all.length }, (_, i) => all[0].seq + i),
            "every sample arrived once, in order",
        )
        t.true(
            all.slice(0, before + 1).every(a => a.age === undefined),
            "samples before the cut carry no age",
        )
        const late = all.filter(a => a.age !== undefined)
        t.true(late.length >= CUT_MS / INTERVAL_MS - 2, `${late.length} late samples`)
        // Anchors: the last sample before the cut and the last one after the flush were
        // taken when they arrived (ms on loopback); samples in between were taken at the
        // board's interval, spread evenly between the two.
        const a = all[before]
        const z = all.at(-1)!
        const takenAt = (seq: number) => a.at + ((seq - a.seq) * (z.at - a.at)) / (z.seq - a.seq)
        const errors = late.map(s => Math.abs(s.at - s.age! - takenAt(s.seq)))
        t.log(
            `largest error of taken = received − age: ${Math.max(...errors).toFixed(0)} ms over ${late.length} late samples`,
        )
        for (const s of late) {
            const error = s.at - s.age! - takenAt(s.seq)
            t.true(
                Math.abs(error) <= 1000,
                `seq ${s.seq}: age ${s.age} ms places it ${error.toFixed(0)} ms from when it was taken`,
            )
            t.true(s.age! > LATE_AFTER_MS, `seq ${s.seq}: age ${s.age} ms is past the threshold`)
        }
        // A sample without age arrived less than the threshold (+ 1 s slack) after it was taken.
        for (const s of all.filter(x => x.age === undefined && x.seq > a.seq && x.seq < z.seq))
            t.true(
                s.at - takenAt(s.seq) <= LATE_AFTER_MS + 1000,
                `seq ${s.seq} arrived ${(s.at - takenAt(s.seq)).toFixed(0)} ms after it was taken, with no age`,
            )
        t.true(
            late[0].age! >= CUT_MS - 1000,
            `the first queued sample waited ${late[0].age} ms, about the cut or more`,
        )
    })
}
