// parseFleetTopic: the topic layout of DESIGN §1 read back, for watchers of the fleet.
import test from "ava"
import { deviceTopic, gatewayTopic, parseFleetTopic } from "../../protocol/fieldlink-topics.js"

test("device and gateway topics are read back to what built them", t => {
    t.deepEqual(parseFleetTopic("fieldlink", deviceTopic("fieldlink", "sim-1", "status")), {
        kind: "device",
        id: "sim-1",
        leaf: "status",
    })
    t.deepEqual(parseFleetTopic("fieldlink", deviceTopic("fieldlink", "sim-1", "cmd/interval")), {
        kind: "device",
        id: "sim-1",
        leaf: "cmd/interval",
    })
    t.deepEqual(parseFleetTopic("site/a", gatewayTopic("site/a", "gw", "stats")), {
        kind: "gateway",
        id: "gw",
        leaf: "stats",
    })
})

test("anything else is null", t => {
    for (const topic of [
        "fieldlink",
        "fieldlink/",
        "fieldlinks/devices/a/status",
        "fieldlink/devices/a",
        "fieldlink/devices/a/",
        "fieldlink/devices//status",
        "fieldlink/things/a/status",
        "other/devices/a/status",
    ])
        t.is(parseFleetTopic("fieldlink", topic), null, topic)
})
