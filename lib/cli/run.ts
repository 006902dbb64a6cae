/**
 * Runs a command and turns its outcome into an exit code, the same for `fieldlink
 * <command>` and for a command installed on its own (`fieldlink-gateway`):
 * 0 success, 1 failure at run time, 2 a usage mistake (printed as-is, no stack).
 */
import { UsageError } from "./errors.js"

export async function exitCodeOf(label: string, run: () => Promise<number>): Promise<number> {
    try {
        return await run()
    } catch (e) {
        if (e instanceof UsageError) {
            console.error(e.message)
            return 2
        }
        console.error(`${label}: ${(e as Error).message}`)
        return 1
    }
}

/**
 * Resolves at the first SIGINT or SIGTERM. Called early, it makes Ctrl-C during start-up
 * end in the caller's graceful stop too.
 */
export function stopSignal(): Promise<NodeJS.Signals> {
    return new Promise(resolve => {
        process.once("SIGINT", resolve)
        process.once("SIGTERM", resolve)
    })
}
