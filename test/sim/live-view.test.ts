// The live view of `fieldlink sim`: a device whose status flaps more than a few times a
// minute is marked "duplicate id?".
import test from "ava"
import { PassThrough } from "node:stream"
import { FLAPS_PER_MIN, LiveView, renderView } from "../../sim/live-view.js"

function view(): LiveView {
    return new LiveView(new PassThrough() as unknown as NodeJS.WriteStream, () => "test")
}

test("a status flapping more than a few times a minute is marked 'duplicate id?'; a steady one and old flaps are not", t => {
    const v = view()
    const t0 = 1_000_000
    let now = t0
    for (let i = 0; i < FLAPS_PER_MIN + 1; i++) {
        v.event({ deviceId: "twin", kind: "status", text: "online" }, (now += 1000))
        v.event({ deviceId: "twin", kind: "status", text: "offline" }, (now += 1000))
    }
    v.event({ deviceId: "twin", kind: "status", text: "online" }, (now += 1000))
    v.event({ deviceId: "steady", kind: "status", text: "online" }, now)
    v.event({ deviceId: "steady", kind: "status", text: "offline" }, now)
    v.event({ deviceId: "steady", kind: "status", text: "online" }, now)
    const text = renderView(v.table, now, "header")
    const row = (id: string) => text.split("\n").find(l => l.startsWith(id)) ?? ""
    t.regex(row("twin"), /online .*⚠ duplicate id\? status flapped 4×\/min$/)
    t.notRegex(row("steady"), /duplicate id/)
    // A minute later the flaps have aged out.
    const later = renderView(v.table, now + 61_000, "header")
    t.notRegex(later, /duplicate id/)
    // Exactly FLAPS_PER_MIN is not enough.
    const few = view()
    for (let i = 0; i < FLAPS_PER_MIN; i++) {
        few.event({ deviceId: "x", kind: "status", text: "online" }, t0 + i)
        few.event({ deviceId: "x", kind: "status", text: "offline" }, t0 + i)
    }
    t.notRegex(renderView(few.table, t0 + 10, "h"), /duplicate id/)
})

test("a fleet larger than the terminal: totals, the rows that need a look first, and a count of the rest", t => {
    const v = view()
    const now = 2_000_000
    for (let i = 1; i <= 1000; i++) {
        v.event({ deviceId: `sim-${i}`, kind: "status", text: i === 777 ? "offline" : "online" }, now)
        v.event({ deviceId: `sim-${i}`, kind: "telemetry", text: '{"seq":1}' }, now)
    }
    const lines = renderView(v.table, now, "header", 5).split("\n")
    t.is(lines[1], "1000 device(s): 999 online, 1 not; 1000 msg/min")
    t.deepEqual(
        lines.slice(3, 8).map(l => l.split(" ")[0]),
        ["sim-777", "sim-1", "sim-2", "sim-3", "sim-4"],
    )
    t.is(lines[8], "… and 995 more (those not online, or flapping, are listed first)")
    t.is(lines.length, 9)
    // A fleet that fits is shown whole, in id order (sim-2 before sim-10).
    const whole = renderView(v.table, now, "header").split("\n")
    t.is(whole.length, 3 + 1000)
    t.true(whole[4].startsWith("sim-2 "))
})
