/** Runs the `fieldlink` command as a user would: a child process of its bin (compiled JavaScript: `npm run build` first). */
import { spawn, type ChildProcess } from "node:child_process"
import { fileURLToPath } from "node:url"
import { tieToParent } from "./cleanup.js"

export const FIELDLINK_BIN = fileURLToPath(new URL("../../cli/bin/fieldlink.js", import.meta.url))

export interface CliResult {
    code: number | null
    stdout: string
    stderr: string
}

/** Runs to completion (bounded by `timeoutMs`, then SIGKILL), with `env` (default: this process's). */
export function runCli(
    args: string[],
    timeoutMs = 60000,
    env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, [FIELDLINK_BIN, ...args], {
            stdio: ["ignore", "pipe", "pipe"],
            env,
        })
        tieToParent(child)
        let stdout = ""
        let stderr = ""
        child.stdout!.on("data", d => (stdout += d))
        child.stderr!.on("data", d => (stderr += d))
        const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
        child.once("error", reject)
        child.once("close", code => {
            clearTimeout(timer)
            resolve({ code, stdout, stderr })
        })
    })
}

export interface RunningCli {
    child: ChildProcess
    output(): string
    exited: Promise<number | null>
}

/**
 * Starts a long-running command (sim, gateway); the caller stops it. `fileSizeLimitKb`
 * runs it under `ulimit -f` (through bash, which execs node: the pid is the command's).
 */
export function startCli(args: string[], options: { fileSizeLimitKb?: number } = {}): RunningCli {
    const command: [string, string[]] =
        options.fileSizeLimitKb === undefined
            ? [process.execPath, [FIELDLINK_BIN, ...args]]
            : [
                  "bash",
                  [
                      "-c",
                      `ulimit -f ${options.fileSizeLimitKb} && exec "$0" "$@"`,
                      process.execPath,
                      FIELDLINK_BIN,
                      ...args,
                  ],
              ]
    const child = spawn(...command, { stdio: ["ignore", "pipe", "pipe"] })
    tieToParent(child)
    let out = ""
    child.stdout!.on("data", d => (out += d))
    child.stderr!.on("data", d => (out += d))
    const exited = new Promise<number | null>(resolve => child.once("close", code => resolve(code)))
    return { child, output: () => out, exited }
}
