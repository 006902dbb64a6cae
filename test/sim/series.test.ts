// A recorded sensor series from a CSV file, as a scenario waveform.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import test from "ava"
import { parseSeriesCsv, seriesValue } from "../../sim/series.js"
import { loadScenarioFile } from "../../sim/scenario/load.js"
import { signal } from "../../sim/waveforms.js"

test("a CSV series: header skipped, values interpolated between points, held outside them, looped on request", t => {
    const points = parseSeriesCsv("time_s,soil\n0,0.30\n10,0.50\n# a comment\n20,0.40\n")
    t.deepEqual(points, [
        [0, 0.3],
        [10, 0.5],
        [20, 0.4],
    ])
    t.is(seriesValue(points, -1, false), 0.3)
    t.is(seriesValue(points, 5, false), 0.4)
    t.is(seriesValue(points, 15, false), 0.45)
    t.is(seriesValue(points, 99, false), 0.4)
    t.is(seriesValue(points, 25, true), 0.4)
    t.is(signal({ type: "series", points }, 1)(10), 0.5)
})

test("a bad CSV line or a time going backwards is named with its line", t => {
    t.throws(() => parseSeriesCsv("0,1\n5,x\n0,2\n"), {
        message:
            'line 2: found "5,x", expected time_s,value (two numbers); line 3: time 0 s does not come after 0 s; expected increasing times',
    })
    t.throws(() => parseSeriesCsv("time,value\n"), {
        message: "found no points, expected lines of time_s,value",
    })
})

test("a scenario's series file is read relative to the scenario; a missing one is a located error", t => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "fieldlink-series-"))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    writeFileSync(path.join(dir, "soil.csv"), "0,0.2\n60,0.8\n")
    writeFileSync(
        path.join(dir, "ok.yaml"),
        "name: s\nduration: 5\nboards:\n  - { id: g, soilMoisture: { type: series, file: soil.csv } }\n",
    )
    const s = loadScenarioFile(path.join(dir, "ok.yaml"))
    t.deepEqual(s.boards[0].soilMoisture, {
        type: "series",
        file: "soil.csv",
        loop: false,
        points: [
            [0, 0.2],
            [60, 0.8],
        ],
    })
    writeFileSync(
        path.join(dir, "bad.yaml"),
        "name: s\nduration: 5\nboards:\n  - { id: g, soilMoisture: { type: series, file: nope.csv } }\n",
    )
    t.throws(() => loadScenarioFile(path.join(dir, "bad.yaml")), {
        message: /line 4: boards\[0\]\.soilMoisture\.file: nope\.csv: no such file|nope\.csv: no such file/,
    })
})
