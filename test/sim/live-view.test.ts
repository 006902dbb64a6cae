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
