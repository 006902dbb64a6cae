/**
 * An exclusive lock between processes: a file created with O_EXCL holding the owner's
 * pid. A lock whose owner has died (a killed build, an interrupted test run, a power cut)
 * is taken over, so nothing waits on a ghost; a live owner is waited for, up to a deadline.
 *
 * A pid alone is not enough after a power cut: the system hands pids out again from the
 * start at boot, so the pid in a lock left from before may belong to some other process
 * now, and the lock would be held for ever. The file also records the boot and the
 * owner's start time (Linux /proc); a live pid whose record differs is a stale lock.
 *
 *   const release = await takeLockFile(path, { deadlineMs: 60_000 })
 *   try { … } finally { await release() }
 */
import { readFileSync } from "node:fs"
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

/** The boot and the start time of process `pid` (Linux); "" where /proc cannot tell. */
export function processIdentity(pid: number): string {
    try {
        const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim()
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
        // Fields after the command name (which may hold spaces, in parentheses): the
        // start time is field 22 of stat(5), the 20th after the name.
        const startTime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]
        return startTime ? `${boot}/${startTime}` : ""
    } catch {
        return ""
    }
}

/** What a lock file holds for this process: its pid, then its identity. */
export function ownerRecord(): string {
    return `${process.pid} ${processIdentity(process.pid)}`.trim() + "\n"
}

/** The pid a lock file names (NaN when it names none). */
export function recordedPid(record: string): number {
    return Number(record.trim().split(/\s+/)[0] || NaN)
}

/**
 * true when the owner a lock file names still runs: its pid is alive and, where both
 * identities are known, it is the same process (not the pid given again after a reboot).
 */
export function ownerRunning(record: string): boolean {
    const pid = recordedPid(record)
    if (!Number.isInteger(pid) || pid <= 0 || !processAlive(pid)) return false
    const recorded = record.trim().split(/\s+/)[1]
    if (!recorded) return true
    const now = processIdentity(pid)
    return now === "" || now === recorded
}

/** Takes the lock at `lockPath` (its folder must exist); resolves with its release. */
export async function takeLockFile(lockPath: string, options: LockOptions): Promise<() => Promise<void>> {
    const giveUp = Date.now() + options.deadlineMs
    for (let wait = 20; ; wait = Math.min(wait * 2, 500)) {
        try {
            const handle = await open(lockPath, "wx")
            await handle.writeFile(ownerRecord())
            await handle.close()
            return () => rm(lockPath, { force: true })
        } catch (error) {
            if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error
        }
        const record = await readFile(lockPath, "utf8").catch(() => "")
        const owner = recordedPid(record)
        // An empty file is one being written this instant; anything else not running is stale.
        if (record !== "" && !ownerRunning(record)) {
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
