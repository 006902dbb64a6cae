// Scenario files: every mistake named with its line, path, what was found and what is expected.
import test from "ava"
import { parseScenario } from "../../sim/scenario/load.js"
import { ConfigError } from "../../lib/config/errors.js"
import { scenarioBoards } from "../../sim/scenario/devices.js"

function problems(text: string): string[] {
    try {
        parseScenario(text, "s.yaml")
    } catch (e) {
        if (e instanceof ConfigError) return e.problems
        throw e
    }
    throw new Error("expected the scenario to be refused")
}

test("a valid scenario gets its defaults and named faults", t => {
    const s = parseScenario(
        "name: ok\nduration: 10\nboards:\n  - { count: 2, idPrefix: w }\nfaults:\n  - { type: network-cut, target: w-1, at: 2 }\nexpect:\n  - { type: status, device: w-1, becomes: offline, after: network-cut-1, within: 2 }\n",
        "s.yaml",
    )
    t.like(s, { seed: 1, topicRoot: "fieldlink" })
    t.deepEqual(
        scenarioBoards(s).map(b => [b.deviceId, b.keepAliveSeconds, b.intervalMs]),
        [
            ["w-1", 30, 1000],
            ["w-2", 30, 1000],
        ],
    )
    t.like(s.faults[0], { name: "network-cut-1", for: 5 })
    t.true(Object.isFrozen(s))
})

test("schema mistakes: type, unknown key with a suggestion, unknown fault type, unknown expectation type", t => {
    const p = problems(
        [
            "name: x",
            "duration: ten",
            "boards:",
            "  - { id: a, keepalve: 3 }",
            "faults:",
            "  - { type: network-melt, at: 1, target: a }",
            "expect:",
            "  - { type: sometimes, device: a }",
        ].join("\n"),
    )
    t.true(p.includes('line 2: duration: found "ten", expected a number'), p.join("\n"))
    t.true(
        p.some(
            x =>
                x.startsWith('line 4: boards[0].keepalve: unknown key "keepalve"') &&
                x.includes('did you mean "keepalive"?'),
        ),
        p.join("\n"),
    )
    t.true(
        p.some(x => x.startsWith('line 6: faults[0].type: found "network-melt", expected one of')),
        p.join("\n"),
    )
    t.true(
        p.some(x =>
            x.startsWith(
                'line 8: expect[0].type: found "sometimes", expected one of "status", "stays", "telemetry", "no-telemetry-lost"',
            ),
        ),
        p.join("\n"),
    )
})

test("cross-field mistakes: missing target, target of nobody, fault past the end, unknown time reference, duplicate ids", t => {
    const p = problems(
        [
            "name: x",
            "duration: 10",
            "boards:",
            "  - { id: a }",
            "  - { id: a }",
            "faults:",
            "  - { name: cut, type: network-cut, at: 1 }",
            "  - { type: board-power-cut, target: zz, at: 8, for: 5 }",
            "expect:",
            "  - { type: status, device: a, becomes: online, after: nope.end, within: 3 }",
            "  - { type: telemetry, device: b-*, atLeast: 1 }",
        ].join("\n"),
    )
    t.deepEqual(p, [
        'line 5: boards[1]: device id "a" is used twice; ids must be unique',
        "line 7: faults[0]: found no target, expected the board id (or glob) that network-cut hits",
        'line 8: faults[1].target: found "zz", expected a board of this scenario (a, a)',
        "line 8: faults[1]: ends at 13 s, after the run (duration 10 s)",
        'line 10: expect[0].after: found "nope.end", expected a number of seconds, "end", or a fault or input name (cut, board-power-cut-2) optionally with .end',
        'line 11: expect[1].device: found "b-*", expected a device of this scenario (a, a)',
    ])
})

test("not a mapping, and YAML syntax errors, are named with their line", t => {
    t.deepEqual(problems(""), [
        "found an empty file, expected a mapping with name:, duration:, boards:, faults: and expect:",
    ])
    t.regex(problems("name: x\nduration: [1\n")[0], /^line \d+: /)
})

test("the physical faults: wifi-loss hits boards, serial-reset serial devices, gateway-power-cut the gateway; each mistake named", t => {
    const ok = parseScenario(
        [
            "name: ok",
            "duration: 30",
            "boards:",
            "  - { id: w }",
            "serial:",
            "  - { id: m }",
            "gateway: { keepalive: 4 }",
            "faults:",
            "  - { type: wifi-loss, target: w, at: 1 }",
            "  - { type: serial-reset, target: m, at: 1 }",
            "  - { type: gateway-power-cut, at: 10 }",
        ].join("\n"),
        "s.yaml",
    )
    t.deepEqual(ok.gateway, { id: "gw-sim", keepalive: 4 })
    t.deepEqual(
        ok.faults.map(f => f.name),
        ["wifi-loss-1", "serial-reset-2", "gateway-power-cut-3"],
    )
    const p = problems(
        [
            "name: x",
            "duration: 30",
            "boards:",
            "  - { id: w }",
            "faults:",
            "  - { type: wifi-loss, target: m, at: 1 }",
            "  - { type: serial-reset, target: w, at: 1 }",
            "  - { type: gateway-power-cut, target: w, at: 10 }",
        ].join("\n"),
    )
    t.true(
        p.includes('line 6: faults[0].target: found "m", expected a board of this scenario (w)'),
        p.join("\n"),
    )
    t.true(
        p.includes('line 7: faults[1].target: found "w", expected a serial device of this scenario (none)'),
        p.join("\n"),
    )
    t.true(
        p.includes("line 8: faults[2].target: gateway-power-cut hits the whole gateway; remove target"),
        p.join("\n"),
    )
    t.true(
        p.includes("line 8: faults[2]: gateway-power-cut needs serial devices: without them no gateway runs"),
        p.join("\n"),
    )
    t.deepEqual(problems("name: x\nduration: 30\ngateway: { keepalive: 0 }\n"), [
        "line 3: gateway.keepalive: found 0, expected a number from 1 to 65535",
    ])
})
