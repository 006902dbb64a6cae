// The expectations a device author writes about their own program, on observed events
// (pure: no VM). The scenario file's inputs and their mistakes are checked too.
import test from "ava"
import { checkExpectations, type ObservedEvent } from "../../sim/scenario/expect.js"
import { parseScenario } from "../../sim/scenario/load.js"
import { servedRoles, UnservedRoleError } from "../../devs-host/roles.js"

const devices = ["garden-1"]
const named = [{ name: "water", at: 4, for: 0 }]
const sample = (t: number, soil: number): ObservedEvent => ({
    t,
    device: "garden-1",
    kind: "telemetry",
    value: JSON.stringify({ seq: Math.round(t), soil_pct: soil }),
})
const relay = (t: number, state: string): ObservedEvent => ({
    t,
    device: "garden-1",
    kind: "actuator",
    value: `relay=${state}`,
})
const log = (t: number, line: string): ObservedEvent => ({ t, device: "garden-1", kind: "log", value: line })

test("reading: every sample within the range, or the first one outside it", t => {
    const events = [sample(1, 40), sample(2, 45), sample(3, 61)]
    const [inside, outside, none] = checkExpectations(
        [
            { type: "reading", device: "garden-1", field: "soil_pct", min: 30, max: 50, from: 0, to: 2.5 },
            { type: "reading", device: "garden-1", field: "soil_pct", max: 60, from: 0, to: "end" },
            { type: "reading", device: "garden-1", field: "lux", min: 0, from: 0, to: "end" },
        ],
        events,
        devices,
        named,
        10,
    )
    t.true(inside.ok, inside.text)
    t.false(outside.ok)
    t.is(outside.text, "garden-1 soil_pct should stay within -∞..60; at t=3.0 s it was 61")
    t.false(none.ok)
    t.regex(none.text, /at t=1\.0 s it was no number/)
})

test("crosses: from one side of the value to the other, not merely beyond it", t => {
    const rising = [sample(1, 40), sample(2, 55), sample(3, 65)]
    const [up, down, already] = checkExpectations(
        [
            { type: "crosses", device: "garden-1", field: "soil_pct", above: 60, from: 0, to: "end" },
            { type: "crosses", device: "garden-1", field: "soil_pct", below: 30, from: 0, to: "end" },
            { type: "crosses", device: "garden-1", field: "soil_pct", above: 30, from: 1.5, to: "end" },
        ],
        rising,
        devices,
        named,
        10,
    )
    t.true(up.ok, up.text)
    t.regex(up.text, /crossed above 60 at t=3\.0 s \(65\)/)
    t.false(down.ok)
    t.regex(down.text, /values 40\.\.65/)
    t.false(already.ok, "above 30 the whole window: no crossing seen")
})

test("actuator: in the state within the bound after an input; late or never fails and says which", t => {
    const [onTime, late, offBefore, never] = checkExpectations(
        [
            {
                type: "actuator",
                device: "garden-1",
                actuator: "relay",
                state: "on",
                after: "water",
                within: 2,
            },
            {
                type: "actuator",
                device: "garden-1",
                actuator: "relay",
                state: "on",
                after: "water",
                within: 0.5,
            },
            { type: "actuator", device: "garden-1", actuator: "relay", state: "off", after: 3, within: 0 },
            { type: "actuator", device: "garden-1", actuator: "relay", state: "off", after: 6, within: 2 },
        ],
        [relay(5.2, "on")],
        devices,
        named,
        10,
    )
    t.true(onTime.ok, onTime.text)
    t.false(late.ok)
    t.regex(late.text, /only after 1\.2 s/)
    t.true(offBefore.ok, "off by default until the program switches it")
    t.false(never.ok)
    t.regex(never.text, /it was never/)
})

test("log: a line containing the text within the bound", t => {
    const [seen, missing] = checkExpectations(
        [
            { type: "log", device: "garden-1", contains: "pump on", after: "water", within: 1 },
            { type: "log", device: "garden-1", contains: "pump off", after: "water", within: 5 },
        ],
        [log(1, "fieldlink: online"), log(4.3, "pump on")],
        devices,
        named,
        10,
    )
    t.true(seen.ok, seen.text)
    t.false(missing.ok)
})

test("scenario inputs: a command or a press on a board of the scenario, named for expectations; mistakes located", t => {
    const s = parseScenario(
        "name: ok\nduration: 10\nboards:\n  - { id: g }\ninputs:\n  - { name: water, at: 4, device: g, command: pump, payload: 'on' }\n  - { at: 5, device: g, press: button }\nexpect:\n  - { type: actuator, device: g, state: 'on', after: water, within: 2 }\n",
        "s.yaml",
    )
    t.is(s.inputs[1].name, "input-2")
    t.is(s.inputs[1].ms, 200)
    const e = t.throws(() =>
        parseScenario(
            "name: bad\nduration: 10\nboards:\n  - { id: g }\ninputs:\n  - { at: 4, device: h, command: pump }\n  - { at: 5, device: g }\nexpect:\n  - { type: reading, device: g, field: soil_pct }\n  - { type: log, device: g, contains: x, after: nothing, within: 1 }\n",
            "s.yaml",
        ),
    )!
    t.regex(e.message, /inputs\[0\]\.device|line 6/)
    t.regex(e.message, /found "h", expected a board of this scenario \(g\)/)
    t.regex(e.message, /found neither command nor press, expected exactly one of them/)
    t.regex(e.message, /found neither min nor max/)
    t.regex(e.message, /found "nothing", expected a number of seconds, "end", or a fault or input name/)
})

test("roles: the sensors and actuators a program uses are served; any other role is named in the error", t => {
    const served = servedRoles([
        { name: "Base service", classIdentifier: 536870899 },
        { name: "Settings", classIdentifier: 285727818 },
        { name: "Soil moisture", classIdentifier: 491430835 },
        { name: "Relay", classIdentifier: 406840918 },
    ])
    t.deepEqual(served, { sensors: ["soilMoisture"], actuators: ["relay"] })
    const e = t.throws(() => servedRoles([{ name: "Accelerometer", classIdentifier: 0x1f140409 }]), {
        instanceOf: UnservedRoleError,
    })!
    t.regex(
        e.message,
        /the simulator cannot serve: Accelerometer \(0x1f140409\); it serves temperature, humidity, .*relay, button/,
    )
})
