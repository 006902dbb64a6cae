import os from "node:os"

/**
 * The sim bench's command-line options. `bench/run.ts` hands every `--…` option to every
 * script bench, so options meant for another bench are ignored rather than refused.
 */

export interface SimBenchOptions {
    /** Board counts, climbed in order. */
    ladder: number[]
    settleMs: number
    windowMs: number
    intervalMs: number
    /** The whole bench stops climbing when the next rung would end past this. */
    budgetMs: number
    embedded: boolean
    /** Run only this many boards, with the board host under --cpu-prof, and summarise. */
    profile: number | undefined
    /** Keep the profile files (.cpuprofile, one per worker) and print where they are. */
    keepProfile: boolean
    seed: number
    /** Boards starting at once, in each worker. */
    startConcurrency: number
    /** Worker threads the boards are spread over (`fieldlink sim --workers`). */
    workers: number
}

const DEFAULTS: SimBenchOptions = {
    ladder: [10, 100, 200, 400, 600, 800, 1000, 1200, 1500, 2000],
    settleMs: 5000,
    windowMs: 20_000,
    intervalMs: 1000,
    budgetMs: 900_000,
    embedded: false,
    profile: undefined,
    keepProfile: false,
    seed: 1,
    // A fleet's start-up is mostly waiting on each board's bus, so a few at once bring it
    // up several times faster; many more only queue behind each other on the one event
    // loop until their Jacdac requests miss the 500 ms deadline.
    startConcurrency: 8,
    // As `fieldlink sim`: one per core.
    workers: os.availableParallelism(),
}

const QUICK: Partial<SimBenchOptions> = {
    ladder: [10, 100, 200],
    settleMs: 3000,
    windowMs: 10_000,
    budgetMs: 120_000,
}

function positive(name: string, text: string): number {
    const value = Number(text)
    if (!Number.isInteger(value) || value <= 0) {
        throw new Error(`Option --${name}=${text}: expected a whole number greater than 0.`)
    }
    return value
}

/** Parses `--name=value` options (and the flags `--quick`, `--embedded`, `--keep-profile`). */
export function parseOptions(args: readonly string[]): SimBenchOptions {
    const options = { ...DEFAULTS, ...(args.includes("--quick") ? QUICK : {}) }
    for (const arg of args) {
        const m = /^--([a-z-]+)=(.*)$/.exec(arg)
        if (arg === "--embedded") options.embedded = true
        if (arg === "--keep-profile") options.keepProfile = true
        if (!m) continue
        const [, name, value] = m
        if (name === "ladder") options.ladder = value.split(",").map(n => positive(name, n))
        else if (name === "window") options.windowMs = positive(name, value) * 1000
        else if (name === "settle") options.settleMs = positive(name, value) * 1000
        else if (name === "budget") options.budgetMs = positive(name, value) * 1000
        else if (name === "profile") options.profile = positive(name, value)
        else if (name === "seed") options.seed = positive(name, value)
        else if (name === "concurrency") options.startConcurrency = positive(name, value)
        else if (name === "workers") options.workers = positive(name, value)
    }
    return options
}
