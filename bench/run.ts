/**
 * Runs the benches under bench/, in name order, one after the other. A bench is a folder
 * holding either
 *
 *  - `index.ts` exporting `run({ signal })` (and optionally a `title`): run in this
 *    process; it prints its own output and stops what it started when `signal` aborts;
 *  - or `run.ts`, a script of its own: run as a child process (same Node, same loader),
 *    its exit code telling success.
 *
 *     node --import tsx --conditions=source bench/run.ts                  every bench
 *     node --import tsx --conditions=source bench/run.ts firmware         only the named ones
 *     node --import tsx --conditions=source bench/run.ts gateway --quick  options (--…) go to script benches
 *
 * Ctrl-C aborts the running bench, which stops what it started. The exit code is 1 when
 * any bench failed.
 */
import { spawn } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

interface InProcessBench {
    title?: string
    run(context: { signal: AbortSignal }): Promise<void>
}

const here = fileURLToPath(new URL(".", import.meta.url))

/** The bench's entry file and how to run it, or undefined for a folder that is no bench. */
function entryOf(name: string): { kind: "module" | "script"; file: string } | undefined {
    const index = join(here, name, "index.ts")
    if (existsSync(index)) return { kind: "module", file: index }
    const script = join(here, name, "run.ts")
    if (existsSync(script)) return { kind: "script", file: script }
    return undefined
}

const found = readdirSync(here, { withFileTypes: true })
    .filter(entry => entry.isDirectory() && entryOf(entry.name) !== undefined)
    .map(entry => entry.name)
    .sort()
const args = process.argv.slice(2)
const options = args.filter(arg => arg.startsWith("--"))
const wanted = args.filter(arg => !arg.startsWith("--"))
const unknown = wanted.filter(name => !found.includes(name))
if (unknown.length > 0) {
    console.error(
        `No bench named ${unknown.join(", ")}: expected one of ${found.join(", ") || "(none found)"}.`,
    )
    process.exit(2)
}

const abort = new AbortController()
process.once("SIGINT", () => {
    console.error("\ninterrupted: stopping the running bench ...")
    abort.abort(new Error("interrupted"))
})

/** Runs a script bench to its end; rejects when it fails. The child is stopped on abort. */
function runScript(file: string, signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [...process.execArgv, file, ...options], { stdio: "inherit" })
        const stop = () => child.kill("SIGINT")
        signal.addEventListener("abort", stop, { once: true })
        child.once("error", reject)
        child.once("exit", (code, sig) => {
            signal.removeEventListener("abort", stop)
            if (code === 0) resolve()
            else reject(new Error(`${file} exited with ${sig ? `signal ${sig}` : `code ${code}`}`))
        })
    })
}

let failures = 0
for (const name of wanted.length > 0 ? wanted : found) {
    const entry = entryOf(name)!
    const bench =
        entry.kind === "module"
            ? ((await import(pathToFileURL(entry.file).href)) as InProcessBench)
            : undefined
    console.log(`\n=== bench ${name}${bench?.title ? `: ${bench.title}` : ""} ===`)
    const started = Date.now()
    try {
        if (bench) await bench.run({ signal: abort.signal })
        else await runScript(entry.file, abort.signal)
        console.log(`\n--- bench ${name}: done in ${Math.round((Date.now() - started) / 1000)} s`)
    } catch (error) {
        failures++
        const seconds = Math.round((Date.now() - started) / 1000)
        console.error(
            `\n--- bench ${name}: FAILED after ${seconds} s: ${(error as Error).stack ?? String(error)}`,
        )
    }
    if (abort.signal.aborted) break
}
process.exitCode = failures > 0 ? 1 : 0
