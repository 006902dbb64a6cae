/**
 * Scenario files: YAML or JSON → schema check (defaults filled) → checks that span
 * fields → one frozen Scenario. Every mistake is reported at once, with its line.
 */
import { ConfigError } from "@fieldlink/lib/config/errors"
import { parseSourceText, readSourceFile, type SourceDocument } from "@fieldlink/lib/config/document"
import { locate, validateDocument } from "@fieldlink/lib/config/validate"
import { matchDevices } from "./expect.js"
import { scenarioBoards } from "./devices.js"
import { SCENARIO_SCHEMA } from "./schema.js"
import type { Scenario, TimeRef } from "./types.js"
import type { Waveform } from "../waveforms.js"
import { parseSeriesCsv } from "../series.js"
import { readFileSync } from "node:fs"
import path from "node:path"

/** Faults that hit WiFi boards, and faults that hit serial devices; the rest hit the broker or the gateway. */
const BOARD_FAULTS = new Set([
    "network-cut",
    "network-blackhole",
    "wifi-loss",
    "network-delay",
    "board-power-cut",
])
const SERIAL_FAULTS = new Set(["serial-unplug", "serial-silence", "serial-garbage", "serial-reset"])
const GATEWAY_FAULTS = new Set(["gateway-kill", "gateway-power-cut"])

function crossCheck(s: Scenario, doc: SourceDocument): string[] {
    const problems: string[] = []
    const at = (path: (string | number)[], message: string) =>
        problems.push(`${locate(doc, path)}: ${message}`)

    s.boards.forEach((g, i) => {
        if ((g.id === undefined) === (g.count === undefined))
            at(
                ["boards", i],
                "found " +
                    (g.id === undefined ? "neither id nor count" : "both id and count") +
                    ", expected exactly one of them",
            )
    })
    const devices: string[] = []
    s.boards.forEach((g, i) => {
        for (const b of scenarioBoards({ ...s, boards: [g] })) {
            if (devices.includes(b.deviceId))
                at(["boards", i], `device id "${b.deviceId}" is used twice; ids must be unique`)
            devices.push(b.deviceId)
        }
    })

    const boardIds = [...devices]
    s.serial.forEach((d, i) => {
        if (devices.includes(d.id))
            at(["serial", i, "id"], `device id "${d.id}" is used twice; ids must be unique`)
        devices.push(d.id)
    })
    const serialIds = s.serial.map(d => d.id)

    const names = new Set<string>()
    s.faults.forEach((f, i) => {
        f.name ??= `${f.type}-${i + 1}`
        if (names.has(f.name)) at(["faults", i, "name"], `"${f.name}" names two faults; names must be unique`)
        names.add(f.name)
        const pool = BOARD_FAULTS.has(f.type) ? boardIds : SERIAL_FAULTS.has(f.type) ? serialIds : undefined
        const what = BOARD_FAULTS.has(f.type) ? "board" : "serial device"
        if (pool) {
            if (f.target === undefined)
                at(["faults", i], `found no target, expected the ${what} id (or glob) that ${f.type} hits`)
            else if (matchDevices(f.target, pool).length === 0)
                at(
                    ["faults", i, "target"],
                    `found "${f.target}", expected a ${what} of this scenario (${pool.join(", ") || "none"})`,
                )
        } else if (f.target !== undefined)
            at(
                ["faults", i, "target"],
                `${f.type} hits the whole ${GATEWAY_FAULTS.has(f.type) ? "gateway" : "broker"}; remove target`,
            )
        if (GATEWAY_FAULTS.has(f.type) && serialIds.length === 0)
            at(["faults", i], `${f.type} needs serial devices: without them no gateway runs`)
        if (f.type === "network-delay" && f.delayMs === undefined)
            at(["faults", i], "found no delayMs, expected the latency network-delay adds, in ms")
        if (f.at + f.for > s.duration)
            at(["faults", i], `ends at ${f.at + f.for} s, after the run (duration ${s.duration} s)`)
    })

    s.inputs.forEach((input, i) => {
        input.name ??= `input-${i + 1}`
        if (names.has(input.name))
            at(
                ["inputs", i, "name"],
                `"${input.name}" is already the name of a fault or input; names must be unique`,
            )
        names.add(input.name)
        if ((input.command === undefined) === (input.press === undefined))
            at(
                ["inputs", i],
                `found ${input.command === undefined ? "neither command nor press" : "both command and press"}, expected exactly one of them`,
            )
        if (matchDevices(input.device, boardIds).length === 0)
            at(
                ["inputs", i, "device"],
                `found "${input.device}", expected a board of this scenario (${boardIds.join(", ") || "none"})`,
            )
        if (input.at > s.duration)
            at(
                ["inputs", i, "at"],
                `found ${input.at}, expected a time within the run (0 to ${s.duration} s)`,
            )
    })

    const timeOk = (ref: TimeRef) =>
        typeof ref === "number" ? ref <= s.duration : ref === "end" || names.has(ref.replace(/\.end$/, ""))
    s.expect.forEach((x, i) => {
        if (matchDevices(x.device, devices).length === 0)
            at(
                ["expect", i, "device"],
                `found "${x.device}", expected a device of this scenario (${devices.join(", ") || "none"})`,
            )
        if (x.type === "reading" && x.min === undefined && x.max === undefined)
            at(["expect", i], "found neither min nor max, expected the range the reading must stay in")
        if (x.type === "crosses" && (x.above === undefined) === (x.below === undefined))
            at(["expect", i], "expected exactly one of above: or below:, the value the reading crosses")
        const refs: [string, TimeRef][] =
            "after" in x
                ? [["after", x.after]]
                : [
                      ["from", x.from],
                      ["to", x.to],
                  ]
        for (const [key, ref] of refs)
            if (!timeOk(ref))
                at(
                    ["expect", i, key],
                    typeof ref === "number"
                        ? `found ${ref}, expected a time within the run (0 to ${s.duration} s)`
                        : `found "${ref}", expected a number of seconds, "end", or a fault or input name (${[...names].join(", ") || "none"}) optionally with .end`,
                )
    })
    return problems
}

const WAVEFORM_KEYS = [
    "temperature",
    "humidity",
    "soilMoisture",
    "illuminance",
    "airPressure",
    "lightLevel",
] as const

/** Reads each `series` waveform's CSV file (relative to the scenario) into its points. */
function loadSeries(s: Scenario, doc: SourceDocument): string[] {
    const problems: string[] = []
    const groups: [string, number, Record<string, unknown>][] = [
        ...s.boards.map(
            (g, i) =>
                ["boards", i, g as unknown as Record<string, unknown>] as [
                    string,
                    number,
                    Record<string, unknown>,
                ],
        ),
        ...s.serial.map(
            (d, i) =>
                ["serial", i, d as unknown as Record<string, unknown>] as [
                    string,
                    number,
                    Record<string, unknown>,
                ],
        ),
    ]
    for (const [list, i, group] of groups) {
        for (const key of WAVEFORM_KEYS) {
            const w = group[key] as Waveform | undefined
            if (w?.type !== "series" || w.file === undefined) continue
            const file = path.resolve(path.dirname(doc.source), w.file)
            try {
                w.points = parseSeriesCsv(readFileSync(file, "utf8"))
            } catch (e) {
                const why =
                    (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message
                problems.push(`${locate(doc, [list, i, key, "file"])}: ${w.file}: ${why}`)
            }
        }
    }
    return problems
}

export function scenarioFromDocument(doc: SourceDocument): Scenario {
    if (doc.value === null || typeof doc.value !== "object" || Array.isArray(doc.value))
        throw new ConfigError(doc.source, [
            `found ${doc.value === null ? "an empty file" : "no mapping"}, expected a mapping with name:, duration:, boards:, faults: and expect:`,
        ])
    const s = validateDocument<Scenario>(SCENARIO_SCHEMA as unknown as Record<string, unknown>, doc)
    const problems = [...crossCheck(s, doc), ...loadSeries(s, doc)]
    if (problems.length > 0) throw new ConfigError(doc.source, problems)
    return Object.freeze(s)
}

export function loadScenarioFile(file: string): Scenario {
    return scenarioFromDocument(readSourceFile(file))
}

export function parseScenario(text: string, source: string): Scenario {
    return scenarioFromDocument(parseSourceText(text, source))
}
