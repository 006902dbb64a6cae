/**
 * Starts one worker thread running ./thread (the compiled JavaScript, or the TypeScript
 * source when this module itself runs from source, as tests and benches do).
 */
import { Worker } from "node:worker_threads"
import type { WorkerSetup } from "./protocol.js"

export function spawnWorker(setup: WorkerSetup): Worker {
    const here = import.meta.url
    if (!here.endsWith(".ts")) return new Worker(new URL("./thread.js", here), { workerData: setup })
    // From source, the thread's TypeScript needs tsx in that thread too: on Node 20 a
    // worker does not inherit the loader hooks `--import tsx` installed in the main thread.
    const entry = new URL("./thread.ts", here).href
    const boot = `import("tsx/esm/api").then(api => { api.register(); return import(${JSON.stringify(entry)}) })`
    return new Worker(boot, { eval: true, workerData: setup })
}
