/**
 * `fieldlink sim SCENARIO [--check]`: runs a scenario file and reports its expectations.
 * With --check, a failed expectation makes the exit code 1 — what a CI job wants.
 */
import { ConfigError } from "@fieldlink/lib/config/errors"
import { buildFirmware, findProject } from "@fieldlink/devs-host/firmware"
import { describeProject } from "./project.js"
import { loadScenarioFile } from "@fieldlink/sim/scenario/load"
import { runScenario } from "@fieldlink/sim/scenario/run"
import { UsageError } from "@fieldlink/lib/cli/errors"

export interface ScenarioCommandOptions {
    file: string
    check: boolean
    broker?: URL
    verbose: boolean
    /** Worker threads for the boards (default: one per core). */
    workers?: number
}

export async function scenarioCommand(o: ScenarioCommandOptions): Promise<number> {
    let scenario
    try {
        scenario = loadScenarioFile(o.file)
    } catch (e) {
        if (e instanceof ConfigError) throw new UsageError(`fieldlink sim: ${e.message}`)
        throw e
    }
    const stamp = () => new Date().toISOString().slice(11, 23)
    const project = findProject()
    console.log(
        `${stamp()}  scenario "${scenario.name}" (${o.file}), seed ${scenario.seed}; building ${describeProject(project)}...`,
    )
    const firmware = await buildFirmware({ project })
    const report = await runScenario(scenario, {
        program: firmware.bytecode,
        services: firmware.services,
        broker: o.broker,
        workers: o.workers,
        onLine: line => console.log(`${stamp()}  ${line}`),
        onBoardLog: o.verbose ? (id, line) => console.log(`${stamp()}  ${id.padEnd(12)} ${line}`) : undefined,
    })
    const failed = report.results.filter(r => !r.ok).length
    console.log(`\nexpectations of "${scenario.name}":`)
    for (const r of report.results) console.log(`  ${r.ok ? "✔" : "✘"} ${r.text}`)
    console.log(
        `\n${report.results.length - failed} of ${report.results.length} expectations met${failed > 0 ? `; ${failed} not met` : ""}`,
    )
    return o.check && failed > 0 ? 1 : 0
}
