import test from "ava"
import {
    ageProblems,
    checkExpectations,
    matchDevices,
    resolveTime,
    telemetryGaps,
    type ObservedEvent,
} from "../../sim/scenario/expect.js"
import type { Fault } from "../../sim/scenario/types.js"

const faults: Fault[] = [{ name: "cut", type: "network-cut", at: 10, for: 5, target: "wifi-1" }]
const devices = ["wifi-1", "wifi-2", "serial-1"]
const status = (t: number, device: string, value: string): ObservedEvent => ({
    t,
    device,
    kind: "status",
    value,
})
const sample = (t: number, device: string, seq: number, extra = {}): ObservedEvent => ({
    t,
    device,
    kind: "telemetry",
    value: JSON.stringify({ seq, ...extra }),
})

test("time references: seconds, a fault's start and end, the end of the run; unknown names are errors", t => {
    t.is(resolveTime(3, faults, 60), 3)
    t.is(resolveTime("cut", faults, 60), 10)
    t.is(resolveTime("cut.end", faults, 60), 15)
    t.is(resolveTime("end", faults, 60), 60)
    t.throws(() => resolveTime("nope", faults, 60), { message: "unknown fault or input 'nope' (names: cut)" })
})

test("device globs", t => {
    t.deepEqual(matchDevices("wifi-*", devices), ["wifi-1", "wifi-2"])
    t.deepEqual(matchDevices("*", devices), devices)
    t.deepEqual(matchDevices("serial-1", devices), ["serial-1"])
    t.deepEqual(matchDevices("x-1", devices), [])
})

test("status: passes inside the bound, fails after it or never, and says which", t => {
    const events = [
        status(1, "wifi-1", "online"),
        status(12.5, "wifi-1", "offline"),
        status(17, "wifi-2", "offline"),
    ]
    const [ok, late, never] = checkExpectations(
        [
            { type: "status", device: "wifi-1", becomes: "offline", after: "cut", within: 5 },
            { type: "status", device: "wifi-2", becomes: "offline", after: "cut", within: 5 },
            { type: "status", device: "serial-1", becomes: "online", after: 0, within: 30 },
        ],
        events,
        devices,
        faults,
        60,
    )
    t.true(ok.ok)
    t.is(ok.text, "wifi-1 became offline 2.5 s after cut (bound 5 s)")
    t.false(late.ok)
    t.is(late.text, "wifi-2 should become offline within 5 s of cut (t=10.0 s); it did only after 7.0 s")
    t.false(never.ok)
    t.regex(never.text, /it did never$/)
})

test("stays: needs the state at the start and no change inside the window", t => {
    const events = [
        status(1, "wifi-1", "online"),
        status(12, "wifi-1", "offline"),
        status(1, "wifi-2", "online"),
    ]
    const results = checkExpectations(
        [{ type: "stays", device: "wifi-*", status: "online", from: 5, to: "end" }],
        events,
        devices,
        faults,
        60,
    )
    t.deepEqual(
        results.map(r => r.ok),
        [false, true],
    )
    t.is(results[0].text, "wifi-1 should stay online from t=5.0 s to t=60.0 s; it became offline at t=12.0 s")
})

test("telemetry count within a window", t => {
    const events = [1, 2, 3, 4].map(i => sample(i, "wifi-1", i))
    const [r] = checkExpectations(
        [{ type: "telemetry", device: "wifi-1", atLeast: 3, from: 1.5, to: 4 }],
        events,
        devices,
        faults,
        60,
    )
    t.true(r.ok)
    t.is(r.text, "wifi-1 sent 3 telemetry samples from t=1.5 s to t=4.0 s (at least 3 expected)")
})

test("telemetry gaps: a gap, a reported drop and reordering are losses; a reboot and a duplicate are not", t => {
    t.deepEqual(telemetryGaps([{ seq: 1 }, { seq: 2 }, { seq: 2 }, { seq: 3 }, { seq: 1 }, { seq: 2 }]), [])
    t.deepEqual(telemetryGaps([{ seq: 4 }, { seq: 7 }]), ["seq 5–6 missing"])
    t.deepEqual(telemetryGaps([{ seq: 4 }, { seq: 5, dropped: 2 }]), [
        "the device reported 2 dropped before seq 5",
    ])
    t.deepEqual(telemetryGaps([{ seq: 5 }, { seq: 3 }]), ["seq 3 arrived after 5"])
})

test("no-telemetry-lost: late samples must carry a plausible age, placing them in order within the outage", t => {
    // Samples every second; the cut (t=10 to 15) holds seq 10–15, delivered at t=17 on reconnect.
    const events = [
        ...[7, 8, 9].map(s => sample(s, "wifi-1", s)),
        ...[10, 11, 12, 13, 14].map(s => sample(17, "wifi-1", s, { age_ms: (17 - s) * 1000 })),
        sample(17, "wifi-1", 15), // taken 2 s or less before: no age
        sample(18, "wifi-1", 16),
    ]
    const [r] = checkExpectations(
        [{ type: "no-telemetry-lost", device: "wifi-1", from: 0, to: "end" }],
        events,
        devices,
        faults,
        60,
    )
    t.true(r.ok, r.text)
    t.is(
        r.text,
        "wifi-1: 10 samples from t=0.0 s to t=60.0 s, none lost; 5 late, ages up to 7.0 s (bound 25.0 s) in order",
    )
    const bound = 25
    t.deepEqual(ageProblems([{ t: 17, seq: 10, age_ms: 1500 }], bound), [
        "seq 10: age_ms 1500 is not a wait past 2000 ms (a fresh sample carries none)",
    ])
    t.deepEqual(ageProblems([{ t: 17, seq: 10, age_ms: "7 s" }], bound), [
        'seq 10: age_ms "7 s" is not a wait past 2000 ms (a fresh sample carries none)',
    ])
    t.deepEqual(ageProblems([{ t: 90, seq: 10, age_ms: 80000 }], bound), [
        "seq 10: age_ms 80000 is longer than the longest fault plus 20 s (25 s)",
    ])
    // seq 11 says it was taken at t=8, two seconds before seq 10 (t=10): impossible.
    t.deepEqual(
        ageProblems(
            [
                { t: 17, seq: 10, age_ms: 7000 },
                { t: 17, seq: 11, age_ms: 9000 },
            ],
            bound,
        ),
        ["seq 11 says it was taken at t=8.0 s, before seq 10 (t=10.0 s or later)"],
    )
    // A sample without age may have waited up to 2 s; a reboot (seq 1) starts a new count.
    t.deepEqual(
        ageProblems(
            [
                { t: 17, seq: 10 },
                { t: 17.1, seq: 11, age_ms: 2100 },
                { t: 18, seq: 1, age_ms: 9000 },
            ],
            bound,
        ),
        [],
    )
})

test("an expectation naming no device fails instead of passing vacuously", t => {
    const [r] = checkExpectations(
        [{ type: "telemetry", device: "ghost-*", atLeast: 1, from: 0, to: "end" }],
        [],
        devices,
        faults,
        60,
    )
    t.false(r.ok)
    t.regex(r.text, /no device matches 'ghost-\*'/)
})
