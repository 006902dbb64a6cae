// A TypeScript helper in a Node process of its own (the load generator, the line counter),
// driven over IPC: each request gets an id, its reply carries it back. Benches and tests
// use it so the helper's work never shares an event loop with what they measure.
//
//   const gen = startHelper<LoadRequest, LoadReply>(SERIAL_LOAD, [dir, "dev1"])
//   const ready = await gen.first
//   const reply = await gen.ask({ kind: "halt" })
//   await gen.stop()
import { fork, type ChildProcess } from "node:child_process"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { tieToParent } from "./cleanup.js"
import { sleep } from "./wait.js"

/** The helpers of this package: see their headers. */
export const SERIAL_LOAD = fileURLToPath(new URL("./serial-load.ts", import.meta.url))
export const LINE_COUNTER = fileURLToPath(new URL("./line-counter.ts", import.meta.url))

export interface Helper<Req, Rep> {
    readonly child: ChildProcess
    /** The helper's first message (its "ready"); rejects if it exits before sending one. */
    readonly first: Promise<Rep>
    /** Sends a request with a fresh id and resolves with the reply that carries it. */
    ask(request: Req extends unknown ? Omit<Req, "id"> : never): Promise<Rep>
    /** Asks it to stop ({ kind: "stop" }); SIGKILL when it has not exited within 5 s. */
    stop(): Promise<void>
}

/** Forks `file` (a .ts file, run through tsx like the tests) with `args`. */
export function startHelper<Req extends { kind: string }, Rep>(
    file: string,
    args: string[],
): Helper<Req, Rep> {
    const child = fork(file, args, {
        execArgv: ["--import=tsx", "--conditions=source"],
        stdio: ["ignore", "inherit", "inherit", "ipc"],
    })
    tieToParent(child)
    const name = path.basename(file)
    let nextId = 1
    const waiting = new Map<number, { resolve: (reply: Rep) => void; reject: (e: Error) => void }>()
    const first = new Promise<Rep>((resolve, reject) => {
        child.once("message", m => resolve(m as Rep))
        child.once("exit", code => reject(new Error(`${name} exited (${code}) before it was ready`)))
    })
    first.catch(() => undefined)
    child.on("message", (m: Rep & { id?: number }) => {
        if (m.id === undefined) return
        waiting.get(m.id)?.resolve(m)
        waiting.delete(m.id)
    })
    child.once("exit", (code, signal) => {
        for (const { reject } of waiting.values())
            reject(new Error(`${name} exited (${signal ?? code}) before it answered`))
        waiting.clear()
    })
    return {
        child,
        first,
        ask: request =>
            new Promise<Rep>((resolve, reject) => {
                if (!child.connected) return reject(new Error(`${name} is not running`))
                const id = nextId++
                waiting.set(id, { resolve, reject })
                child.send({ ...request, id })
            }),
        stop: async () => {
            if (child.exitCode !== null || child.signalCode !== null) return
            const exited = new Promise(r => child.once("exit", r))
            if (child.connected) child.send({ kind: "stop" })
            await Promise.race([exited, sleep(5000).then(() => child.kill("SIGKILL"))])
        },
    }
}
