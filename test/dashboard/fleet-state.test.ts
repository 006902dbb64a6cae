// The dashboard's fleet model (pure, with a stepped clock): status and since when, the
// "duplicate id?" mark, the last hour of readings, gateways, forgetting.
import test from "ava"
import { FLAP_LIMIT, FLAP_WINDOW_MS, FleetState, HISTORY_MS } from "../../dashboard/fleet-state.js"

function fleet() {
    const clock = { now: 1_000_000 }
    const state = new FleetState("fieldlink", () => clock.now)
    return { clock, state }
}

test("status: since when it changed; a retained status seen at start-up is not an exact time", t => {
    const { clock, state } = fleet()
    state.apply("fieldlink/devices/a/status", "online", true)
    t.like(state.device("a"), { status: "online", since: 1_000_000, sinceExact: false })
    clock.now += 5000
    const events = state.apply("fieldlink/devices/a/status", "offline")
    t.like(events[0], {
        type: "device",
        device: { id: "a", status: "offline", since: 1_005_000, sinceExact: true, flapping: false },
    })
    t.deepEqual(
        state.apply("fieldlink/devices/a/status", "offline"),
        [],
        "the same status again is no change",
    )
    state.apply("fieldlink/devices/b/status", "online", false)
    t.true(state.device("b")!.sinceExact, "a live birth is an exact time")
})

test(`a status that changes more than ${FLAP_LIMIT} times a minute is marked, and the mark expires`, t => {
    const { clock, state } = fleet()
    state.apply("fieldlink/devices/twin/status", "online", true)
    for (let i = 0; i < FLAP_LIMIT; i++) {
        clock.now += 1000
        state.apply("fieldlink/devices/twin/status", i % 2 === 0 ? "offline" : "online")
    }
    t.false(state.device("twin")!.flapping, `${FLAP_LIMIT} changes are a few restarts, not a fight`)
    clock.now += 1000
    const [e] = state.apply("fieldlink/devices/twin/status", "offline")
    t.like(e, { type: "device", device: { flapping: true } })
    clock.now += FLAP_WINDOW_MS - 1000
    const expired = state.tick()
    t.deepEqual(
        expired.map(x => x.type === "device" && [x.device.id, x.device.flapping]),
        [["twin", false]],
    )
    t.deepEqual(state.tick(), [], "said once")
})

test("gateways flap the same way, and a gateway named in a device's info appears before its own status", t => {
    const { clock, state } = fleet()
    const events = state.apply(
        "fieldlink/devices/m/info",
        '{"transport":"serial","gateway":"gw1","board":"uno","fw":"2"}',
    )
    t.deepEqual(events.map(e => e.type).sort(), ["device", "gateway"])
    t.like(state.device("m"), { transport: "serial", gateway: "gw1", board: "uno", fw: "2" })
    t.like(state.gateway("gw1"), { status: "unknown" })
    state.apply("fieldlink/gateways/gw1/status", "online")
    for (let i = 0; i <= FLAP_LIMIT; i++) {
        clock.now += 100
        state.apply("fieldlink/gateways/gw1/status", i % 2 === 0 ? "offline" : "online")
    }
    t.true(state.gateway("gw1")!.flapping)
    state.apply(
        "fieldlink/gateways/gw1/stats",
        '{"totals":{"queued":3,"drops":1},"ports":{"/dev/ttyUSB0":{"open":true}}}',
    )
    t.deepEqual(state.gateway("gw1")!.stats, {
        totals: { queued: 3, drops: 1 },
        ports: { "/dev/ttyUSB0": { open: true } },
    })
})

test("readings: numeric keys only, charted at the time taken (age_ms), the last hour kept", t => {
    const { clock, state } = fleet()
    const events = state.apply(
        "fieldlink/devices/a/telemetry",
        '{"seq":1,"temperature_c":20,"note":"x","rssi":-60}',
    )
    t.deepEqual(events[1], {
        type: "points",
        id: "a",
        t: 1_000_000,
        values: { temperature_c: 20, rssi: -60 },
    })
    t.deepEqual(state.device("a")!.units, { temperature_c: "°C", rssi: "" })
    clock.now += 1000
    state.apply("fieldlink/devices/a/telemetry", '{"seq":3,"temperature_c":22}')
    // A queued sample delivered late goes where it belongs in time.
    state.apply("fieldlink/devices/a/telemetry", '{"seq":2,"temperature_c":21,"age_ms":500}')
    t.deepEqual(state.snapshot().devices[0].series.temperature_c, {
        t: [1_000_000, 1_000_500, 1_001_000],
        v: [20, 21, 22],
    })
    t.like(state.device("a")!.last, { seq: 2 })
    clock.now += HISTORY_MS
    state.apply("fieldlink/devices/a/telemetry", '{"seq":4,"temperature_c":23}')
    t.deepEqual(
        state.snapshot().devices[0].series.temperature_c,
        { t: [1_001_000, clock.now], v: [22, 23] },
        "older than an hour is dropped",
    )
    t.deepEqual(state.apply("fieldlink/devices/a/telemetry", "not json"), [])
})

test("a device is forgotten when its retained info is cleared; a gateway when its status is", t => {
    const { state } = fleet()
    state.apply("fieldlink/devices/a/status", "online")
    state.apply("fieldlink/devices/a/info", '{"board":"x"}')
    t.deepEqual(state.apply("fieldlink/devices/a/info", ""), [{ type: "remove", kind: "device", id: "a" }])
    t.is(state.device("a"), undefined)
    state.apply("fieldlink/gateways/g/status", "online")
    t.deepEqual(state.apply("fieldlink/gateways/g/status", ""), [
        { type: "remove", kind: "gateway", id: "g" },
    ])
})

test("topics outside the root, and bad ids, are ignored", t => {
    const { state } = fleet()
    t.deepEqual(state.apply("other/devices/a/status", "online"), [])
    t.deepEqual(state.apply("fieldlink/devices/a b/status", "online"), [])
    t.deepEqual(state.apply("fieldlink/devices/a/cmd/interval", "5000"), [])
    t.deepEqual(state.snapshot().devices, [])
})
