/**
 * An exclusive lock between processes: a file created with O_EXCL holding the owner's
 * pid. A lock whose owner has died (a killed build, an interrupted test run) is taken
 * over, so nothing waits on a ghost; a live owner is waited for, up to a deadline.
 *
 *   const release = await takeLockFile(path, { deadlineMs: 60_000 })
 *   try { … } finally { await release() }
 */
import { open, readFile, rm } from "node:fs/promises"

export interface LockOptions {
    /** Give up (throw, naming the holder) after this long. */
    deadlineMs: number
}

/** true when a process with this pid exists (EPERM: it does, owned by another user). */
export function processAlive(pid: number): boolean {
    try {
        process.kill(pid, 0)
        return true
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM"
    }
}

/** Takes the lock at `lockPath` (its folder must exist); resolves with its release. */
export async function takeLockFile(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
    const giveUp = Date.now() + options.deadlineMs
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
        try {
            const handle = await open(lockPath, "wx")
            await handle.writeFile(String(process.pid))
            await handle.close()
            return () => rm(lockPath, { force: true })
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
        }
        const owner = Number(await readFile(lockPath, "utf8").catch(() => ""))
        if (owner > 0 && !processAlive(owner)) {
            await rm(lockPath, { force: true })
            continue
        }
        if (Date.now() > giveUp)
            throw new Error(
                `waited ${options.deadlineMs} ms for the lock ${lockPath} (held by process ${owner || "unknown"}); if no such process runs, delete the file`,
            )
        await new Promise(resolve => setTimeout(resolve, wait))
    }
}
