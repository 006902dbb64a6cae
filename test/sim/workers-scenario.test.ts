// A scenario whose boards are spread over two worker threads: a fault addressed to a
// board by id must reach the worker that runs it (and only that board), and the report
// is assembled from what every worker's boards did. The real firmware, against mosquitto.
import test from "ava"
import { runScenario } from "../../sim/scenario/run.js"
import { parseScenario } from "../../sim/scenario/load.js"
import { firmwareProgram } from "../support/firmware.js"
import { mosquittoAvailable, startMosquitto } from "../support/mosquitto.js"

const SCENARIO = `
name: faults across workers
seed: 5
duration: 16
boards:
  - { count: 2, idPrefix: w, keepalive: 2, interval: 1000 }
faults:
  - { name: cut, type: network-cut, target: w-2, at: 2, for: 3 }
expect:
  # A reset link: the will at once, for the board on the second worker.
  - { type: status, device: w-2, becomes: offline, after: cut, within: 1.5 }
  - { type: status, device: w-2, becomes: online, after: cut.end, within: 11 }
  # Its log lines cross the thread too.
  - { type: log, device: w-2, contains: "online", after: cut.end, within: 11 }
  # The board on the first worker never saw the fault.
  - { type: stays, device: w-1, status: online, from: 1, to: end }
  - { type: telemetry, device: w-1, atLeast: 10, from: 1, to: end }
`

const available = mosquittoAvailable()
if (available.ok) {
    test("a fault addressed to a board by id reaches it on the second worker, and only it", async t => {
        const m = await startMosquitto()
        t.teardown(() => m.stop())
        const lines: string[] = []
        const report = await runScenario(parseScenario(SCENARIO, "workers.yaml"), {
            program: await firmwareProgram(),
            broker: new URL(m.url),
            workers: 2,
            onLine: line => lines.push(line),
        })
        t.true(
            lines.some(l => /worker 1: w-1 · worker 2: w-2/.test(l)),
            lines.join("\n"),
        )
        for (const r of report.results) t.true(r.ok, r.text)
        t.true(report.ok)
    })
} else {
    test("scenario across workers (skipped: " + available.reason + ")", t => t.pass())
}
