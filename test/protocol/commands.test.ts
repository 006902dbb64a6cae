// Commands and the retain flag (protocol/commands.ts): the pure decisions the firmware's
// command table and the gateway's downlink both take.
import test from "ava"
import { clearRetainedCommand, RetainedCommands, shellWord } from "../../protocol/commands.js"

const T = "fieldlink/devices/b1/cmd/restart"

test("a live command runs; a retained action is ignored and reported once per topic", t => {
    const r = new RetainedCommands()
    t.deepEqual(r.decide(T, "action", false, 0), { verdict: "run", report: false })
    t.deepEqual(r.decide(T, "action", true, 0), { verdict: "ignore", report: true })
    // Every reconnection brings it again: still ignored, never reported twice.
    for (let i = 0; i < 5; i++)
        t.deepEqual(r.decide(T, "action", true, 0), { verdict: "ignore", report: false })
    // Another topic is its own report.
    t.deepEqual(r.decide("fieldlink/devices/b1/cmd/stop", "action", true, 0), {
        verdict: "ignore",
        report: true,
    })
    // A live, non-empty restart still runs.
    t.deepEqual(r.decide(T, "action", false, 3), { verdict: "run", report: false })
})

test("a retained state is restored every time, silently", t => {
    const r = new RetainedCommands()
    const topic = "fieldlink/devices/b1/cmd/interval"
    t.deepEqual(r.decide(topic, "state", true, 4), { verdict: "restore", report: false })
    t.deepEqual(r.decide(topic, "state", true, 4), { verdict: "restore", report: false })
    t.deepEqual(r.decide(topic, "state", false, 3), { verdict: "run", report: false })
})

test("the empty message that clears a retained command is not run; the next one is", t => {
    const r = new RetainedCommands()
    // Empty live message with no retained one seen before: an ordinary command (cmd/restart takes no payload).
    t.deepEqual(r.decide(T, "action", false, 0), { verdict: "run", report: false })
    r.decide(T, "action", true, 0)
    t.deepEqual(r.decide(T, "action", false, 0), { verdict: "cleared", report: true })
    t.deepEqual(r.decide(T, "action", false, 0), { verdict: "run", report: false })
    // Published retained again later: reported again.
    t.deepEqual(r.decide(T, "action", true, 0), { verdict: "ignore", report: true })
    const interval = "fieldlink/devices/b1/cmd/interval"
    r.decide(interval, "state", true, 4)
    t.deepEqual(r.decide(interval, "state", false, 0), { verdict: "cleared", report: true })
})

test("memory is bounded: past the limit the oldest topic is forgotten", t => {
    const r = new RetainedCommands(2)
    r.decide("a/cmd/x", "action", true, 0)
    r.decide("a/cmd/y", "action", true, 0)
    r.decide("a/cmd/z", "action", true, 0)
    t.deepEqual(r.decide("a/cmd/z", "action", true, 0), { verdict: "ignore", report: false })
    t.deepEqual(
        r.decide("a/cmd/x", "action", true, 0),
        { verdict: "ignore", report: true },
        "x was forgotten, so it is told again",
    )
})

test("the clearing command is one line a shell runs as printed", t => {
    t.is(clearRetainedCommand(T), "mosquitto_pub -r -n -t fieldlink/devices/b1/cmd/restart")
    t.is(
        clearRetainedCommand("my site/devices/b1/cmd/it's"),
        "mosquitto_pub -r -n -t 'my site/devices/b1/cmd/it'\\''s'",
    )
    t.is(shellWord(""), "''")
    t.is(shellWord("a$b"), "'a$b'")
})
