/**
 * One gateway per state folder: two would write the same queue files. The lock is a
 * pid file taken with O_EXCL; a file left by a process that no longer runs (kill -9,
 * power loss) is stale and taken over, so a crash never blocks the next start. After a
 * power cut its pid may name another process of the new boot: the file also records the
 * boot and the start time (see @fieldlink/lib/process/lock-file), so that is stale too.
 */
import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs"
import path from "node:path"
import { ownerRecord, ownerRunning, recordedPid } from "@fieldlink/lib/process/lock-file"

/** Takes the lock of `dir`; returns its release. Throws when another live gateway holds it. */
export function lockStateDir(dir: string): () => void {
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    const file = path.join(dir, "gateway.pid")
    for (let attempt = 0; attempt < 3; attempt++) {
        try {
            const fd = openSync(file, "wx", 0o600)
            writeSync(fd, ownerRecord())
            closeSync(fd)
            return () => {
                try {
                    if (recordedPid(readFileSync(file, "utf8")) === process.pid) rmSync(file, { force: true })
                } catch {
                    // already gone
                }
            }
        } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e
        }
        const record = readFileSync(file, "utf8")
        const pid = recordedPid(record)
        if (pid !== process.pid && ownerRunning(record))
            throw new Error(
                `another gateway (pid ${pid}) uses the state folder ${dir}; stop it, or give this one its own gateway.stateDir`,
            )
        rmSync(file, { force: true }) // stale: its process is gone
    }
    throw new Error(`cannot take the lock file ${file}`)
}
